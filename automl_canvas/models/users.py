"""People and service accounts. The governance layer adds credentials."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ._types import created_at_field

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

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)


class UserPublic(UserBase):
    id: int
    created_at: datetime

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)
