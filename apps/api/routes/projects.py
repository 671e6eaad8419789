"""Projects."""

from __future__ import annotations

from fastapi import APIRouter

from automl_canvas.models import ProjectCreate, ProjectPublic
from automl_canvas.projects import create_project, get_project, list_projects

from ..deps import Id, ctx_dep

router = APIRouter(tags=["projects"])


@router.get("/projects", response_model=list[ProjectPublic])
def projects(ctx: ctx_dep):
    with ctx.session() as s:
        return list_projects(s, ctx.actor)


@router.post("/projects", response_model=ProjectPublic, status_code=201)
def new_project(body: ProjectCreate, ctx: ctx_dep):
    with ctx.session() as s:
        return create_project(s, ctx.actor, body)


@router.get("/projects/{project_id}", response_model=ProjectPublic)
def project(project_id: Id, ctx: ctx_dep):
    with ctx.session() as s:
        return get_project(s, ctx.actor, project_id)
