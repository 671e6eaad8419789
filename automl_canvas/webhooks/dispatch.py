"""Sending webhooks: turn feed events into deliveries, send them signed, retry with backoff.

Runs in the worker (:class:`Dispatcher`, a thread beside the job loop), never
inside an API request.  Delivery is at-least-once: a delivery row exists per
(subscription, event) before anything is sent, is claimed with a conditional
UPDATE (so two workers never send it at the same moment), and stays pending
until a 2xx answer; receivers de-duplicate on ``X-Canvas-Event-Id``.

Signature: ``X-Canvas-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.
Receivers recompute it over the raw body, compare in constant time and refuse
old timestamps (:func:`verify_signature` does exactly that).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select

from ..audit import list_events
from ..config import Settings
from ..db import session_scope, utcnow
from ..jobs.periodic import Periodic
from ..models import AuditEvent, AuditEventPublic, WebhookDelivery, WebhookSubscription
from ..review.events import event_record
from ..review.states import EVENT_ACTIONS

__all__ = ["Dispatcher", "deliver_due", "dispatch_once", "fan_out", "sign", "signature_header", "verify_signature"]

log = logging.getLogger("automl_canvas.webhooks")
_BATCH = 500


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify_signature(secret: str, header: str, body: bytes, tolerance_seconds: int = 300, now: float | None = None) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and its timestamp is recent."""
    try:
        parts = dict(p.split("=", 1) for p in (header or "").split(","))
        ts = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - ts) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, ts, body), parts.get("v1", ""))


def fan_out(engine: Engine) -> int:
    """Create the pending deliveries for events newer than each subscription's cursor."""
    created = 0
    with session_scope(engine) as s:
        subs = s.exec(select(WebhookSubscription.id).where(WebhookSubscription.is_active.is_(True))).all()
    for sub_id in subs:
        with session_scope(engine) as s:
            sub = s.get(WebhookSubscription, sub_id)
            head = s.exec(select(sa.func.max(AuditEvent.seq))).one() or 0
            if sub is None or head <= sub.cursor:
                continue
            events = [e for e in list_events(s, after=sub.cursor, actions=sub.event_types or list(EVENT_ACTIONS), limit=_BATCH)
                      if e.seq <= head]
            new_cursor = events[-1].seq if len(events) == _BATCH else head
            moved = s.execute(sa.update(WebhookSubscription).where(WebhookSubscription.id == sub_id,
                                                                   WebhookSubscription.cursor == sub.cursor)
                              .values(cursor=new_cursor)).rowcount
            if moved != 1:  # another dispatcher fanned these out meanwhile
                s.rollback()
                continue
            now = utcnow()
            for e in events:
                s.add(WebhookDelivery(subscription_id=sub_id, event_seq=e.seq, event_type=e.action, next_attempt_at=now))
            created += len(events)
    return created


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a redirect is an answer, not a delivery
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int | None, str]:
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            return resp.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {str(getattr(exc, 'reason', exc))[:200]}"


def _backoff(settings: Settings, attempts: int) -> float:
    return min(settings.webhook_backoff_seconds * (2 ** max(0, attempts - 1)), settings.webhook_backoff_max_seconds)


def deliver_due(engine: Engine, settings: Settings, limit: int = 50) -> int:
    """Attempt every pending delivery whose time has come; returns how many answered 2xx."""
    now = utcnow()
    with session_scope(engine) as s:
        ids = s.exec(select(WebhookDelivery.id).where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
                     .order_by(WebhookDelivery.id).limit(limit)).all()
    delivered = 0
    for delivery_id in ids:
        lease_until = utcnow() + timedelta(seconds=settings.webhook_timeout_seconds + 30)
        with session_scope(engine) as s:
            won = s.execute(sa.update(WebhookDelivery).where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending",
                                                             WebhookDelivery.next_attempt_at <= utcnow())
                            .values(next_attempt_at=lease_until)).rowcount
            if won != 1:
                continue
            d = s.get(WebhookDelivery, delivery_id)
            sub = s.get(WebhookSubscription, d.subscription_id)
            event = s.exec(select(AuditEvent).where(AuditEvent.seq == d.event_seq)).one()
            url, secret = sub.url, sub.secret
            body = json.dumps(event_record(AuditEventPublic.model_validate(event)), sort_keys=True,
                              separators=(",", ":")).encode("utf-8")
        ts = int(time.time())
        headers = {"Content-Type": "application/json", "User-Agent": "AutoML-Canvas-Webhooks/1",
                   "X-Canvas-Event-Id": str(d.event_seq), "X-Canvas-Event-Type": d.event_type,
                   "X-Canvas-Delivery-Attempt": str(d.attempts + 1), "X-Canvas-Signature": signature_header(secret, ts, body)}
        started = time.monotonic()
        code, error = _post(url, body, headers, settings.webhook_timeout_seconds)
        ok = code is not None and 200 <= code < 300
        with session_scope(engine) as s:
            d = s.get(WebhookDelivery, delivery_id)
            d.attempts += 1
            d.last_status_code, d.last_error = code, error[:500]
            d.log = [*d.log, {"at": utcnow().isoformat(), "status_code": code, "error": error[:200],
                              "seconds": round(time.monotonic() - started, 3)}][-20:]
            if ok:
                d.status, d.delivered_at = "delivered", utcnow()
                delivered += 1
            elif d.attempts >= settings.webhook_max_attempts:
                d.status = "failed"
                log.warning("webhook delivery %s (event %s) failed after %s attempts: %s", d.id, d.event_seq, d.attempts, error)
            else:
                d.next_attempt_at = utcnow() + timedelta(seconds=_backoff(settings, d.attempts))
            s.add(d)
    return delivered


def dispatch_once(engine: Engine, settings: Settings) -> int:
    fan_out(engine)
    return deliver_due(engine, settings)


class Dispatcher(Periodic):
    """The worker's webhook thread: fan out and deliver every ``webhook_poll_seconds``."""

    def __init__(self, engine: Engine, settings: Settings):
        super().__init__("canvas-webhooks", settings.webhook_poll_seconds, lambda: dispatch_once(engine, settings),
                         join_timeout=settings.webhook_timeout_seconds + 5)
