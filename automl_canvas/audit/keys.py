"""The audit chain's keys: the one new events are keyed with, and every earlier one by id.

The chain is an HMAC-SHA256 chain, so recomputing it after editing a row needs
a secret the database does not hold.  The key comes from ``audit_key`` (env
``AUTOML_CANVAS_AUDIT_KEY``) with its id ``audit_key_id``; keys retired by a
rotation stay in ``audit_old_keys`` (by id) so the events they keyed still
verify.  With no key configured, one is generated on first use into
``<home>/audit.key`` (mode 0600, ``<key id> <hex secret>``): a single machine
works out of the box, and the file is also read as an old key after an
operator moves to a configured key.  Keys never reach a log or a message.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Settings

__all__ = ["KEY_FILE_NAME", "Keyring", "keyring_for"]

KEY_FILE_NAME = "audit.key"


@dataclass(frozen=True)
class Keyring:
    #: (key id, secret) new events are keyed with; None when verifying only and no key exists yet.
    current: tuple[str, bytes] | None
    by_id: dict[str, bytes] = field(default_factory=dict)

    def key(self, key_id: str) -> bytes | None:
        return self.by_id.get(key_id)

    def __repr__(self) -> str:  # never show a secret, even in a traceback
        return f"Keyring(current={self.current[0] if self.current else None!r}, ids={sorted(self.by_id)!r})"


def _read_key_file(path: Path) -> tuple[str, bytes] | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    key_id, _, secret = text.partition(" ")
    if not key_id or not secret:
        raise RuntimeError(f"The audit key file {path} is not '<key id> <secret>'; restore it from a backup.")
    return key_id, bytes.fromhex(secret)


def _create_key_file(path: Path) -> tuple[str, bytes]:
    """Write a new random key with 0600 permissions; if another process won the race, use its key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key_id, secret = f"file-{secrets.token_hex(4)}", secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        found = _read_key_file(path)
        assert found is not None
        return found
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(f"{key_id} {secret.hex()}\n")
    return key_id, secret


def keyring_for(settings: Settings, *, create: bool) -> Keyring:
    """All keys ``settings`` knows. ``create``: generate the home key file if no key is configured (appends do)."""
    by_id = {kid: s.get_secret_value().encode("utf-8") for kid, s in settings.audit_old_keys.items()}
    path = settings.home / KEY_FILE_NAME
    from_file = _read_key_file(path)
    if from_file is not None:
        by_id.setdefault(from_file[0], from_file[1])
    if settings.audit_key is not None:
        current = (settings.audit_key_id, settings.audit_key.get_secret_value().encode("utf-8"))
    elif from_file is not None:
        current = from_file
    elif create:
        current = _create_key_file(path)
    else:
        current = None
    if current is not None:
        by_id[current[0]] = current[1]
    return Keyring(current, by_id)
