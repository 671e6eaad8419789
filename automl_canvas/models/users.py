"""People and service accounts; credentials stay on the table row, never in ``UserPublic``."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ._types import created_at_field, time_field

__all__ = ["ROLES", "User", "UserPublic"]

ROLES = ("analyst", "scientist", "deployer", "admin")


class UserBase(SQLModel):
    username: str = Field(index=True, unique=True, max_length=64)
    display_name: str = Field(default="", max_length=200)
    #: Comma-separated subset of :data:`ROLES`.
    roles: str = Field(default="analyst", max_length=200)
    is_active: bool = True


class User(UserBase, table=True):
    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = created_at_field()
    #: argon2id hash (None: the account cannot log in with a password, e.g. a service account).
    password_hash: str | None = Field(default=None, max_length=200)
    #: Consecutive failed logins; reset on success. Drives the throttle.
    failed_logins: int = 0
    locked_until: datetime | None = time_field()
    last_login_at: datetime | None = time_field()

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)


class UserPublic(UserBase):
    id: int
    created_at: datetime

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)
