"""The event feed deployment tooling polls: real transitions only, in order, from the audit log.

Each event's id is its audit ``seq`` (gap-free, committed in order), so
``after=<last id seen>`` is a durable cursor: polling again with the same
cursor returns the same events, and no event is skipped.  A caller sees the
events of versions they may see (automl_canvas/auth/policy.py: deployment
tooling all of them, an analyst those of their projects).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from ..audit import list_events
from ..auth.policy import require
from ..auth.resources import Access
from ..errors import NotFoundError, ValidationError
from ..models import AuditEventPublic
from .states import EVENT_ACTIONS

__all__ = ["event_feed", "event_record"]


def event_record(e: AuditEventPublic) -> dict[str, Any]:
    """One event as published on the feed and in webhook bodies."""
    return {"id": e.seq, "type": e.action, "at": e.at.isoformat(), "actor": e.actor_name,
            "subject": {"type": e.subject_type, "id": e.subject_id}, "data": e.payload}


def event_feed(session: Session, actor, after: int = 0, limit: int = 100, types: list[str] | None = None) -> dict[str, Any]:
    """Events with id > ``after`` (oldest first) and the cursor to send next time."""
    require(actor, "events.read")
    if after < 0 or not 1 <= limit <= 1000:
        raise ValidationError("'after' must be 0 or more and 'limit' between 1 and 1000.")
    unknown = sorted(set(types or ()) - set(EVENT_ACTIONS))
    if unknown:
        raise ValidationError(f"Unknown event type(s): {', '.join(unknown)}.", details={"known": list(EVENT_ACTIONS)})
    events = list_events(session, after=after, actions=list(types) if types else list(EVENT_ACTIONS), limit=limit)
    access = Access(session, actor)
    shown = [e for e in events if _visible(access, e)]
    # the cursor moves past events the caller may not see too, so polling goes on where the page ended
    return {"events": [event_record(e) for e in shown], "next_cursor": events[-1].seq if events else after}


def _visible(access: Access, e: AuditEventPublic) -> bool:
    """Events about versions of projects the caller may not see are left out (deployment tooling sees all)."""
    version_id = e.subject_id if e.subject_type == "model_version" else (e.payload or {}).get("version_id")
    if version_id is None:
        return True
    try:
        return access.allowed("events.read", access.version(int(version_id)))
    except NotFoundError:
        return False
