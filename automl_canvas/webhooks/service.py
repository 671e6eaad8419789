"""Webhook subscriptions: who is told about which events, at which URL, signed with which secret.

Only http(s) URLs are accepted (no file:, ftp:, data: ...), and only to
public addresses after DNS resolution unless an administrator allowlisted the
network (:mod:`.targets`; delivery checks again).  A new subscription starts
at the current end of the event feed: it receives what happens from now on
(the feed itself serves history).  The secret is stored for signing and never
returned or logged.

A subscription belongs to whoever created it: only they and admins see it,
its delivery log, or can delete it; to anyone else it does not exist (404,
so ids cannot be probed).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from ..audit import append
from ..auth.policy import allowed, require
from ..config import Settings, get_settings
from ..errors import NotFoundError, ValidationError
from ..models import AuditEvent, WebhookDelivery, WebhookDeliveryPublic, WebhookSubscription, WebhookSubscriptionPublic
from ..review.states import EVENT_ACTIONS
from .targets import resolve_target, split_url

__all__ = ["create_subscription", "delete_subscription", "list_deliveries", "list_subscriptions"]


def create_subscription(session: Session, actor, url: str, event_types: list[str] | None, secret: str,
                        settings: Settings | None = None) -> WebhookSubscriptionPublic:
    """Subscribe ``url``; refused before anything is stored when it leads to an address webhooks may not reach."""
    require(actor, "webhook.manage")
    url = (url or "").strip()
    split_url(url)
    types = list(dict.fromkeys(event_types or []))
    unknown = [t for t in types if t not in EVENT_ACTIONS]
    if unknown:
        raise ValidationError(f"Unknown event type(s): {', '.join(unknown)}; known: {', '.join(EVENT_ACTIONS)}.",
                              details={"field": "event_types", "unknown": unknown})
    if not isinstance(secret, str) or not 16 <= len(secret) <= 200:
        raise ValidationError("A webhook secret needs 16-200 characters (it keys the HMAC-SHA256 signature).",
                              details={"field": "secret"})
    resolve_target(url, settings or get_settings())  # last: it may ask DNS
    start = session.exec(select(sa.func.max(AuditEvent.seq))).one() or 0
    row = WebhookSubscription(url=url, event_types=types, secret=secret, created_by_id=actor.id, cursor=start)
    session.add(row)
    session.flush()
    append(session, actor, "webhook.subscribed", "webhook", row.id, {"url": url, "event_types": types})
    return WebhookSubscriptionPublic.model_validate(row)


def _is_admin(actor) -> bool:
    return allowed(actor, "webhook.manage_all")  # everyone's subscriptions (auth/policy.py)


def list_subscriptions(session: Session, actor) -> list[WebhookSubscriptionPublic]:
    """The caller's own active subscriptions (an admin's list has everyone's)."""
    require(actor, "webhook.manage")
    stmt = select(WebhookSubscription).where(WebhookSubscription.is_active.is_(True))
    if not _is_admin(actor):
        stmt = stmt.where(WebhookSubscription.created_by_id == actor.id)
    return [WebhookSubscriptionPublic.model_validate(r) for r in session.exec(stmt.order_by(WebhookSubscription.id))]


def _subscription(session: Session, actor, subscription_id: int) -> WebhookSubscription:
    row = session.get(WebhookSubscription, subscription_id)
    if row is None or not row.is_active or (row.created_by_id != actor.id and not _is_admin(actor)):
        raise NotFoundError(f"Webhook subscription {subscription_id} does not exist (or is not yours).")
    return row


def delete_subscription(session: Session, actor, subscription_id: int) -> WebhookSubscriptionPublic:
    """Stop sending (kept, inactive, with its delivery log)."""
    require(actor, "webhook.manage")
    row = _subscription(session, actor, subscription_id)
    row.is_active = False
    session.add(row)
    append(session, actor, "webhook.unsubscribed", "webhook", row.id, {"url": row.url})
    return WebhookSubscriptionPublic.model_validate(row)


def list_deliveries(session: Session, actor, subscription_id: int, limit: int = 100) -> list[WebhookDeliveryPublic]:
    require(actor, "webhook.manage")
    _subscription(session, actor, subscription_id)
    rows = session.exec(select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
                        .order_by(WebhookDelivery.id.desc()).limit(max(1, min(int(limit), 1000))))
    return [WebhookDeliveryPublic.model_validate(r) for r in rows]
