"""Copy every object from one store to another, verifying each copy.

Idempotent and resumable by construction: objects are immutable and keyed by
content, so an object already at the destination with the right digest is
skipped, and an interrupted run (a killed process, a network error) leaves at
worst objects that are missing there (S3 PUTs and local renames are atomic), which
the next run copies.  Each copy is read back in full from the destination and
hashed before it counts as done.  The database is not touched: records hold
relative keys, which mean the same thing in every store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from ..db import session_scope
from ..models import Dataset
from . import BlobStore
from .digest import key_digest, sha256_bytes
from .sidecar import is_sidecar

__all__ = ["MigrationReport", "expected_digests", "migrate"]


@dataclass
class MigrationReport:
    copied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.copied) + len(self.skipped)


def expected_digests(engine: Engine) -> Callable[[str], str | None]:
    """What each key's bytes must hash to: its own stem, except datasets ingested before their Parquet copy was
    filed under its own digest (their key carries the upload's digest, so there is nothing to check them against)."""
    from sqlmodel import select

    with session_scope(engine) as s:
        legacy = {path for path, sha in s.exec(select(Dataset.storage_path, Dataset.sha256)) if key_digest(path) == sha}
    # a sidecar's key names the object it describes, not its own bytes (storage/sidecar.py)
    return lambda key: None if key in legacy or is_sidecar(key) else key_digest(key)


def migrate(source: BlobStore, dest: BlobStore, expected: Callable[[str], str | None],
            on_object: Callable[[str, bool], None] | None = None) -> MigrationReport:
    """Copy every object of ``source`` missing (or different) at ``dest``; ``on_object(key, copied)`` after each."""
    report = MigrationReport()
    for key in source.list_keys():
        digest = expected(key)
        data = None
        if digest is None:  # nothing recorded to check against: the source's own record (S3) or its bytes
            data = source.get_bytes(key, None, "object")
            digest = sha256_bytes(data)
        copy = dest.stored_digest(key) != digest
        if copy:
            data = source.get_bytes(key, digest, "object") if data is None else data
            dest.put_bytes(key, data)
            dest.verify(key, digest, "copied object")
        (report.copied if copy else report.skipped).append(key)
        if on_object is not None:
            on_object(key, copy)
    return report

