"""Content-addressed, immutable artifact files.

A model artifact is stored under its own sha256, written to a temporary file and
renamed into place (never half-written), made read-only, and only ever
unpickled from bytes whose digest has just been checked against the record:
pickles execute code, so unverified bytes are never loaded.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import joblib

from ..config import Settings
from ..errors import IntegrityError, NotFoundError

__all__ = ["artifact_path", "load_verified_model", "place_file", "read_verified_bytes", "save_bytes", "save_model", "sha256_bytes", "sha256_file"]

_CHUNK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def artifact_path(settings: Settings, relpath: str) -> Path:
    root = settings.artifact_dir.resolve()
    path = (root / relpath).resolve()
    if root not in path.parents:
        raise IntegrityError(f"Artifact path {relpath!r} points outside the artifact store.")
    return path


def place_file(tmp: Path, final: Path) -> None:
    """Atomically move a finished temporary file into its content address."""
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():  # same content already stored: keep the original
        tmp.unlink(missing_ok=True)
        return
    os.chmod(tmp, 0o444)
    os.replace(tmp, final)


def save_bytes(settings: Settings, data: bytes, folder: str, ext: str) -> tuple[str, str, int]:
    """Store ``data`` under ``folder/<sha[:2]>/<sha>.<ext>``. Returns (sha256, relative path, size)."""
    digest = sha256_bytes(data)
    rel = f"{folder}/{digest[:2]}/{digest}.{ext}"
    final = artifact_path(settings, rel)
    tmp_dir = settings.artifact_dir / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = tmp_dir / f"{digest}.{os.getpid()}.part"
    tmp.write_bytes(data)
    place_file(tmp, final)
    return digest, rel, len(data)


def read_verified_bytes(settings: Settings, relpath: str, expected_sha256: str, what: str = "artifact") -> bytes:
    """The stored bytes, only if they still match the digest recorded for them."""
    path = artifact_path(settings, relpath)
    if not path.exists():
        raise NotFoundError(f"The {what} {relpath} is missing from the artifact store.")
    data = path.read_bytes()
    actual = sha256_bytes(data)
    if actual != expected_sha256:
        raise IntegrityError(
            f"The {what} {relpath} does not match its recorded digest "
            f"(expected {expected_sha256[:12]}…, found {actual[:12]}…); it will not be loaded.",
            details={"expected": expected_sha256, "actual": actual},
        )
    return data


def save_model(settings: Settings, model: Any) -> tuple[str, str, int]:
    """Pickle ``model`` into the store. Returns (sha256, relative path, size)."""
    buf = io.BytesIO()
    joblib.dump(model, buf, compress=3)
    return save_bytes(settings, buf.getvalue(), "models", "joblib")


def load_verified_model(settings: Settings, relpath: str, expected_sha256: str) -> Any:
    return joblib.load(io.BytesIO(read_verified_bytes(settings, relpath, expected_sha256, "model artifact")))
