"""Model versions: the list deployment tooling polls, and one version's detail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from automl_canvas.models import ModelVersionPublic
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
