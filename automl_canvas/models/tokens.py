"""API tokens: random secrets shown once, stored only as a sha256 digest."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ._types import created_at_field, time_field

__all__ = ["ApiToken", "ApiTokenPublic"]


class ApiTokenBase(SQLModel):
    user_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(max_length=200)
    #: The first characters of the token (``acv_XXXXXXXX``): lets a person tell tokens apart without the secret.
    prefix: str = Field(max_length=16, index=True)


class ApiToken(ApiTokenBase, table=True):
    __tablename__ = "api_tokens"
    id: int | None = Field(default=None, primary_key=True)
    #: sha256 of the whole token. Tokens carry 256 random bits, so a fast hash is enough (no KDF needed).
    token_sha256: str = Field(max_length=64, unique=True)
    created_at: datetime = created_at_field()
    expires_at: datetime = time_field(nullable=False)
    revoked_at: datetime | None = time_field()
    last_used_at: datetime | None = time_field()


class ApiTokenPublic(ApiTokenBase):
    id: int
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
