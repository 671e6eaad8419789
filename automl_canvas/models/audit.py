"""The append-only, hash-chained audit log (also the source of the event feed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from ._types import created_at_field, json_field

__all__ = ["AuditEvent", "AuditEventPublic"]


class AuditEventBase(SQLModel):
    #: 1, 2, 3… with no gaps: the position in the chain (ids from a sequence may skip).
    seq: int = Field(unique=True, index=True)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    actor_name: str = Field(default="", max_length=64)
    action: str = Field(max_length=64, index=True)
    subject_type: str = Field(default="", max_length=32)
    subject_id: int | None = None
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    #: Id of the key the hash is an HMAC with (audit_key_id); None on events written before the chain was keyed.
    key_id: str | None = Field(default=None, max_length=32)


class AuditEvent(AuditEventBase, table=True):
    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    payload: dict[str, Any] = json_field()
    at: datetime = created_at_field()


class AuditEventPublic(AuditEventBase):
    id: int
    payload: dict[str, Any]
    at: datetime
