"""Webhooks for deployment tooling: subscriptions, signed deliveries sent by the worker, a delivery log."""

from .dispatch import Dispatcher, dispatch_once, sign, signature_header, verify_signature
from .service import create_subscription, delete_subscription, list_deliveries, list_subscriptions

__all__ = ["Dispatcher", "create_subscription", "delete_subscription", "dispatch_once", "list_deliveries",
           "list_subscriptions", "sign", "signature_header", "verify_signature"]
