"""Signed head checkpoints of the audit chain, kept outside the database.

A hash chain alone cannot show that its newest events were deleted: the
shorter chain is still a valid chain.  So after every commit that appended
events, the new head (``seq``, ``hash``, ``key_id``) is written to the sink
folder (``audit_checkpoint_dir``, default ``<home>/audit-checkpoints``) as a
new file named by its sequence number, created exclusively (never rewritten),
and signed with the chain's key.  :func:`newest_checkpoint` reads the highest
one back; ``audit verify`` then requires that event to exist in the chain with
that hash.

Written after the commit (not inside the transaction), so a rolled-back event
never leaves a checkpoint behind; a crash between the commit and the write
leaves the newest events without one (the window this cannot cover).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from .keys import Keyring

__all__ = ["Checkpoint", "newest_checkpoint", "signature_ok", "write_checkpoint"]

log = logging.getLogger("automl_canvas.audit")

_SUFFIX = ".json"


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    key_id: str
    signature: str
    file: str


def _signature(key: bytes, seq: int, digest: str, key_id: str) -> str:
    return hmac.new(key, f"audit-checkpoint\n{seq}\n{digest}\n{key_id}".encode(), hashlib.sha256).hexdigest()


def write_checkpoint(folder: Path, keyring: Keyring, seq: int, digest: str) -> None:
    """One new file ``<seq>.json``; an existing one is left as it is (append-only). Never raises: the commit
    it follows has happened, so a failure here is logged (without the key) for an operator to see."""
    if keyring.current is None:
        return
    key_id, key = keyring.current
    body = {"seq": seq, "hash": digest, "key_id": key_id, "signature": _signature(key, seq, digest, key_id)}
    path = folder / f"{seq:012d}{_SUFFIX}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    except FileExistsError:
        log.warning("audit checkpoint %s already exists; left unchanged", path.name)
        return
    except OSError as exc:
        log.error("could not write audit checkpoint %s (%s); audit verify will not see event %s", path, exc, seq)
        return
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        json.dump(body, fh)
        fh.flush()
        os.fsync(fh.fileno())


def newest_checkpoint(folder: Path) -> Checkpoint | None:
    """The checkpoint with the highest sequence number, or None when the folder has none.

    Raises :class:`ValueError` when that file cannot be read as a checkpoint (it was tampered with)."""
    try:
        names = [e.name for e in os.scandir(folder) if e.name.endswith(_SUFFIX) and e.name[: -len(_SUFFIX)].isdigit()]
    except FileNotFoundError:
        return None
    if not names:
        return None
    name = max(names, key=lambda n: int(n[: -len(_SUFFIX)]))
    try:
        body = json.loads((folder / name).read_text(encoding="ascii"))
        cp = Checkpoint(int(body["seq"]), str(body["hash"]), str(body["key_id"]), str(body["signature"]), name)
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise ValueError(f"checkpoint file {name} is not readable ({type(exc).__name__})") from None
    if cp.seq != int(name[: -len(_SUFFIX)]):
        raise ValueError(f"checkpoint file {name} holds sequence number {cp.seq}")
    return cp


def signature_ok(keyring: Keyring, cp: Checkpoint) -> bool | None:
    """True/False; None when the checkpoint's key id is not known here (cannot be checked)."""
    key = keyring.key(cp.key_id)
    if key is None:
        return None
    return hmac.compare_digest(_signature(key, cp.seq, cp.hash, cp.key_id), cp.signature)
