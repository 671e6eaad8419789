"""The current project, kept per user (not per browser tab): a new tab, a reload and the other device open on it.

It is a preference, not a permission: it is read back only through
:func:`~automl_canvas.projects.service.get_project`, so a project the user may no
longer see (removed from its members) is never shown; the stale preference is
cleared then and the caller gets ``None`` (the app asks to pick a project).
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from ..db import utcnow
from ..errors import NotFoundError, ValidationError
from ..models import ProjectPublic, UserPreference
from .service import get_project

__all__ = ["current_project", "set_current_project"]


def _write(session: Session, user_id: int, project_id: int | None) -> None:
    """Insert or update the user's row in one statement (two tabs writing their first choice at once both
    succeed; the last one's stays), as ``feasibility/inputs.py`` does for business inputs."""
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):  # pragma: no cover - the product supports these two
        raise ValidationError(f"Preferences cannot be stored on a {dialect} database.")
    table = UserPreference.__table__
    stmt = (sqlite.insert(table) if dialect == "sqlite" else postgresql.insert(table)).values(
        user_id=user_id, current_project_id=project_id, updated_at=utcnow())
    session.execute(stmt.on_conflict_do_update(index_elements=[table.c.user_id],
                                               set_={k: stmt.excluded[k] for k in ("current_project_id", "updated_at")}))
    for obj in [o for o in session.identity_map.values() if isinstance(o, UserPreference) and o.user_id == user_id]:
        session.expire(obj)


def current_project(session: Session, actor) -> ProjectPublic | None:
    """The actor's current project, if they have one and may still see it (else ``None``, and a preference for a
    project they lost access to is cleared). A role that may not read projects at all gets the policy's refusal."""
    pref = session.get(UserPreference, actor.id)
    if pref is None or pref.current_project_id is None:
        return None
    try:
        return get_project(session, actor, pref.current_project_id)
    except NotFoundError:  # removed from its members (or the project is gone): forget it
        _write(session, actor.id, None)
        return None


def set_current_project(session: Session, actor, project_id: int) -> ProjectPublic:
    """Make ``project_id`` the actor's current project; they must be able to see it (else not found, as for
    any hidden project)."""
    project = get_project(session, actor, project_id)
    _write(session, actor.id, project.id)
    return project
