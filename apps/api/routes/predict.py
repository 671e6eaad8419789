"""Predictions: JSON records in, predictions out; or a CSV/Parquet file in, the scored file out."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from automl_canvas.db import session_scope
from automl_canvas.exports import write_table
from automl_canvas.serving.hot_path import NeedsDatabase
from automl_canvas.serving.service import predict_batch_file, predict_records

from ..deps import Id, _bearer, ctx_dep, token_guard
from ..outputs import PredictOut
from ..schemas import PredictIn
from ..uploads import UPLOAD_BODY, receive_upload

router = APIRouter(tags=["predict"])


async def _cached_caller(request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]):
    """The caller from this process's token cache (re-checked every ``serving_cache_seconds``); a dependency, so
    a missing or bad token is 401 before the body is looked at, as on every other route."""
    serving, raw = request.app.state.canvas.serving, creds.credentials if creds else None
    with token_guard(request, raw):  # bad tokens rate-limited per client, as on every other route
        try:
            return serving.actor(raw, io=False)
        except NeedsDatabase:
            return await run_in_threadpool(serving.actor, raw)


@router.post("/model-versions/{version_id}/predict", responses={200: {"model": PredictOut}},
             summary="Score records (approved/deployed versions; scientists may test any); logged for monitoring")
async def predict(version_id: Id, body: PredictIn, request: Request, actor: Annotated[object, Depends(_cached_caller)],
                  x_request_id: Annotated[str | None, Header(max_length=100)] = None):
    """One record: the process's cached version and fast scorer answer on the event loop (tens of microseconds,
    no thread hop); a stale cache entry is refreshed in a thread, and so are explain=true's contributions (the
    record is still scored by the fast scorer); several records or a learner without a fast scorer take the frame
    path in a thread.  Same rules and answers either way."""
    state = request.app.state.canvas
    request_id = body.request_id or x_request_id
    try:
        out = _hot(state, actor, version_id, body, request_id, io=False)
    except NeedsDatabase:
        out = await run_in_threadpool(_answer, state, actor, version_id, body, request_id)
    return JSONResponse(out, headers={"X-Request-ID": out["request_id"]})


def _hot(state, actor, version_id, body, request_id, *, io: bool):
    out = state.serving.predict(actor, version_id, body.records, body.explain, log=state.prediction_log,
                                request_id=request_id, io=io)
    if out is None:
        raise NeedsDatabase  # the frame path answers (in a thread)
    return out


def _answer(state, actor, version_id, body, request_id):
    try:
        return _hot(state, actor, version_id, body, request_id, io=True)
    except NeedsDatabase:
        state.serving.slow += 1
        with session_scope(state.engine) as s:
            return predict_records(s, state.settings, actor, version_id, body.records, body.explain,
                                   log=state.prediction_log, request_id=request_id)


def _write(frame, folder, fmt: str, raw: bool):
    folder.mkdir(parents=True, exist_ok=True)
    return write_table(frame, folder / f"scored-{uuid.uuid4().hex}.{fmt}", raw=raw)


@router.post("/model-versions/{version_id}/predict/batch", response_class=FileResponse, openapi_extra=UPLOAD_BODY,
             responses={200: {"description": "The scored rows (CSV, or Parquet for a Parquet upload or format=parquet).",
                              "content": {"text/csv": {"schema": {"type": "string"}},
                                          "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}}}}},
             summary="Score a CSV/Excel/Parquet upload; returns the rows with prediction columns")
async def predict_batch(version_id: Id, request: Request, ctx: ctx_dep,
                        format: Annotated[Literal["csv", "parquet"] | None, Query()] = None,
                        raw: Annotated[bool, Query(description=(
                            "CSV only: write text cells exactly as scored. By default a text cell starting with =, +, -, @, "
                            "tab or carriage return gets a leading ' so a spreadsheet shows it instead of running it "
                            "as a formula; set raw=true for machine consumers."))] = False):
    tmp = ctx.settings.artifact_dir / "tmp"
    upload = await receive_upload(request, tmp, ctx.settings.max_upload_bytes)
    try:
        frame = await run_in_threadpool(predict_batch_file, ctx.engine, ctx.settings, ctx.actor, version_id,
                                        upload.path, upload.filename)
    finally:
        upload.discard()
    fmt = format or ("parquet" if upload.filename.lower().endswith(".parquet") else "csv")
    out = await run_in_threadpool(_write, frame, tmp, fmt, raw)
    media = "application/vnd.apache.parquet" if fmt == "parquet" else "text/csv"
    return FileResponse(out, media_type=media, filename=f"predictions-v{version_id}.{fmt}",
                        background=BackgroundTask(out.unlink, missing_ok=True))
