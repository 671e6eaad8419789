"""Password sign-in, throttled per client and username, never per account.

Failed sign-ins are counted per (client address, username) and per client
address (auth/throttle.py).  After ``login_max_failures`` failures for one
name from one client within ``login_lock_seconds``, that pair is refused for
the rest of the window; other clients, the real owner on their own machine
included, are not affected, so a remote guesser cannot lock anyone out.  A
refusal is the same for real and unknown usernames (same message, same
status, decided before the account is looked up), and unknown users cost the
same argon2 check as a wrong password.  Attempts are audited; while a pair is
throttled only its first refusal per window is, so a script cannot flood the
log.
"""

from __future__ import annotations

from sqlmodel import Session, select

from ..audit import append
from ..config import Settings
from ..db import utcnow
from ..errors import AuthenticationError, TooManyAttemptsError
from ..models import User, UserPublic
from .passwords import hash_password, needs_rehash, verify_password
from .throttle import Throttle, default_throttle

__all__ = ["authenticate_password"]

_WRONG = "Wrong username or password."


def _throttled(wait: int) -> TooManyAttemptsError:
    return TooManyAttemptsError(
        f"Too many failed sign-ins from this address. Try again in {wait} seconds.",
        details={"retry_after_seconds": wait},
    )


def authenticate_password(session: Session, settings: Settings, username: str, password: str, *,
                          client: str | None = None, throttle: Throttle | None = None) -> UserPublic:
    """The signed-in user, or :class:`AuthenticationError` (:class:`TooManyAttemptsError` while throttled).

    ``client``: the caller's address (the app's remote address); ``throttle``: the process's counters by
    default. Commit the session even on failure (the attempt is audited)."""
    throttle = throttle or default_throttle(settings)
    typed = (username or "").strip()
    wait = throttle.login_wait(settings, client, typed)
    if wait:
        if throttle.first_refusal(settings, client, typed):
            append(session, None, "auth.login_throttled", "user", None,
                   {"username": typed[:64], "client": (client or "")[:100], "retry_after_seconds": wait})
        raise _throttled(wait)
    user = session.exec(select(User).where(User.username == typed)).one_or_none()
    # an unknown user costs the same argon2 check as a wrong password (verify_password(None, ...))
    right = verify_password(user.password_hash if user else None, password or "")
    if user is None or not right:
        throttle.login_failed(settings, client, typed)
        reason = "unknown user" if user is None else ("wrong password" if user.password_hash else "no password set")
        append(session, None, "auth.login_failed", "user", user.id if user else None,
               {"username": typed[:64], "client": (client or "")[:100], "reason": reason})
        raise AuthenticationError(_WRONG)
    if not user.is_active:
        append(session, None, "auth.login_refused", "user", user.id, {"username": user.username, "reason": "disabled"})
        raise AuthenticationError(f"The account '{user.username}' is disabled; ask an admin.")
    throttle.login_succeeded(settings, client, typed)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.add(user)
    public = UserPublic.model_validate(user)
    append(session, public, "auth.login", "user", user.id, {"username": user.username, "client": (client or "")[:100]})
    return public
