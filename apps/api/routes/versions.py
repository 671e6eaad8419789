"""Model versions: the list deployment tooling polls, and one version's detail."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from automl_canvas.models import ModelVersionPublic
from automl_canvas.registry.operating_point import preview_operating_point, set_operating_point
from automl_canvas.registry.service import get_version, list_versions

from ..deps import Id, ctx_dep
from ..schemas import VersionSummary

router = APIRouter(tags=["model versions"])


@router.get("/model-versions", response_model=list[VersionSummary],
            summary="List versions (status=approved is what deployment tooling polls)")
def versions(ctx: ctx_dep, status: Annotated[str | None, Query(max_length=32)] = None,
             project_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None):
    with ctx.session() as s:
        return [VersionSummary.model_validate(v, from_attributes=True)
                for v in list_versions(s, ctx.actor, project_id=project_id, status=status)]


@router.get("/model-versions/{version_id}", response_model=ModelVersionPublic, summary="Metrics, digest and state")
def version(version_id: Id, ctx: ctx_dep):
    with ctx.session() as s:
        return get_version(s, ctx.actor, version_id)


class OperatingPointIn(BaseModel):
    """How a binary version should decide 'yes' (see docs/evidence.md, "Operating point")."""

    mode: Literal["balance", "recall", "top_share", "cost"] = Field(
        description="balance: best F1; recall: catch at least `value` in 100 of the 'yes' cases; "
                    "top_share: flag the riskiest `value` %; cost: least cost from the project's business inputs")
    value: float | None = Field(default=None, ge=1, le=100, description="N for recall and top_share")


@router.put("/model-versions/{version_id}/operating-point", response_model=ModelVersionPublic,
            summary="Choose a draft binary version's cut-off (frozen once shared for review)")
def put_operating_point(version_id: Id, body: OperatingPointIn, ctx: ctx_dep):
    with ctx.session() as s:
        return set_operating_point(s, ctx.actor, version_id, body.mode, body.value)


@router.post("/model-versions/{version_id}/operating-point/preview",
             summary="What a cut-off choice would do on the holdout, without saving it")
def preview(version_id: Id, body: OperatingPointIn, ctx: ctx_dep) -> dict:
    with ctx.session() as s:
        point = preview_operating_point(s, ctx.actor, version_id, body.mode, body.value)
    return {k: v for k, v in point.items() if k != "curve"}
