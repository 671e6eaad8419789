"""Append-only, keyed hash chain: the audit log.

Each event stores ``prev_hash`` (the previous event's ``hash``) and ``hash`` =
HMAC-SHA256(key, canonical JSON of the event's fields and its ``key_id`` +
``prev_hash``), with a key that is not in the database (audit/keys.py).
Editing, deleting or reordering a row breaks the chain from that row on, and
recomputing the chain after an edit needs the key.  After each commit a signed
head checkpoint goes to a folder outside the database (audit/checkpoints.py),
so deleting the newest rows is seen too.  :func:`verify_chain` checks both and
says which check failed.  Events written before the chain was keyed
(``key_id`` NULL) verify with the old unkeyed sha256 rule, up to the first
keyed event only.  On PostgreSQL a trigger also refuses UPDATE and DELETE
(migration 0003).

Appends are serialised so the chain stays linear: on PostgreSQL by a
transaction-scoped advisory lock (released at commit, so sequence numbers also
commit in order - the event feed relies on that); on SQLite by taking its
single write lock before the last event is read.  ``seq`` is unique, so a lost race fails loudly instead of forking the
chain.  An event is written in the caller's transaction: it exists exactly when
the change it records does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlmodel import Session, select

from ..config import Settings, get_settings
from ..db import settings_of, utcnow
from ..models import AuditEvent, AuditEventPublic
from ..serialization import json_safe
from .checkpoints import newest_checkpoint, signature_ok, write_checkpoint
from .keys import Keyring, keyring_for

__all__ = ["GENESIS_HASH", "VerifyResult", "append", "event_hash", "list_events", "verify_chain"]

GENESIS_HASH = "0" * 64
#: Any constant: the key of the PostgreSQL advisory lock that serialises appends.
_LOCK_KEY = 0x41554449  # "AUDI"


def _canonical_time(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(*, seq: int, at: datetime, actor_id: int | None, actor_name: str, action: str, subject_type: str,
               subject_id: int | None, payload: dict[str, Any], prev_hash: str, key: bytes | None = None,
               key_id: str | None = None) -> str:
    """The event's hash: HMAC-SHA256 with ``key`` (its id is part of what is signed), or without a key the
    legacy unkeyed sha256 that events written before the chain was keyed carry."""
    body = {
        "seq": seq, "at": _canonical_time(at), "actor_id": actor_id, "actor_name": actor_name, "action": action,
        "subject_type": subject_type, "subject_id": subject_id, "payload": payload,
    }
    if key is not None:
        body["key_id"] = key_id
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    message = (canonical + prev_hash).encode("utf-8")
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _settings(session: Session) -> Settings:
    return settings_of(session.get_bind()) or get_settings()


_PENDING = "automl_canvas.audit.pending_checkpoint"


def _after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending is not None:
        folder, keyring, seq, digest = pending
        write_checkpoint(folder, keyring, seq, digest)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _checkpoint_after_commit(session: Session, settings: Settings, keyring: Keyring, seq: int, digest: str) -> None:
    """Remember the newest head of this transaction; it is written once the commit has happened."""
    if not session.info.get(_PENDING + ".listening"):
        sa_event.listen(session, "after_commit", _after_commit)
        sa_event.listen(session, "after_rollback", _after_rollback)
        session.info[_PENDING + ".listening"] = True
    session.info[_PENDING] = (settings.audit_checkpoint_dir, keyring, seq, digest)


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
    settings = _settings(session)
    keyring = keyring_for(settings, create=True)
    key_id, key = keyring.current  # type: ignore[misc] - create=True always yields a current key
    digest = event_hash(seq=seq, at=at, actor_id=actor_id, actor_name=actor_name, action=action,
                        subject_type=subject_type, subject_id=subject_id, payload=clean, prev_hash=prev,
                        key=key, key_id=key_id)
    row = AuditEvent(seq=seq, at=at, actor_id=actor_id, actor_name=actor_name, action=action, subject_type=subject_type,
                     subject_id=subject_id, payload=clean, prev_hash=prev, hash=digest, key_id=key_id)
    session.add(row)
    session.flush()
    _checkpoint_after_commit(session, settings, keyring, seq, digest)
    return AuditEventPublic.model_validate(row)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    #: seq of the first event whose link or content does not verify (None when ok or when the checkpoint failed).
    first_broken_seq: int | None = None
    reason: str = ""
    #: Which check failed: "chain" (links, hashes, keys) or "checkpoint" (the newest head written outside the
    #: database); "" when ok.
    failed_check: str = ""
    #: seq of the newest checkpoint that was matched (None: there was none to match).
    checkpoint_seq: int | None = None

    def describe(self) -> str:
        if self.ok:
            anchored = (f"; the newest checkpoint (event {self.checkpoint_seq}) matches" if self.checkpoint_seq
                        else "; no checkpoint to compare (no keyed event yet)")
            return f"audit log intact: {self.checked} event(s), every hash verifies{anchored}"
        if self.failed_check == "checkpoint":
            return f"audit log BROKEN (checkpoint check): {self.reason} (the chain itself verified: {self.checked} event(s))"
        return (f"audit log BROKEN at event {self.first_broken_seq} (chain check): {self.reason} "
                f"({self.checked} verified before it)")


def _row_hash(r: AuditEvent, key: bytes | None) -> str:
    return event_hash(seq=r.seq, at=r.at, actor_id=r.actor_id, actor_name=r.actor_name, action=r.action,
                      subject_type=r.subject_type, subject_id=r.subject_id, payload=r.payload, prev_hash=r.prev_hash,
                      key=key, key_id=r.key_id)


def _broken_link(r: AuditEvent, prev: str, keyring: Keyring, keyed_seen: bool) -> str:
    """Why ``r`` does not verify, or "" when it does."""
    if r.prev_hash != prev:
        return "its prev_hash does not match the previous event's hash"
    if r.key_id is None:
        if keyed_seen:
            return "it carries no key id although earlier events are keyed (the chain was re-written without the key)"
        key = None
    else:
        key = keyring.key(r.key_id)
        if key is None:
            return (f"it is keyed with key id '{r.key_id}', which is not configured here "
                    "(add the old key to audit_old_keys, or restore the key file)")
    if not hmac.compare_digest(_row_hash(r, key), r.hash):
        return "its content does not match its hash (the row was edited)"
    return ""


def _check_checkpoint(session: Session, settings: Settings, keyring: Keyring, checked: int, head: int,
                      keyed_seen: bool) -> VerifyResult:
    def fail(reason: str) -> VerifyResult:
        return VerifyResult(False, checked, None, reason, "checkpoint")

    try:
        cp = newest_checkpoint(settings.audit_checkpoint_dir)
    except ValueError as exc:
        return fail(f"the newest {exc}")
    if cp is None:
        if keyed_seen:
            return fail("no checkpoint was found in the checkpoint folder (audit_checkpoint_dir), although the "
                        "chain has keyed events: the checkpoints were removed, or this is not the folder they go to")
        return VerifyResult(True, checked)
    good = signature_ok(keyring, cp)
    if good is None:
        return fail(f"the newest checkpoint (event {cp.seq}) is signed with key id '{cp.key_id}', which is not configured here")
    if not good:
        return fail(f"the newest checkpoint (event {cp.seq}) has a signature that does not verify (it was forged or edited)")
    row = session.exec(select(AuditEvent.hash).where(AuditEvent.seq == cp.seq)).first()
    if row is None:
        return fail(f"the newest checkpoint is event {cp.seq}, but the chain ends at event {head}: "
                    f"the newest {cp.seq - head} event(s) were deleted")
    if not hmac.compare_digest(row, cp.hash):
        return fail(f"event {cp.seq} does not have the hash its checkpoint recorded (the chain was re-written)")
    return VerifyResult(True, checked, checkpoint_seq=cp.seq)


def verify_chain(session: Session, batch: int = 5000, settings: Settings | None = None) -> VerifyResult:
    """Recompute every hash in order with the configured keys, stopping at the first event that does not
    verify; then require the newest signed checkpoint's event to be in the chain with the same hash."""
    settings = settings or _settings(session)
    keyring = keyring_for(settings, create=False)
    prev, expected_seq, checked, last_seq, keyed_seen = GENESIS_HASH, 1, 0, 0, False
    while True:
        rows = session.exec(select(AuditEvent).where(AuditEvent.seq > last_seq).order_by(AuditEvent.seq).limit(batch)).all()
        if not rows:
            return _check_checkpoint(session, settings, keyring, checked, last_seq, keyed_seen)
        for r in rows:
            if r.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, f"event {expected_seq} is missing (next is {r.seq})", "chain")
            why = _broken_link(r, prev, keyring, keyed_seen)
            if why:
                return VerifyResult(False, checked, r.seq, why, "chain")
            keyed_seen = keyed_seen or r.key_id is not None
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
