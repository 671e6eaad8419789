"""Content-addressed, immutable artifact files, each model with its environment.

A model artifact is stored under its own sha256 in the object store
(:mod:`automl_canvas.storage`: the artifact directory by default, or an
S3-compatible bucket), written atomically, and only ever unpickled from bytes
whose digest has just been checked against the record: pickles execute code,
so unverified bytes are never loaded.

Beside every model artifact lies its environment spec
(``models/ab/<sha>.joblib.environment.json``, :mod:`automl_canvas.environment`):
the Python and library versions it was written with.  Loading compares it with
the running process before unpickling and warns (an
:class:`~automl_canvas.environment.EnvironmentMismatchWarning` and a log record)
naming each library that differs; :func:`artifact_environment` gives the same
comparison as data for a door to show.  The spec is plain JSON, parsed, never
executed, and lives in the store, so it needed no database change.
"""

from __future__ import annotations

import io
import json
import logging
import warnings
from pathlib import Path
from typing import Any

import joblib

from ..config import Settings
from ..environment import SPEC_FORMAT, EnvironmentCheck, EnvironmentMismatchWarning, environment_spec
from ..errors import IntegrityError
from ..storage import get_store, place_file, sha256_bytes, sha256_file
from ..storage.local import LocalStore
from ..storage.sidecar import sidecar_key

__all__ = ["artifact_environment", "artifact_path", "environment_key", "load_verified_model", "load_verified_model_and_environment",
           "place_file", "read_verified_bytes", "save_bytes", "save_model", "sha256_bytes", "sha256_file"]

log = logging.getLogger(__name__)


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


def environment_key(relpath: str) -> str:
    """Where the environment spec of the model artifact at ``relpath`` is stored."""
    return sidecar_key(relpath, "environment")


def save_model(settings: Settings, model: Any) -> tuple[str, str, int]:
    """Pickle ``model`` into the store with its environment spec beside it. Returns (sha256, relative path, size).

    Both objects are written before the caller records the version, so a committed version always has its spec.
    """
    buf = io.BytesIO()
    joblib.dump(model, buf, compress=3)
    digest, rel, size = save_bytes(settings, buf.getvalue(), "models", "joblib")
    spec = json.dumps(environment_spec(digest), sort_keys=True, indent=2).encode()
    get_store(settings).put_bytes(environment_key(rel), spec)
    return digest, rel, size


def artifact_environment(settings: Settings, relpath: str, expected_sha256: str) -> EnvironmentCheck:
    """The stored environment of a model artifact against this process's, without unpickling it."""
    try:
        raw = get_store(settings).get_bytes(environment_key(relpath), None, "environment record")
    except IntegrityError as exc:
        if exc.details.get("reason") == "missing":
            return EnvironmentCheck.of(expected_sha256, None, "not_recorded")
        return EnvironmentCheck.of(expected_sha256, None, "unreadable")
    try:
        spec = json.loads(raw)
        versions = spec["versions"]
        readable = (spec.get("format") == SPEC_FORMAT and spec.get("artifact_sha256") == expected_sha256
                    and isinstance(versions, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in versions.items()))
    except (ValueError, KeyError, TypeError, AttributeError):
        readable = False
    if not readable:
        return EnvironmentCheck.of(expected_sha256, None, "unreadable")
    return EnvironmentCheck.of(expected_sha256, versions)


def _report(check: EnvironmentCheck) -> None:  # called by _load: the warning points at the public loader's caller
    """Warn about a differing or unreadable environment; an artifact from before specs were stored is only logged."""
    message = check.message()
    if message is None:
        return
    if check.status == "not_recorded":
        log.info(message)
        return
    warnings.warn(message, EnvironmentMismatchWarning, stacklevel=4)
    # Processes that configured logging (workers, the API) get a record in their logs too; elsewhere it would
    # only reach logging's last-resort handler and print the warning's sentence a second time.
    if logging.getLogger().handlers or log.handlers:
        log.warning(message, extra={"artifact_sha256": check.artifact_sha256,
                                    "environment_differences": [d.to_dict() for d in check.differences]})


def load_verified_model_and_environment(settings: Settings, relpath: str, expected_sha256: str) -> tuple[Any, EnvironmentCheck]:
    """The model (unpickled only from bytes matching ``expected_sha256``) and its environment check.

    The environments are compared before unpickling, so the warning is given even when a version gap makes
    unpickling fail; such a failure is then reported as the gap it most likely is.
    """
    return _load(settings, relpath, expected_sha256)


def load_verified_model(settings: Settings, relpath: str, expected_sha256: str) -> Any:
    """The model, unpickled only from bytes matching ``expected_sha256``; warns when its environment differs."""
    return _load(settings, relpath, expected_sha256)[0]


def _load(settings: Settings, relpath: str, expected_sha256: str) -> tuple[Any, EnvironmentCheck]:
    data = read_verified_bytes(settings, relpath, expected_sha256, "model artifact")
    check = artifact_environment(settings, relpath, expected_sha256)
    _report(check)
    try:
        model = joblib.load(io.BytesIO(data))
    except Exception as exc:
        if check.status != "different":
            raise
        raise IntegrityError(
            f"{check.message()} Loading it here failed ({type(exc).__name__}: {exc}).",
            details={"reason": "environment_mismatch", "differences": [d.to_dict() for d in check.differences]},
        ) from exc
    return model, check
