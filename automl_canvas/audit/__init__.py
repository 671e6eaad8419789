"""The tamper-evident audit log: append, verify, read (and the event feed built on it)."""

from .log import GENESIS_HASH, VerifyResult, append, event_hash, list_events, verify_chain

__all__ = ["GENESIS_HASH", "VerifyResult", "append", "event_hash", "list_events", "verify_chain"]
