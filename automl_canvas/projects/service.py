"""Project use cases: create (the creator becomes its owner), read, list - each checked against the actor.

Projects are private to their members (automl_canvas/projects/members.py); who
sees which project is decided in automl_canvas/auth/policy.py.
"""

from __future__ import annotations

from sqlmodel import Session, select

from ..auth.policy import allowed, require
from ..auth.resources import Access, project_for
from ..errors import ConflictError, NotFoundError, ValidationError
from ..models import Project, ProjectCreate, ProjectMember, ProjectPublic

__all__ = ["create_project", "find_project", "get_or_create_project", "get_project", "list_projects"]


def create_project(session: Session, actor, data: ProjectCreate) -> ProjectPublic:
    """A new project, owned by its creator (the one place a project gets its first owner)."""
    require(actor, "project.create")
    name = data.name.strip()
    if not name:
        raise ValidationError("A project needs a name.")
    if session.exec(select(Project).where(Project.name == name)).one_or_none():
        raise ConflictError(f"A project called '{name}' already exists.")
    project = Project(**data.model_dump(exclude={"name"}), name=name, owner_id=actor.id)
    session.add(project)
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=actor.id, role="owner", added_by_id=actor.id))
    session.flush()
    return ProjectPublic.model_validate(project)


def get_or_create_project(session: Session, actor, name: str) -> ProjectPublic:
    """The project called ``name`` if the actor may see it, else a new one; a name taken by a project the actor
    may not see is refused as creating it would be (nothing more is said about that project)."""
    existing = session.exec(select(Project).where(Project.name == name)).one_or_none()
    if existing is not None:
        require(actor, "project.read")
        if not allowed(actor, "project.read", Access(session, actor).project(existing)):
            raise ConflictError(f"A project called '{name.strip()}' already exists.")
        return ProjectPublic.model_validate(existing)
    return create_project(session, actor, ProjectCreate(name=name))


def get_project(session: Session, actor, project_id: int) -> ProjectPublic:
    return ProjectPublic.model_validate(project_for(session, actor, "project.read", project_id))


def find_project(session: Session, actor, name_or_id: str | int) -> ProjectPublic:
    """The project with this id, or called this name, if the actor may see it (a hidden one is not found either)."""
    text = str(name_or_id).strip()
    if text.isdigit():
        return get_project(session, actor, int(text))
    require(actor, "project.read")
    row = session.exec(select(Project).where(Project.name == text)).one_or_none()
    if row is None or not allowed(actor, "project.read", Access(session, actor).project(row)):
        raise NotFoundError(f"There is no project called '{text}'.")
    return ProjectPublic.model_validate(row)


def list_projects(session: Session, actor) -> list[ProjectPublic]:
    """The projects the actor may see (members: theirs; scientists: also those with a version shared for review)."""
    require(actor, "project.read")
    rows = session.exec(select(Project).order_by(Project.id)).all()
    return [ProjectPublic.model_validate(p) for p in Access(session, actor).filter("project.read", rows, "project")]
