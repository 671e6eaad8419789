"""The approved bytes and what to know about them: artifact download, model card, admission check."""

from __future__ import annotations

import base64
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

from automl_canvas.registry.model_card import build_model_card, render_html, render_markdown
from automl_canvas.registry.release import check_approval, open_artifact_for_download

from ..deps import Id, ctx_dep
from ..outputs import ApprovalCheckOut, ModelCardOut

router = APIRouter(tags=["release"])


_DIGEST_HEADERS = {name: {"schema": {"type": "string"}, "description": words} for name, words in (
    ("ETag", "The artifact's SHA-256 in quotes."), ("X-Artifact-SHA256", "The artifact's SHA-256."),
    ("Digest", "sha-256=<base64 of the digest> (RFC 3230).")) }


@router.get("/model-versions/{version_id}/artifact", response_class=FileResponse,
            responses={200: {"description": "The artifact's exact bytes.", "headers": _DIGEST_HEADERS,
                             "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                       304: {"description": "If-None-Match named this digest: the copy the caller has is current.",
                             "headers": _DIGEST_HEADERS}},
            summary="Stream the artifact; sha256 in ETag, Digest and X-Artifact-SHA256 (deployers: approved/deployed only)")
def artifact(version_id: Id, request: Request, ctx: ctx_dep):
    with ctx.session() as s:
        art = open_artifact_for_download(s, ctx.settings, ctx.actor, version_id)
    headers = {"ETag": f'"{art.sha256}"', "X-Artifact-SHA256": art.sha256,
               "Digest": "sha-256=" + base64.b64encode(bytes.fromhex(art.sha256)).decode("ascii"),
               "Cache-Control": "private, max-age=0, must-revalidate"}
    if request.headers.get("if-none-match", "").strip() in (headers["ETag"], art.sha256):
        return Response(status_code=304, headers=headers)
    return FileResponse(art.path, media_type="application/octet-stream", filename=art.filename, headers=headers)


_FORMATS = {"json": "application/json", "markdown": "text/markdown", "html": "text/html"}


@router.get("/model-versions/{version_id}/model-card",
            summary="Model card as JSON, Markdown or HTML (?format= or the Accept header)",
            responses={200: {"model": ModelCardOut, "content": {"text/markdown": {"schema": {"type": "string"}},
                                                                "text/html": {"schema": {"type": "string"}}}}})
def model_card(version_id: Id, request: Request, ctx: ctx_dep,
               format: Annotated[Literal["json", "markdown", "html"] | None, Query()] = None):
    if format is None:
        accept = request.headers.get("accept", "")
        format = "markdown" if "text/markdown" in accept else "html" if "text/html" in accept else "json"
    with ctx.session() as s:
        card = build_model_card(s, ctx.settings, ctx.actor, version_id)
    if format == "markdown":
        return PlainTextResponse(render_markdown(card), media_type="text/markdown; charset=utf-8")
    if format == "html":
        return HTMLResponse(render_html(card))
    return card


@router.get("/approvals/check", responses={200: {"model": ApprovalCheckOut}}, summary="Admission check: 200 when this digest is approved or deployed, 403 otherwise")
def approvals_check(ctx: ctx_dep, sha256: Annotated[str, Query(max_length=100, pattern="^[0-9a-fA-F]{64}$",
                                                              description="The artifact's SHA-256, 64 hex digits.")]):
    with ctx.session() as s:
        return check_approval(s, ctx.actor, sha256)
