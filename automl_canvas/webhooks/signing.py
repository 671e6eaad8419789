"""Webhook signatures: the Standard Webhooks format, and the deprecated ``X-Canvas-Signature`` beside it.

Standard Webhooks (https://www.standardwebhooks.com) so receivers can verify
with that project's libraries instead of hand-written code::

    webhook-id:        evt_<event id>          (the same on every retry: de-duplicate on it)
    webhook-timestamp: <unix seconds>
    webhook-signature: v1,<base64 HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>")>

The key is the subscription's secret: a ``whsec_<base64>`` secret is decoded
as the standard says; any other secret is used as its UTF-8 bytes (with a
Standard Webhooks library, pass ``"whsec_" + base64(secret)``).

Deprecated, sent for one more release: ``X-Canvas-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``
(and ``X-Canvas-Event-Id``/``-Event-Type``/``-Delivery-Attempt``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time

__all__ = ["message_id", "secret_key", "sign", "signature_header", "standard_headers", "standard_signature",
           "verify_signature", "verify_standard"]

_PREFIX = "whsec_"


def secret_key(secret: str) -> bytes:
    """The HMAC key of a subscription secret (see the module docstring)."""
    if secret.startswith(_PREFIX):
        try:
            return base64.b64decode(secret[len(_PREFIX):], validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode("utf-8")


def message_id(event_seq: int) -> str:
    return f"evt_{event_seq}"


def standard_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode("ascii")


def standard_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": standard_signature(secret, msg_id, timestamp, body)}


def verify_standard(secret: str, headers: dict[str, str], body: bytes, tolerance_seconds: int = 300,
                    now: float | None = None) -> bool:
    """True when the Standard Webhooks headers sign ``body`` with ``secret`` and the timestamp is recent.

    ``webhook-signature`` may carry several space-separated signatures (key rotation): one match is enough.
    """
    h = {k.lower(): v for k, v in (headers or {}).items()}
    msg_id, ts = h.get("webhook-id", ""), h.get("webhook-timestamp", "")
    if not msg_id or not ts.isdigit():
        return False
    if abs((now if now is not None else time.time()) - int(ts)) > tolerance_seconds:
        return False
    expected = standard_signature(secret, msg_id, int(ts), body)
    return any(hmac.compare_digest(expected, sig) for sig in h.get("webhook-signature", "").split())


# Deprecated format (kept one release for existing receivers).

def sign(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify_signature(secret: str, header: str, body: bytes, tolerance_seconds: int = 300, now: float | None = None) -> bool:
    """Deprecated ``X-Canvas-Signature`` check: True when ``header`` signs ``body`` with ``secret`` and is recent."""
    try:
        parts = dict(p.split("=", 1) for p in (header or "").split(","))
        ts = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - ts) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, ts, body), parts.get("v1", ""))
