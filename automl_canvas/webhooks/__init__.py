"""Webhooks for deployment tooling: subscriptions, signed deliveries sent by the worker, a delivery log."""

from .dispatch import Dispatcher, dispatch_once
from .service import create_subscription, delete_subscription, list_deliveries, list_subscriptions
from .signing import sign, signature_header, standard_headers, verify_signature, verify_standard
from .targets import resolve_target

__all__ = ["Dispatcher", "create_subscription", "delete_subscription", "dispatch_once", "list_deliveries",
           "list_subscriptions", "resolve_target", "sign", "signature_header", "standard_headers", "verify_signature",
           "verify_standard"]
