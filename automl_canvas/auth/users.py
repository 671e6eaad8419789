"""User accounts: create, find, roles, passwords, disable.

Managing other people's accounts needs ``user.manage`` (admins); everyone may
change their own password.  Every change is audited.
"""

from __future__ import annotations

import secrets

from sqlmodel import Session, select

from ..audit import append
from ..config import Settings
from ..errors import ConflictError, NotFoundError, ValidationError
from ..models import ROLES, User, UserPublic
from .passwords import check_strength, hash_password
from .policy import require

__all__ = [
    "LOCAL_USER",
    "create_user",
    "ensure_user",
    "generate_password",
    "get_user",
    "get_user_by_id",
    "list_users",
    "set_active",
    "set_password",
    "set_roles",
]

#: The account the CLI acts as on a single-user, embedded install.
LOCAL_USER = "local"


def _check_roles(roles) -> tuple[str, ...]:
    roles = tuple(dict.fromkeys(r.strip() for r in roles if r and r.strip()))
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValidationError(f"Unknown role(s): {', '.join(sorted(unknown))}; roles are {', '.join(ROLES)}.")
    if not roles:
        raise ValidationError(f"A user needs at least one role: {', '.join(ROLES)}.")
    return roles


def _row(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username)).one_or_none()
    if user is None:
        raise NotFoundError(f"There is no user called '{username}'.")
    return user


def generate_password() -> str:
    """A random password for a person to change later (shown once, never stored in clear)."""
    return secrets.token_urlsafe(15)


def ensure_user(session: Session, username: str, roles: tuple[str, ...] = ("analyst",), display_name: str = "") -> UserPublic:
    """Bootstrap helper (``init``, tests): create the account if missing, without an actor or a password."""
    roles = _check_roles(roles)
    user = session.exec(select(User).where(User.username == username)).one_or_none()
    if user is None:
        user = User(username=username, roles=",".join(roles), display_name=display_name or username)
        session.add(user)
        session.flush()
        append(session, None, "user.created", "user", user.id, {"username": username, "roles": list(roles), "by": "bootstrap"})
    return UserPublic.model_validate(user)


def create_user(session: Session, settings: Settings, actor, username: str, roles, *, display_name: str = "",
                password: str | None = None) -> UserPublic:
    require(actor, "user.manage")
    username = (username or "").strip()
    if not username or len(username) > 64 or not all(ch.isalnum() or ch in "._-@" for ch in username):
        raise ValidationError("A username needs 1-64 letters, digits or . _ - @.")
    roles = _check_roles(roles)
    if session.exec(select(User).where(User.username == username)).one_or_none() is not None:
        raise ConflictError(f"A user called '{username}' already exists.")
    if password is not None:
        check_strength(password, settings.password_min_length)
    user = User(username=username, roles=",".join(roles), display_name=display_name or username,
                password_hash=hash_password(password) if password is not None else None)
    session.add(user)
    session.flush()
    append(session, actor, "user.created", "user", user.id, {"username": username, "roles": list(roles)})
    return UserPublic.model_validate(user)


def set_password(session: Session, settings: Settings, actor, username: str, password: str) -> None:
    user = _row(session, username)
    if user.id != actor.id:
        require(actor, "user.manage")
    check_strength(password, settings.password_min_length)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    append(session, actor, "user.password_set", "user", user.id, {"username": username})


def set_roles(session: Session, actor, username: str, roles) -> UserPublic:
    require(actor, "user.manage")
    user = _row(session, username)
    roles = _check_roles(roles)
    before = user.roles
    user.roles = ",".join(roles)
    session.add(user)
    append(session, actor, "user.roles_changed", "user", user.id, {"username": username, "from": before.split(","), "to": list(roles)})
    return UserPublic.model_validate(user)


def set_active(session: Session, actor, username: str, active: bool) -> UserPublic:
    require(actor, "user.manage")
    user = _row(session, username)
    if user.id == actor.id and not active:
        raise ValidationError("You cannot disable your own account; ask another admin.")
    user.is_active = active
    session.add(user)
    append(session, actor, "user.enabled" if active else "user.disabled", "user", user.id, {"username": username})
    return UserPublic.model_validate(user)


def get_user(session: Session, username: str) -> UserPublic:
    user = session.exec(select(User).where(User.username == username)).one_or_none()
    if user is None:
        raise NotFoundError(f"There is no user called '{username}'. Run `automl-canvas init` first.")
    return UserPublic.model_validate(user)


def get_user_by_id(session: Session, user_id: int) -> UserPublic:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"There is no user with id {user_id}.")
    return UserPublic.model_validate(user)


def list_users(session: Session, actor) -> list[UserPublic]:
    require(actor, "user.manage")
    return [UserPublic.model_validate(u) for u in session.exec(select(User).order_by(User.id))]
