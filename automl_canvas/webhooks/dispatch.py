"""Sending webhooks: turn feed events into deliveries, send them signed, retry with backoff.

Runs in the worker (:class:`Dispatcher`, a thread beside the job loop), never
inside an API request.  Delivery is at-least-once: a delivery row exists per
(subscription, event) before anything is sent, is claimed with a conditional
UPDATE (so two workers never send it at the same moment), and stays pending
until a 2xx answer; receivers de-duplicate on ``webhook-id``.

Signatures follow Standard Webhooks (see :mod:`.signing`); the older
``X-Canvas-*`` headers are still sent, deprecated, for one release.

Every attempt re-checks the target (:mod:`.targets`): the host is resolved
again, every address must still be allowed, and the connection goes to the
address just checked, so DNS rebinding cannot redirect a delivery inward.
A refused target counts as a failed attempt; nothing is sent.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
import time
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select

from ..audit import list_events
from ..config import Settings
from ..db import session_scope, utcnow
from ..errors import CanvasError
from ..jobs.periodic import Periodic
from ..models import AuditEvent, AuditEventPublic, WebhookDelivery, WebhookSubscription
from ..review.events import event_record
from ..review.states import EVENT_ACTIONS
from .signing import message_id, signature_header, standard_headers
from .targets import resolve_target

__all__ = ["Dispatcher", "deliver_due", "dispatch_once", "fan_out"]

log = logging.getLogger("automl_canvas.webhooks")
_BATCH = 500


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


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to an address checked beforehand instead of resolving the host again (no DNS rebinding)."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above, with TLS verified against the host name (SNI and certificate check use the name, not the address)."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _post(url: str, body: bytes, headers: dict[str, str], settings: Settings) -> tuple[int | None, str]:
    """POST once to ``url`` after checking where it leads; a redirect is an answer (3xx), never followed."""
    try:
        host, port, address = resolve_target(url, settings)
    except CanvasError as exc:
        return None, f"Not sent: {exc.message}"
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    cls = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    conn = cls(host, port, str(address), settings.webhook_timeout_seconds)
    try:
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        resp.read(64 * 1024)
        return resp.status, "" if 200 <= resp.status < 300 else f"HTTP {resp.status}"
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return None, f"{type(exc).__name__}: {str(exc)[:200]}"
    finally:
        conn.close()


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
                   **standard_headers(secret, message_id(d.event_seq), ts, body),
                   # Deprecated (one more release): the pre-Standard-Webhooks headers.
                   "X-Canvas-Event-Id": str(d.event_seq), "X-Canvas-Event-Type": d.event_type,
                   "X-Canvas-Delivery-Attempt": str(d.attempts + 1), "X-Canvas-Signature": signature_header(secret, ts, body)}
        started = time.monotonic()
        code, error = _post(url, body, headers, settings)
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
