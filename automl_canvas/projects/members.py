"""Project members: list them, add or change one (owner or admin), remove one - every change audited.

A project always keeps at least one owner, so nobody can lock a project away
from everyone but the admins.  Who may do what with a project role is decided
in automl_canvas/auth/policy.py (viewer: read; editor: also upload, train, set
business inputs, comment, share; owner: also manage members).
"""

from __future__ import annotations

from sqlmodel import Session, select

from ..audit import append
from ..auth.resources import project_for
from ..errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from ..models import PROJECT_ROLES, ProjectMember, ProjectMemberPublic, User

__all__ = ["add_member", "can_manage_members", "list_members", "remove_member"]


def _public(session: Session, row: ProjectMember, user: User | None = None) -> ProjectMemberPublic:
    user = user or session.get(User, row.user_id)
    added_by = session.get(User, row.added_by_id) if row.added_by_id else None
    return ProjectMemberPublic(project_id=row.project_id, user_id=row.user_id, username=user.username,
                               display_name=user.display_name, role=row.role,
                               added_by=added_by.username if added_by else None, added_at=row.added_at)


def _user(session: Session, username: str) -> User:
    name = (username or "").strip()
    user = session.exec(select(User).where(User.username == name)).one_or_none() if name else None
    if user is None:
        raise NotFoundError(f"There is no user called '{name}'.", details={"username": name})
    return user


def _membership(session: Session, project_id: int, user_id: int) -> ProjectMember | None:
    return session.exec(select(ProjectMember).where(ProjectMember.project_id == project_id,
                                                    ProjectMember.user_id == user_id)).one_or_none()


def _owners(session: Session, project_id: int) -> list[ProjectMember]:
    return list(session.exec(select(ProjectMember).where(ProjectMember.project_id == project_id,
                                                         ProjectMember.role == "owner")).all())


def _keep_an_owner(session: Session, project, member: ProjectMember, doing: str) -> None:
    owners = _owners(session, project.id)
    if member.role == "owner" and [o.user_id for o in owners] == [member.user_id]:
        raise ConflictError(f"Project '{project.name}' would be left without an owner; make someone else its owner "
                            f"before you {doing}.", details={"project_id": project.id})


def can_manage_members(session: Session, actor, project_id: int) -> bool:
    """Whether ``actor`` may add, change and remove members of the project (what the apps show controls for)."""
    try:
        project_for(session, actor, "project.members.manage", project_id)
    except (PermissionDeniedError, NotFoundError):
        return False
    return True


def list_members(session: Session, actor, project_id: int) -> list[ProjectMemberPublic]:
    """Who is in the project and with which role (any member, and admins)."""
    project_for(session, actor, "project.members.read", project_id)
    rows = session.exec(select(ProjectMember, User).join(User, User.id == ProjectMember.user_id)
                        .where(ProjectMember.project_id == project_id)
                        .order_by(ProjectMember.added_at, ProjectMember.id)).all()
    order = {r: i for i, r in enumerate(reversed(PROJECT_ROLES))}
    members = [_public(session, m, u) for m, u in rows]
    return sorted(members, key=lambda m: (order.get(m.role, 9), m.username))


def add_member(session: Session, actor, project_id: int, username: str, role: str = "viewer") -> ProjectMemberPublic:
    """Add ``username`` with ``role``, or change the role of a member (the project's owners, and admins)."""
    project = project_for(session, actor, "project.members.manage", project_id)
    role = (role or "").strip().lower()
    if role not in PROJECT_ROLES:
        raise ValidationError(f"Unknown project role '{role}'; a member is one of: {', '.join(PROJECT_ROLES)}.",
                              details={"field": "role", "allowed": list(PROJECT_ROLES)})
    user = _user(session, username)
    row = _membership(session, project.id, user.id)
    payload = {"project_id": project.id, "project": project.name, "username": user.username, "role": role}
    if row is None:
        row = ProjectMember(project_id=project.id, user_id=user.id, role=role, added_by_id=actor.id)
        session.add(row)
        session.flush()
        append(session, actor, "project.member_added", "project", project.id, payload)
    elif row.role != role:
        _keep_an_owner(session, project, row, f"make {user.username} {'an' if role == 'editor' else 'a'} {role}")
        previous, row.role = row.role, role
        session.add(row)
        session.flush()
        append(session, actor, "project.member_changed", "project", project.id, {**payload, "previous_role": previous})
    return _public(session, row, user)


def remove_member(session: Session, actor, project_id: int, username: str) -> ProjectMemberPublic:
    """Take ``username`` out of the project (the project's owners, and admins); the last owner stays."""
    project = project_for(session, actor, "project.members.manage", project_id)
    user = _user(session, username)
    row = _membership(session, project.id, user.id)
    if row is None:
        raise NotFoundError(f"{user.username} is not a member of project '{project.name}'.",
                            details={"project_id": project.id, "username": user.username})
    _keep_an_owner(session, project, row, f"remove {user.username}")
    out = _public(session, row, user)
    session.delete(row)
    session.flush()
    append(session, actor, "project.member_removed", "project", project.id,
           {"project_id": project.id, "project": project.name, "username": user.username, "role": out.role})
    return out
