"""Content-addressed, immutable artifact files.

A model artifact is stored under its own sha256 in the object store
(:mod:`automl_canvas.storage`: the artifact directory by default, or an
S3-compatible bucket), written atomically, and only ever unpickled from bytes
whose digest has just been checked against the record: pickles execute code,
so unverified bytes are never loaded.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import joblib

from ..config import Settings
from ..storage import get_store, place_file, sha256_bytes, sha256_file
from ..storage.local import LocalStore

__all__ = ["artifact_path", "load_verified_model", "place_file", "read_verified_bytes", "save_bytes", "save_model", "sha256_bytes", "sha256_file"]


def artifact_path(settings: Settings, relpath: str) -> Path:
    """A local file with the object's bytes: the stored file itself (directory store), or a verified cached
    copy (remote store, checked against the digest recorded with the object)."""
    store = get_store(settings)
    if isinstance(store, LocalStore):
        return store.path_for(relpath)
    return store.get_path(relpath, None, "artifact")


def save_bytes(settings: Settings, data: bytes, folder: str, ext: str) -> tuple[str, str, int]:
    """Store ``data`` under ``folder/<sha[:2]>/<sha>.<ext>``. Returns (sha256, relative path, size)."""
    digest = sha256_bytes(data)
    rel = f"{folder}/{digest[:2]}/{digest}.{ext}"
    get_store(settings).put_bytes(rel, data)
    return digest, rel, len(data)


def read_verified_bytes(settings: Settings, relpath: str, expected_sha256: str, what: str = "artifact") -> bytes:
    """The stored bytes, only if they still match the digest recorded for them (IntegrityError otherwise)."""
    return get_store(settings).get_bytes(relpath, expected_sha256, what)


def save_model(settings: Settings, model: Any) -> tuple[str, str, int]:
    """Pickle ``model`` into the store. Returns (sha256, relative path, size)."""
    buf = io.BytesIO()
    joblib.dump(model, buf, compress=3)
    return save_bytes(settings, buf.getvalue(), "models", "joblib")


def load_verified_model(settings: Settings, relpath: str, expected_sha256: str) -> Any:
    return joblib.load(io.BytesIO(read_verified_bytes(settings, relpath, expected_sha256, "model artifact")))
