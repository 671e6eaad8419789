"""Digests, key rules and the integrity errors every backend raises.

Kept apart from the backends so the local and the S3 store word a refusal the
same way, and so no message ever names an internal path or bucket: a person
reading it learns *which* object (by its short digest) and *what* is wrong.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ..errors import IntegrityError

__all__ = ["HEX64", "KEY_PATTERN", "check_key", "key_digest", "mismatch", "missing", "sha256_bytes", "sha256_file", "unrecorded"]

_CHUNK = 1 << 20
HEX64 = re.compile(r"^[0-9a-f]{64}$")
#: Every object the product writes: ``<folder>/<sha[:2]>/<sha>.<ext>`` (datasets, models, evidence...).
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_-]*/[0-9a-f]{2}/[0-9a-f]{64}\.[a-z0-9][a-z0-9.]*$")
_SAFE_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def check_key(key: str) -> str:
    """A relative key with no ``..`` or absolute part: a record can never point outside the store."""
    if not isinstance(key, str) or not _SAFE_KEY.match(key) or ".." in key.split("/"):
        raise IntegrityError("A stored object's recorded location is malformed; it will not be read.")
    return key


def key_digest(key: str) -> str | None:
    """The 64-hex stem of a content-addressed key (``models/ab/<sha>.joblib`` -> ``<sha>``), else None."""
    stem = key.rsplit("/", 1)[-1].split(".", 1)[0]
    return stem if HEX64.match(stem) else None


def _label(what: str, key: str, digest: str | None) -> str:
    short = (digest or key_digest(key) or "")[:12]
    return f"The {what} {short}…" if short else f"The {what}"


def missing(what: str, key: str, digest: str | None = None) -> IntegrityError:
    return IntegrityError(f"{_label(what, key, digest)} is missing from the object store; it cannot be used. "
                          "Restore it (or migrate the store again) and retry.", details={"reason": "missing"})


def mismatch(what: str, key: str, expected: str, actual: str) -> IntegrityError:
    return IntegrityError(
        f"{_label(what, key, expected)} does not match its recorded digest "
        f"(expected {expected[:12]}…, found {actual[:12]}…); it will not be loaded.",
        details={"reason": "digest_mismatch", "expected": expected, "actual": actual})


def unrecorded(what: str, key: str) -> IntegrityError:
    return IntegrityError(f"{_label(what, key, None)} carries no recorded digest, so it cannot be verified; "
                          "it will not be loaded.", details={"reason": "no_digest"})
