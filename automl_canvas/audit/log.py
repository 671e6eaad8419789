"""Append-only, hash-chained audit log.

Each event stores ``prev_hash`` (the previous event's ``hash``) and ``hash`` =
sha256(canonical JSON of the event's fields + ``prev_hash``).  Editing, deleting
or reordering any row breaks the chain from that row on, and
:func:`verify_chain` names the first broken link.  On PostgreSQL a trigger also
refuses UPDATE and DELETE (migration 0003).

Appends are serialised so the chain stays linear: on PostgreSQL by a
transaction-scoped advisory lock (released at commit, so sequence numbers also
commit in order - the event feed relies on that); on SQLite by taking its
single write lock before the last event is read.  ``seq`` is unique, so a lost race fails loudly instead of forking the
chain.  An event is written in the caller's transaction: it exists exactly when
the change it records does.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from ..db import utcnow
from ..models import AuditEvent, AuditEventPublic
from ..serialization import json_safe

__all__ = ["GENESIS_HASH", "VerifyResult", "append", "event_hash", "list_events", "verify_chain"]

GENESIS_HASH = "0" * 64
#: Any constant: the key of the PostgreSQL advisory lock that serialises appends.
_LOCK_KEY = 0x41554449  # "AUDI"


def _canonical_time(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(*, seq: int, at: datetime, actor_id: int | None, actor_name: str, action: str, subject_type: str,
               subject_id: int | None, payload: dict[str, Any], prev_hash: str) -> str:
    body = {
        "seq": seq, "at": _canonical_time(at), "actor_id": actor_id, "actor_name": actor_name, "action": action,
        "subject_type": subject_type, "subject_id": subject_id, "payload": payload,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256((canonical + prev_hash).encode("utf-8")).hexdigest()


def append(session: Session, actor, action: str, subject_type: str = "", subject_id: int | None = None,
           payload: dict[str, Any] | None = None) -> AuditEventPublic:
    """Add one event to the chain inside the caller's transaction."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    elif dialect == "sqlite":
        # A write that changes nothing takes SQLite's write lock now, before the last hash is read,
        # so two appends can never read the same predecessor.
        session.execute(sa.text("UPDATE audit_log SET seq = seq WHERE 0"))
    last = session.exec(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    # Round-trip the payload through JSON now, so what is hashed is exactly what is stored and read back.
    clean = json.loads(json.dumps(json_safe(payload or {}), allow_nan=False, default=str))
    at = utcnow()
    actor_id = getattr(actor, "id", None)
    actor_name = getattr(actor, "username", "") if actor is not None else ""
    digest = event_hash(seq=seq, at=at, actor_id=actor_id, actor_name=actor_name, action=action,
                        subject_type=subject_type, subject_id=subject_id, payload=clean, prev_hash=prev)
    row = AuditEvent(seq=seq, at=at, actor_id=actor_id, actor_name=actor_name, action=action, subject_type=subject_type,
                     subject_id=subject_id, payload=clean, prev_hash=prev, hash=digest)
    session.add(row)
    session.flush()
    return AuditEventPublic.model_validate(row)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    #: seq of the first event whose link or content does not verify (None when ok).
    first_broken_seq: int | None = None
    reason: str = ""

    def describe(self) -> str:
        if self.ok:
            return f"audit log intact: {self.checked} event(s), every hash verifies"
        return f"audit log BROKEN at event {self.first_broken_seq}: {self.reason} ({self.checked} verified before it)"


def verify_chain(session: Session, batch: int = 5000) -> VerifyResult:
    """Recompute every hash in order; stop at the first event that does not match."""
    prev, expected_seq, checked, last_seq = GENESIS_HASH, 1, 0, 0
    while True:
        rows = session.exec(select(AuditEvent).where(AuditEvent.seq > last_seq).order_by(AuditEvent.seq).limit(batch)).all()
        if not rows:
            return VerifyResult(True, checked)
        for r in rows:
            if r.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, f"event {expected_seq} is missing (next is {r.seq})")
            if r.prev_hash != prev:
                return VerifyResult(False, checked, r.seq, "its prev_hash does not match the previous event's hash")
            digest = event_hash(seq=r.seq, at=r.at, actor_id=r.actor_id, actor_name=r.actor_name, action=r.action,
                                subject_type=r.subject_type, subject_id=r.subject_id, payload=r.payload, prev_hash=r.prev_hash)
            if digest != r.hash:
                return VerifyResult(False, checked, r.seq, "its content does not match its hash (the row was edited)")
            prev, expected_seq, checked, last_seq = r.hash, r.seq + 1, checked + 1, r.seq


def list_events(session: Session, *, after: int = 0, actions: tuple[str, ...] | list[str] | None = None,
                subject_type: str | None = None, subject_id: int | None = None, limit: int = 100) -> list[AuditEventPublic]:
    """Events with ``seq > after`` in order (a durable cursor for pollers), optionally filtered."""
    stmt = select(AuditEvent).where(AuditEvent.seq > after)
    if actions:
        stmt = stmt.where(AuditEvent.action.in_(list(actions)))
    if subject_type is not None:
        stmt = stmt.where(AuditEvent.subject_type == subject_type)
    if subject_id is not None:
        stmt = stmt.where(AuditEvent.subject_id == subject_id)
    rows = session.exec(stmt.order_by(AuditEvent.seq).limit(max(1, min(int(limit), 1000))))
    return [AuditEventPublic.model_validate(r) for r in rows]
