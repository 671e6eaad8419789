"""Webhook subscriptions and their delivery log (deliveries are sent by the worker)."""

from __future__ import annotations

from fastapi import APIRouter

from automl_canvas import webhooks
from automl_canvas.models import WebhookDeliveryPublic, WebhookSubscriptionPublic

from ..deps import Id, ctx_dep
from ..schemas import WebhookIn

router = APIRouter(tags=["webhooks"])


@router.post("/webhooks", response_model=WebhookSubscriptionPublic, status_code=201,
             summary="Subscribe a public http(s) URL (internal addresses are refused unless allowlisted)")
def subscribe(body: WebhookIn, ctx: ctx_dep):
    with ctx.session() as s:
        return webhooks.create_subscription(s, ctx.actor, body.url, body.event_types, body.secret, settings=ctx.settings)


@router.get("/webhooks", response_model=list[WebhookSubscriptionPublic], summary="Your subscriptions (an admin sees all)")
def subscriptions(ctx: ctx_dep):
    with ctx.session() as s:
        return webhooks.list_subscriptions(s, ctx.actor)


@router.delete("/webhooks/{subscription_id}", response_model=WebhookSubscriptionPublic)
def unsubscribe(subscription_id: Id, ctx: ctx_dep):
    with ctx.session() as s:
        return webhooks.delete_subscription(s, ctx.actor, subscription_id)


@router.get("/webhooks/{subscription_id}/deliveries", response_model=list[WebhookDeliveryPublic])
def deliveries(subscription_id: Id, ctx: ctx_dep):
    with ctx.session() as s:
        return webhooks.list_deliveries(s, ctx.actor, subscription_id)
