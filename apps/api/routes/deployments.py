"""Deployment records: record (approved versions only), list per version or environment, roll back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from automl_canvas import review
from automl_canvas.models import DeploymentPublic

from ..deps import Id, ctx_dep
from ..outputs import RollbackOut
from ..schemas import DeploymentIn, RollbackIn

router = APIRouter(tags=["deployments"])


@router.post("/model-versions/{version_id}/deployments", response_model=DeploymentPublic, status_code=201,
             summary="Record a deployment (201 for an approved or deployed version, 409 otherwise)")
def record(version_id: Id, body: DeploymentIn, ctx: ctx_dep):
    with ctx.session() as s:
        return review.record_deployment(s, ctx.actor, version_id, body.environment, body.reference)


@router.get("/model-versions/{version_id}/deployments", response_model=list[DeploymentPublic])
def per_version(version_id: Id, ctx: ctx_dep):
    with ctx.session() as s:
        return review.list_deployments(s, ctx.actor, version_id=version_id)


@router.get("/deployments", response_model=list[DeploymentPublic], summary="Deployments, optionally of one environment")
def per_environment(ctx: ctx_dep, environment: Annotated[str | None, Query(max_length=100)] = None,
                    active_only: bool = False):
    with ctx.session() as s:
        return review.list_deployments(s, ctx.actor, environment=environment, active_only=active_only)


@router.post("/deployments/{deployment_id}/rollback", responses={200: {"model": RollbackOut}},
             summary="Mark rolled back; names the previous approved version for that environment")
def rollback(deployment_id: Id, ctx: ctx_dep, body: RollbackIn | None = None):
    with ctx.session() as s:
        return review.rollback(s, ctx.actor, deployment_id, body.reason if body else "")
