"""Webhook subscriptions: who is told about which events, at which URL, signed with which secret.

Only http(s) URLs are accepted (no file:, ftp:, data: ...).  A new
subscription starts at the current end of the event feed: it receives what
happens from now on (the feed itself serves history).  The secret is stored
for signing and never returned or logged.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlmodel import Session, select

from ..audit import append
from ..auth.policy import require
from ..errors import NotFoundError, ValidationError
from ..models import AuditEvent, WebhookDelivery, WebhookDeliveryPublic, WebhookSubscription, WebhookSubscriptionPublic
from ..review.states import EVENT_ACTIONS

__all__ = ["create_subscription", "delete_subscription", "list_deliveries", "list_subscriptions"]


def _check_url(url: str) -> str:
    url = (url or "").strip()
    try:
        parts = urlsplit(url) if len(url) <= 2000 and url.isprintable() else None
        host = parts.hostname if parts else None
    except ValueError:  # e.g. an unclosed IPv6 bracket
        parts, host = None, None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        raise ValidationError("A webhook URL must be an http:// or https:// address with a host (at most 2,000 characters).",
                              details={"field": "url"})
    return url


def create_subscription(session: Session, actor, url: str, event_types: list[str] | None, secret: str) -> WebhookSubscriptionPublic:
    require(actor, "webhook.manage")
    url = _check_url(url)
    types = list(dict.fromkeys(event_types or []))
    unknown = [t for t in types if t not in EVENT_ACTIONS]
    if unknown:
        raise ValidationError(f"Unknown event type(s): {', '.join(unknown)}; known: {', '.join(EVENT_ACTIONS)}.",
                              details={"field": "event_types", "unknown": unknown})
    if not isinstance(secret, str) or not 16 <= len(secret) <= 200:
        raise ValidationError("A webhook secret needs 16-200 characters (it keys the HMAC-SHA256 signature).",
                              details={"field": "secret"})
    start = session.exec(select(sa.func.max(AuditEvent.seq))).one() or 0
    row = WebhookSubscription(url=url, event_types=types, secret=secret, created_by_id=actor.id, cursor=start)
    session.add(row)
    session.flush()
    append(session, actor, "webhook.subscribed", "webhook", row.id, {"url": url, "event_types": types})
    return WebhookSubscriptionPublic.model_validate(row)


def list_subscriptions(session: Session, actor) -> list[WebhookSubscriptionPublic]:
    require(actor, "webhook.manage")
    rows = session.exec(select(WebhookSubscription).where(WebhookSubscription.is_active.is_(True)).order_by(WebhookSubscription.id))
    return [WebhookSubscriptionPublic.model_validate(r) for r in rows]


def _subscription(session: Session, subscription_id: int) -> WebhookSubscription:
    row = session.get(WebhookSubscription, subscription_id)
    if row is None or not row.is_active:
        raise NotFoundError(f"Webhook subscription {subscription_id} does not exist.")
    return row


def delete_subscription(session: Session, actor, subscription_id: int) -> WebhookSubscriptionPublic:
    """Stop sending (kept, inactive, with its delivery log)."""
    require(actor, "webhook.manage")
    row = _subscription(session, subscription_id)
    row.is_active = False
    session.add(row)
    append(session, actor, "webhook.unsubscribed", "webhook", row.id, {"url": row.url})
    return WebhookSubscriptionPublic.model_validate(row)


def list_deliveries(session: Session, actor, subscription_id: int, limit: int = 100) -> list[WebhookDeliveryPublic]:
    require(actor, "webhook.manage")
    _subscription(session, subscription_id)
    rows = session.exec(select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
                        .order_by(WebhookDelivery.id.desc()).limit(max(1, min(int(limit), 1000))))
    return [WebhookDeliveryPublic.model_validate(r) for r in rows]
