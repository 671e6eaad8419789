"""Browser sessions (the sign-in cookie of the two apps) and each user's small preferences.

A browser session is created when a person signs in with their password in an
app; the browser gets its secret once, as an HttpOnly cookie set by the API
(automl_canvas/auth/browser_sessions.py says how).  Only sha256 digests of the
secret and of the one-time sign-in ticket are stored: the table alone cannot
sign anyone in.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ._types import created_at_field, time_field

__all__ = ["BrowserSession", "UserPreference"]


class BrowserSession(SQLModel, table=True):
    __tablename__ = "browser_sessions"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    #: sha256 of the one-time ticket the browser exchanges for the cookie (256 random bits: a fast hash is enough).
    ticket_sha256: str = Field(max_length=64, unique=True)
    ticket_expires_at: datetime = time_field(nullable=False)
    #: When the ticket was exchanged (it works once).
    ticket_used_at: datetime | None = time_field()
    #: sha256 of the cookie's secret; None until the ticket is exchanged (the secret is made then, by the API).
    secret_sha256: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = created_at_field()
    #: A fixed lifetime from sign-in (``session_hours``), not extended by use.
    expires_at: datetime = time_field(nullable=False)
    #: Signed out (by the person, or by an admin disabling the account: the user check refuses it then anyway).
    revoked_at: datetime | None = time_field()


class UserPreference(SQLModel, table=True):
    """What a person last chose, kept for them rather than for one browser tab (one row per user)."""

    __tablename__ = "user_preferences"
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    #: The analyst app's current project; read back only while the user may still see it.
    current_project_id: int | None = Field(default=None, foreign_key="projects.id")
    updated_at: datetime = created_at_field()
