"""Project use cases."""

from __future__ import annotations

from sqlmodel import Session, select

from ..auth.policy import require
from ..errors import ConflictError, NotFoundError, ValidationError
from ..models import Project, ProjectCreate, ProjectPublic

__all__ = ["create_project", "get_or_create_project", "get_project", "list_projects"]


def create_project(session: Session, actor, data: ProjectCreate) -> ProjectPublic:
    require(actor, "project.create")
    name = data.name.strip()
    if not name:
        raise ValidationError("A project needs a name.")
    if session.exec(select(Project).where(Project.name == name)).one_or_none():
        raise ConflictError(f"A project called '{name}' already exists.")
    project = Project(**data.model_dump(exclude={"name"}), name=name, owner_id=actor.id)
    session.add(project)
    session.flush()
    return ProjectPublic.model_validate(project)


def get_or_create_project(session: Session, actor, name: str) -> ProjectPublic:
    existing = session.exec(select(Project).where(Project.name == name)).one_or_none()
    if existing is not None:
        require(actor, "project.read")
        return ProjectPublic.model_validate(existing)
    return create_project(session, actor, ProjectCreate(name=name))


def get_project(session: Session, actor, project_id: int) -> ProjectPublic:
    require(actor, "project.read")
    project = session.get(Project, project_id)
    if project is None:
        raise NotFoundError(f"Project {project_id} does not exist.")
    return ProjectPublic.model_validate(project)


def list_projects(session: Session, actor) -> list[ProjectPublic]:
    require(actor, "project.read")
    return [ProjectPublic.model_validate(p) for p in session.exec(select(Project).order_by(Project.id))]
