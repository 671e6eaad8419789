"""Browser sessions: the apps' sign-in, kept in an HttpOnly cookie that survives a reload and is shared by tabs.

Why this shape.  Streamlit keeps ``st.session_state`` per browser tab and loses it
on a reload, and its Python code can read cookies (``st.context.cookies``, sent
with the page's WebSocket handshake) but cannot set them, let alone HttpOnly
ones; ``st.login`` needs an OIDC provider an offline install does not have.  So:

1. The app's sign-in form checks the password as before (``authenticate_password``,
   its throttle and audit included) through :func:`sign_in_browser`, which also
   creates a session row with a **one-time ticket** (shown to that browser only,
   valid :data:`TICKET_SECONDS`).
2. The page posts the ticket (a form body, never a URL) to the API on the same
   host (cookies ignore ports, so a cookie set by the API on ``host:8000`` is sent
   to the apps on ``host:8501`` and ``host:8502``).  :func:`exchange_ticket` marks
   the ticket used (one conditional UPDATE, so it works exactly once, even when
   two requests race), makes the session's secret and the API sets it as an
   HttpOnly, SameSite=Lax cookie (Secure over https) and sends the browser back.
3. On every script run the apps resolve the cookie with
   :func:`resolve_browser_session`: the session must exist, be live (not
   expired, not signed out) and its user active, so signing out, an expiry and
   disabling an account take effect on the next run of every tab.

Only sha256 digests of the ticket and the secret are stored (both carry 256
random bits, so a fast hash is enough, as for API tokens).  A session lasts
``session_hours`` from sign-in and is not extended by use (a fixed lifetime is
easy to reason about; signing in again is one form).  Nothing here knows about
HTTP: the API and the apps are the doors that carry the cookie.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from sqlmodel import Session, select

from ..audit import append
from ..config import Settings
from ..db import utcnow
from ..errors import AuthenticationError, ValidationError
from ..models import BrowserSession, User, UserPublic
from .login import authenticate_password

__all__ = ["COOKIE_NAME", "TICKET_SECONDS", "BrowserSessionInfo", "check_ticket", "end_browser_session",
           "exchange_ticket", "resolve_browser_session", "safe_return_url", "sign_in_browser"]

#: The cookie's name (one per host: both apps and the API share it).
COOKIE_NAME = "canvas_session"
#: Seconds a sign-in ticket may wait to be exchanged: the page posts it at once, this leaves room for a slow machine.
TICKET_SECONDS = 120
#: Expired sessions are deleted this long after they ended (a day of "this session expired" before "unknown").
_KEEP_ENDED = timedelta(days=1)

_TICKET_PREFIX, _SECRET_PREFIX = "act_", "acs_"
_TICKET_SHAPE = re.compile(r"^act_[A-Za-z0-9_-]{43}$")
_SECRET_SHAPE = re.compile(r"^acs_[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class BrowserSessionInfo:
    """A live session: its id, its user (read now) and when it ends."""

    id: int
    user: UserPublic
    expires_at: datetime


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def sign_in_browser(session: Session, settings: Settings, username: str, password: str, *,
                    client: str | None = None) -> tuple[UserPublic, str]:
    """Check the password (throttled and audited as every sign-in) and start a session: ``(user, ticket)``.

    The session is not usable until its ticket is exchanged (:func:`exchange_ticket`), which only the browser
    that was shown it can do within :data:`TICKET_SECONDS`. Commit the session even on failure (the attempt is
    audited). Sessions that ended more than a day ago are deleted here, so the table stays small."""
    user = authenticate_password(session, settings, username, password, client=client)
    now = utcnow()
    session.execute(sa.delete(BrowserSession).where(
        sa.or_(BrowserSession.expires_at < now - _KEEP_ENDED,
               sa.and_(BrowserSession.ticket_used_at.is_(None), BrowserSession.ticket_expires_at < now - _KEEP_ENDED))))
    ticket = _TICKET_PREFIX + secrets.token_urlsafe(32)
    session.add(BrowserSession(user_id=user.id, ticket_sha256=_digest(ticket),
                               ticket_expires_at=now + timedelta(seconds=TICKET_SECONDS), created_at=now,
                               expires_at=now + timedelta(hours=settings.session_hours)))
    session.flush()
    return user, ticket


def _ticket_row(session: Session, ticket: str | None) -> BrowserSession:
    """The session of a ticket that may still be exchanged, or the reason it may not."""
    if not ticket or not _TICKET_SHAPE.match(ticket):
        raise AuthenticationError("That is not a sign-in ticket; sign in again on the app's page.")
    row = session.exec(select(BrowserSession).where(BrowserSession.ticket_sha256 == _digest(ticket))).one_or_none()
    now = utcnow()
    if row is None:
        raise AuthenticationError("Unknown sign-in ticket; sign in again on the app's page.")
    if row.ticket_used_at is not None:
        raise AuthenticationError("This sign-in ticket was already used (each works once); sign in again on the app's page.")
    if row.ticket_expires_at <= now or row.expires_at <= now:
        raise AuthenticationError(f"This sign-in ticket expired (it works for {TICKET_SECONDS} seconds); "
                                  "sign in again on the app's page.")
    if row.revoked_at is not None:
        raise AuthenticationError("This session was signed out; sign in again on the app's page.")
    return row


def check_ticket(session: Session, ticket: str | None) -> None:
    """Raise :class:`AuthenticationError` unless ``ticket`` could be exchanged now (nothing is changed).

    The app asks the API this, server to server, before it sends the browser there: an API that is down, or
    that serves another database, is found out before the person meets an error page."""
    _ticket_row(session, ticket)


def exchange_ticket(session: Session, settings: Settings, ticket: str | None) -> tuple[str, BrowserSessionInfo]:
    """Use the ticket (once) and make the session's secret: ``(secret for the cookie, session)``.

    The ticket is marked used by one conditional UPDATE (``... WHERE ticket_used_at IS NULL``), so of two
    requests with the same ticket exactly one gets a secret; the other is told it was already used."""
    row = _ticket_row(session, ticket)
    secret = _SECRET_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    table = BrowserSession.__table__
    done = session.execute(sa.update(table).where(table.c.id == row.id, table.c.ticket_used_at.is_(None),
                                                  table.c.revoked_at.is_(None))
                           .values(ticket_used_at=now, secret_sha256=_digest(secret)))
    if done.rowcount != 1:
        raise AuthenticationError("This sign-in ticket was already used (each works once); sign in again on the app's page.")
    session.expire(row)
    return secret, _live(session, row.id)


def _live(session: Session, session_id: int) -> BrowserSessionInfo:
    row = session.get(BrowserSession, session_id)
    user = session.get(User, row.user_id) if row is not None else None
    if row is None or user is None:
        raise AuthenticationError("This session has ended; sign in again.")
    if row.revoked_at is not None:
        raise AuthenticationError("You were signed out; sign in again.")
    if row.expires_at <= utcnow():
        raise AuthenticationError(f"Your session expired (sessions last {_hours(row)}); sign in again.")
    if not user.is_active:
        raise AuthenticationError(f"The account '{user.username}' is disabled; ask an admin.")
    return BrowserSessionInfo(row.id, UserPublic.model_validate(user), row.expires_at)


def _hours(row: BrowserSession) -> str:
    hours = (row.expires_at - row.created_at).total_seconds() / 3600
    return f"{hours:g} hour{'s' if hours != 1 else ''}"


def _by_secret(session: Session, raw: str | None) -> BrowserSession | None:
    if not raw or not _SECRET_SHAPE.match(raw):
        return None
    return session.exec(select(BrowserSession).where(BrowserSession.secret_sha256 == _digest(raw))).one_or_none()


def resolve_browser_session(session: Session, raw: str | None) -> BrowserSessionInfo:
    """The live session of a cookie's secret, with its user read now, or :class:`AuthenticationError` saying why
    not (unknown, signed out, expired, account disabled). Never says anything about the secret itself."""
    row = _by_secret(session, raw)
    if row is None:
        raise AuthenticationError("This browser's session is not known (it may have ended); sign in again.")
    return _live(session, row.id)


def end_browser_session(session: Session, raw: str | None) -> bool:
    """Sign out: the session of this secret stops working at once, in every tab. True when a live one was ended.

    Ending an unknown or already-ended session is not an error (signing out twice, or with a stale cookie)."""
    row = _by_secret(session, raw)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    session.add(row)
    user = session.get(User, row.user_id)
    actor = UserPublic.model_validate(user) if user is not None else None
    append(session, actor, "auth.logout", "user", row.user_id, {"session_id": row.id})
    return True


# -- where a browser may be sent back to after the cookie is set or cleared (no open redirect) -----------------

_DEFAULT_PORTS = {"http": 80, "https": 443}
_BAD_CHARS = set("\\ \t\r\n") | {chr(c) for c in range(32)} | {chr(127)}


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL, or None for anything else (other schemes, user info, odd characters)."""
    if not url or any(ch in _BAD_CHARS for ch in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def safe_return_url(target: str, request_host: str | None, settings: Settings) -> str:
    """``target`` (normalised) when the API may send a browser there, else :class:`ValidationError` (422)."""
    origin = _origin(target)
    allowed = {o for o in (_origin(u.rstrip("/")) for u in settings.session_return_origins) if o is not None}
    app_ports = {settings.analyst_port, settings.scientist_port}
    if origin is not None and (origin in allowed or (origin[1] == (request_host or "").lower() and origin[2] in app_ports)):
        parts = urlsplit(target)
        return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))
    raise ValidationError("The address to go back to is not one of the apps on this host; sign in from the app's own page.",
                          details={"allowed_ports": sorted(app_ports), "allowed_origins": sorted(settings.session_return_origins)})
