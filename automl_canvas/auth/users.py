"""User records (credentials arrive with the governance work)."""

from __future__ import annotations

from sqlmodel import Session, select

from ..errors import NotFoundError, ValidationError
from ..models import ROLES, User, UserPublic

__all__ = ["LOCAL_USER", "ensure_user", "get_user"]

#: The account the CLI acts as on a single-user, embedded install.
LOCAL_USER = "local"


def ensure_user(session: Session, username: str, roles: tuple[str, ...] = ("analyst",), display_name: str = "") -> UserPublic:
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValidationError(f"Unknown role(s): {', '.join(sorted(unknown))}; roles are {', '.join(ROLES)}.")
    user = session.exec(select(User).where(User.username == username)).one_or_none()
    if user is None:
        user = User(username=username, roles=",".join(roles), display_name=display_name or username)
        session.add(user)
        session.flush()
    return UserPublic.model_validate(user)


def get_user(session: Session, username: str) -> UserPublic:
    user = session.exec(select(User).where(User.username == username)).one_or_none()
    if user is None:
        raise NotFoundError(f"There is no user called '{username}'. Run `automl-canvas init` first.")
    return UserPublic.model_validate(user)
