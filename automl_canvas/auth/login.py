"""Password sign-in with throttling.

After ``login_max_failures`` wrong passwords in a row an account is locked for
``login_lock_seconds``; while locked even the right password is refused, so a
guessing script gains nothing.  Unknown users and wrong passwords get the same
message and the same (argon2) cost, so the answer does not reveal which
usernames exist.  Every attempt is audited.
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlmodel import Session, select

from ..audit import append
from ..config import Settings
from ..db import utcnow
from ..errors import AuthenticationError, TooManyAttemptsError
from ..models import User, UserPublic
from .passwords import hash_password, needs_rehash, verify_password

__all__ = ["authenticate_password"]

_WRONG = "Wrong username or password."


def authenticate_password(session: Session, settings: Settings, username: str, password: str) -> UserPublic:
    """The signed-in user, or :class:`AuthenticationError`. Commit the session even on failure (the attempt counts)."""
    user = session.exec(select(User).where(User.username == (username or "").strip())).one_or_none()
    now = utcnow()
    if user is None:
        verify_password(None, password or "")  # same cost as a real check
        append(session, None, "auth.login_failed", "user", None, {"username": (username or "")[:64], "reason": "unknown user"})
        raise AuthenticationError(_WRONG)
    if user.locked_until is not None and user.locked_until > now:
        wait = math.ceil((user.locked_until - now).total_seconds())
        append(session, None, "auth.login_refused", "user", user.id, {"username": user.username, "reason": "locked"})
        raise TooManyAttemptsError(
            f"Too many wrong passwords for '{user.username}'. Try again in {wait} seconds, or ask an admin to reset it.",
            details={"retry_after_seconds": wait},
        )
    if not verify_password(user.password_hash, password or ""):
        user.failed_logins += 1
        reason = "wrong password" if user.password_hash else "no password set"
        if user.failed_logins >= settings.login_max_failures:
            user.locked_until = now + timedelta(seconds=settings.login_lock_seconds)
            user.failed_logins = 0
            reason += "; account locked"
        session.add(user)
        append(session, None, "auth.login_failed", "user", user.id, {"username": user.username, "reason": reason})
        raise AuthenticationError(_WRONG)
    if not user.is_active:
        append(session, None, "auth.login_refused", "user", user.id, {"username": user.username, "reason": "disabled"})
        raise AuthenticationError(f"The account '{user.username}' is disabled; ask an admin.")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.add(user)
    public = UserPublic.model_validate(user)
    append(session, public, "auth.login", "user", user.id, {"username": user.username})
    return public
