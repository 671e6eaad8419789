"""Feasibility and the portfolio: business inputs, assessments (a job), projects ranked for a manager."""

from __future__ import annotations

from fastapi import APIRouter

from automl_canvas.feasibility.inputs import BusinessInputs
from automl_canvas.feasibility.service import (
    BusinessInputsPublic,
    FeasibilityRequest,
    PortfolioEntry,
    get_inputs,
    latest_assessment,
    list_assessments,
    portfolio,
    set_inputs,
    submit_feasibility,
)
from automl_canvas.models import FeasibilityPublic, JobPublic

from ..deps import Id, ctx_dep

router = APIRouter(tags=["feasibility"])


@router.get("/projects/{project_id}/business-inputs", response_model=BusinessInputsPublic)
def inputs(project_id: Id, ctx: ctx_dep):
    with ctx.session() as s:
        return get_inputs(s, ctx.actor, project_id)


@router.put("/projects/{project_id}/business-inputs", response_model=BusinessInputsPublic,
            summary="Set business inputs (null clears one); the project's assessments are re-scored")
def put_inputs(project_id: Id, body: BusinessInputs, ctx: ctx_dep):
    with ctx.session() as s:
        return set_inputs(s, ctx.actor, project_id, body.model_dump(exclude_unset=True))


@router.post("/projects/{project_id}/feasibility", response_model=JobPublic, status_code=202,
             summary="Start a feasibility job on one of the project's datasets")
def start(project_id: Id, body: FeasibilityRequest, ctx: ctx_dep):
    return submit_feasibility(ctx.engine, ctx.settings, ctx.actor, project_id, body)


@router.get("/projects/{project_id}/feasibility", response_model=FeasibilityPublic,
            summary="The latest assessment: score, verdict, components and reasons")
def latest(project_id: Id, ctx: ctx_dep):
    with ctx.session() as s:
        return latest_assessment(s, ctx.actor, project_id)


@router.get("/projects/{project_id}/feasibility/history", response_model=list[FeasibilityPublic])
def history(project_id: Id, ctx: ctx_dep):
    with ctx.session() as s:
        return list_assessments(s, ctx.actor, project_id)


@router.get("/portfolio", response_model=list[PortfolioEntry], summary="Projects ranked by score, then expected value")
def ranked(ctx: ctx_dep, include_archived: bool = False):
    with ctx.session() as s:
        return portfolio(s, ctx.actor, include_archived=include_archived)
