"""One interface for the product's immutable, content-addressed blobs.

Datasets (Parquet), model artifacts and evidence files are written once and
read many times by the API, the apps and every worker.  They live behind
:class:`BlobStore`, with two backends chosen by ``AUTOML_CANVAS_STORE_URL``:

* unset (or a ``file://`` URL / plain path): :class:`LocalStore`, the artifact
  directory with its existing layout (existing homes need no change);
* ``s3://bucket/prefix``: :class:`S3Store`, any S3-compatible server, with a
  local digest-keyed read cache bounded by ``AUTOML_CANVAS_STORE_CACHE_MAX_BYTES``,
  so machines that run jobs or serve predictions need no shared disk.

Rules every backend keeps: reads are hashed against the recorded digest and a
missing or altered object raises :class:`~automl_canvas.errors.IntegrityError`
(naming the object by digest, never by internal path); writes are atomic and
happen before the database record that points at them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import unquote, urlparse

from ..config import Settings
from ..errors import ValidationError
from .cache import DigestCache
from .digest import key_digest, sha256_bytes, sha256_file
from .local import LocalStore, place_file
from .s3 import S3Store

__all__ = ["BlobStore", "DigestCache", "LocalStore", "get_store", "key_digest", "open_store", "place_file",
           "sha256_bytes", "sha256_file"]


@runtime_checkable
class BlobStore(Protocol):
    """Immutable blobs under relative keys such as ``models/ab/<sha>.joblib``."""

    url: str

    def put_bytes(self, key: str, data: bytes) -> str:
        """Store ``data`` (atomically; an existing identical object is kept). Returns its sha256."""

    def put_file(self, key: str, path: Path) -> str:
        """Store a finished file, consuming it. Returns its sha256."""

    def get_bytes(self, key: str, sha256: str | None = None, what: str = "object") -> bytes:
        """The bytes, only if they hash to ``sha256`` (None: the digest the backend recorded, if any)."""

    def get_path(self, key: str, sha256: str | None = None, what: str = "object") -> Path:
        """A local file holding the verified bytes (the object itself, or a cached copy)."""

    def verify(self, key: str, sha256: str, what: str = "object") -> None:
        """Read the whole object and raise IntegrityError unless it hashes to ``sha256``."""

    def exists(self, key: str) -> bool: ...

    def stored_digest(self, key: str) -> str | None:
        """The digest recorded for (or, locally, computed from) the stored object; None if absent."""

    def list_keys(self, prefix: str = "") -> Iterator[str]: ...

    def delete(self, key: str) -> None:
        """Only for rolling back an object whose record was never committed."""


def open_store(url: str | None, settings: Settings) -> BlobStore:
    """The backend for ``url`` (None: the settings' artifact directory)."""
    if not url:
        return LocalStore(settings.artifact_dir)
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        return S3Store(url, DigestCache(settings.store_cache_dir, settings.store_cache_max_bytes))
    if parsed.scheme == "file":
        return LocalStore(Path(unquote(parsed.path)))
    if parsed.scheme == "":
        return LocalStore(Path(url))
    raise ValidationError(f"Unsupported store URL scheme {parsed.scheme!r}: use s3://bucket/prefix or a directory.")


_STORES: dict[tuple, BlobStore] = {}
_LOCK = threading.Lock()


def get_store(settings: Settings) -> BlobStore:
    """The store these settings name, one per process (a boto3 client is reused, never shared across forks)."""
    key = (os.getpid(), settings.store_url, str(settings.artifact_dir), str(settings.store_cache_dir),
           settings.store_cache_max_bytes)
    with _LOCK:
        store = _STORES.get(key)
        if store is None:
            store = _STORES[key] = open_store(settings.store_url, settings)
        return store
