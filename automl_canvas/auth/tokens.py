"""API tokens for scripts and deployment tooling.

A token is ``acv_`` + 43 url-safe characters (256 random bits).  It is shown
once, at creation; only its sha256 is stored.  Tokens expire (default
``token_default_days``), can be revoked, and act with their user's roles,
so disabling a user disables their tokens.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlmodel import Session, select

from ..audit import append
from ..config import Settings
from ..db import utcnow
from ..errors import AuthenticationError, NotFoundError, ValidationError
from ..models import ApiToken, ApiTokenPublic, User, UserPublic
from .policy import require

__all__ = ["TOKEN_PREFIX", "authenticate_token", "create_token", "list_tokens", "revoke_token"]

TOKEN_PREFIX = "acv_"
_SHAPE = re.compile(r"^acv_[A-Za-z0-9_-]{43}$")


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_token(session: Session, settings: Settings, actor, *, name: str, username: str | None = None,
                 days: int | None = None) -> tuple[ApiTokenPublic, str]:
    """A new token for ``username`` (default: the actor). Returns the record and the secret (show it once)."""
    owner = session.exec(select(User).where(User.username == (username or actor.username))).one_or_none()
    if owner is None:
        raise NotFoundError(f"There is no user called '{username}'.")
    if owner.id != actor.id:
        require(actor, "user.manage")  # tokens for service accounts are made by admins
    else:
        require(actor, "token.own")
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationError("A token needs a name of 1-200 characters (what it is for, e.g. 'deploy pipeline').")
    days = settings.token_default_days if days is None else int(days)
    if not 1 <= days <= settings.token_max_days:
        raise ValidationError(f"A token lives between 1 and {settings.token_max_days} days; {days} was asked for.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=owner.id, name=name, prefix=raw[:12], token_sha256=_digest(raw),
                   expires_at=utcnow() + timedelta(days=days))
    session.add(row)
    session.flush()
    append(session, actor, "token.created", "token", row.id,
           {"owner": owner.username, "name": name, "prefix": row.prefix, "expires_at": row.expires_at.isoformat()})
    return ApiTokenPublic.model_validate(row), raw


def authenticate_token(session: Session, raw: str | None) -> UserPublic:
    """The token's user, or :class:`AuthenticationError` naming what is wrong (never the secret)."""
    if not raw:
        raise AuthenticationError("No API token was given; send 'Authorization: Bearer <token>'.")
    if not _SHAPE.match(raw):
        raise AuthenticationError("That is not an AutoML Canvas API token (they start with 'acv_' and have 47 characters).")
    row = session.exec(select(ApiToken).where(ApiToken.token_sha256 == _digest(raw))).one_or_none()
    if row is None:
        raise AuthenticationError("Unknown API token.")
    now = utcnow()
    if row.revoked_at is not None:
        raise AuthenticationError(f"The API token '{row.name}' ({row.prefix}…) was revoked.")
    if row.expires_at <= now:
        raise AuthenticationError(f"The API token '{row.name}' ({row.prefix}…) expired on {row.expires_at:%Y-%m-%d}; create a new one.")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise AuthenticationError("The API token's user is disabled.")
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now  # at most one write a minute per token
        session.add(row)
    return UserPublic.model_validate(user)


def list_tokens(session: Session, actor, username: str | None = None) -> list[ApiTokenPublic]:
    stmt = select(ApiToken).order_by(ApiToken.id)
    if username is None or username == actor.username:
        require(actor, "token.own")
        stmt = stmt.where(ApiToken.user_id == actor.id)
    else:
        require(actor, "user.manage")
        owner = session.exec(select(User).where(User.username == username)).one_or_none()
        if owner is None:
            raise NotFoundError(f"There is no user called '{username}'.")
        stmt = stmt.where(ApiToken.user_id == owner.id)
    return [ApiTokenPublic.model_validate(t) for t in session.exec(stmt)]


def revoke_token(session: Session, actor, token_id: int) -> ApiTokenPublic:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFoundError(f"API token {token_id} does not exist.")
    if row.user_id != actor.id:
        require(actor, "user.manage")
    else:
        require(actor, "token.own")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        append(session, actor, "token.revoked", "token", row.id, {"name": row.name, "prefix": row.prefix})
    return ApiTokenPublic.model_validate(row)
