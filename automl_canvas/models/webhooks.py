"""Webhook subscriptions of deployment tooling and the log of every delivery attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ..db import UTCDateTime
from ._types import created_at_field, json_field, time_field

__all__ = ["DELIVERY_STATUSES", "WebhookDelivery", "WebhookDeliveryPublic", "WebhookSubscription", "WebhookSubscriptionPublic"]

#: pending: waiting for its (next) attempt; delivered: a 2xx answer; failed: gave up after the attempt cap.
DELIVERY_STATUSES = ("pending", "delivered", "failed")


class WebhookSubscriptionBase(SQLModel):
    url: str = Field(max_length=2000)
    #: Event types to send (empty: every event type of the feed).
    event_types: list[str] = json_field(list)
    is_active: bool = True
    created_by_id: int = Field(foreign_key="users.id")
    #: Audit seq up to which events have been turned into deliveries for this subscription.
    cursor: int = 0


class WebhookSubscription(WebhookSubscriptionBase, table=True):
    __tablename__ = "webhook_subscriptions"
    id: int | None = Field(default=None, primary_key=True)
    #: HMAC key for the signature; never returned by the API, never logged.
    secret: str = Field(max_length=200)
    created_at: datetime = created_at_field()


class WebhookSubscriptionPublic(WebhookSubscriptionBase):
    id: int
    created_at: datetime


class WebhookDeliveryBase(SQLModel):
    subscription_id: int = Field(foreign_key="webhook_subscriptions.id", index=True)
    event_seq: int = Field(index=True)
    event_type: str = Field(max_length=64)
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str = Field(default="", max_length=500)


class WebhookDelivery(WebhookDeliveryBase, table=True):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (sa.UniqueConstraint("subscription_id", "event_seq", name="uq_webhook_delivery_event"),)
    id: int | None = Field(default=None, primary_key=True)
    #: Attempt log: [{at, status_code, error, seconds}], newest last.
    log: list[dict[str, Any]] = json_field(list)
    next_attempt_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    delivered_at: datetime | None = time_field()
    created_at: datetime = created_at_field()


class WebhookDeliveryPublic(WebhookDeliveryBase):
    id: int
    log: list[dict[str, Any]]
    next_attempt_at: datetime
    delivered_at: datetime | None = None
    created_at: datetime
