"""Projects and their members.

A project is private to its members: a caller who is not one (and not an
admin, or a scientist reviewing one of its versions) gets 404 for it, exactly
as for an id that does not exist.  The rules are the core's
(automl_canvas/auth/policy.py); these routes only translate.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from automl_canvas.models import ProjectCreate, ProjectMemberPublic, ProjectPublic
from automl_canvas.projects import add_member, create_project, get_project, list_members, list_projects, remove_member

from ..deps import Id, ctx_dep
from ..responses import ErrorOut, error_responses

__all__ = ["ErrorOut", "router"]  # ErrorOut: re-exported for routes written before apps/api/responses.py

router = APIRouter(tags=["projects"])

Username = Annotated[str, Path(min_length=1, max_length=64, description="The member's username.")]


class MemberIn(BaseModel):
    role: str = Field("viewer", description="owner, editor or viewer", max_length=16,
                      json_schema_extra={"enum": ["viewer", "editor", "owner"]})


def _errors(*statuses: int) -> dict:
    return error_responses(401, *statuses, words={
        404: "No such project (or the caller is not one of its members), or no such user or member.",
        409: "The project would be left without an owner.", 422: "The request is not valid (e.g. an unknown role)."})


@router.get("/projects", response_model=list[ProjectPublic], responses=_errors(403),
            summary="The projects the caller may see")
def projects(ctx: ctx_dep):
    with ctx.session() as s:
        return list_projects(s, ctx.actor)


@router.post("/projects", response_model=ProjectPublic, status_code=201, responses=_errors(403, 409, 422),
             summary="Create a project (the caller becomes its owner)")
def new_project(body: ProjectCreate, ctx: ctx_dep):
    with ctx.session() as s:
        return create_project(s, ctx.actor, body)


@router.get("/projects/{project_id}", response_model=ProjectPublic, responses=_errors(403, 404))
def project(project_id: Id, ctx: ctx_dep):
    with ctx.session() as s:
        return get_project(s, ctx.actor, project_id)


@router.get("/projects/{project_id}/members", response_model=list[ProjectMemberPublic], responses=_errors(403, 404),
            summary="Who is in the project, with their project role (members and admins)")
def members(project_id: Id, ctx: ctx_dep):
    with ctx.session() as s:
        return list_members(s, ctx.actor, project_id)


@router.put("/projects/{project_id}/members/{username}", response_model=ProjectMemberPublic,
            responses=_errors(403, 404, 409, 422), summary="Add a member, or change their role (owners and admins)")
def put_member(project_id: Id, username: Username, body: MemberIn, ctx: ctx_dep):
    with ctx.session() as s:
        return add_member(s, ctx.actor, project_id, username, body.role)


@router.delete("/projects/{project_id}/members/{username}", response_model=ProjectMemberPublic,
               responses=_errors(403, 404, 409), summary="Remove a member (owners and admins; the last owner stays)")
def delete_member(project_id: Id, username: Username, ctx: ctx_dep):
    with ctx.session() as s:
        return remove_member(s, ctx.actor, project_id, username)
