"""The default backend: a directory on this machine (the artifact directory).

The layout is the one every existing home already has, ``<folder>/<sha[:2]>/<sha>.<ext>``
under the artifact directory, so switching to this module changed no file on disk.
Writes go to ``tmp/`` first and are renamed into place (a reader never sees half a
file); objects are made read-only because they are immutable.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from .digest import KEY_PATTERN, check_key, mismatch, missing, sha256_bytes, sha256_file

__all__ = ["LocalStore", "place_file"]


def place_file(tmp: Path, final: Path) -> None:
    """Atomically move a finished temporary file into its content address (an existing copy is kept)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        tmp.unlink(missing_ok=True)
        return
    os.chmod(tmp, 0o444)
    os.replace(tmp, final)


class LocalStore:
    """Blobs as read-only files under ``root``."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.url = self.root.resolve().as_uri()

    def path_for(self, key: str) -> Path:
        root = self.root.resolve()
        path = (root / check_key(key)).resolve()
        if root not in path.parents:
            raise missing("object", key)
        return path

    def _tmp(self) -> Path:
        folder = self.root / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{uuid.uuid4().hex}.{os.getpid()}.part"

    def put_bytes(self, key: str, data: bytes) -> str:
        digest = sha256_bytes(data)
        final = self.path_for(key)
        if not final.exists():
            tmp = self._tmp()
            tmp.write_bytes(data)
            place_file(tmp, final)
        return digest

    def put_file(self, key: str, path: Path) -> str:
        """Store the finished file at ``path`` (it is consumed: moved into place, or removed)."""
        digest = sha256_file(path)
        place_file(Path(path), self.path_for(key))
        return digest

    def get_bytes(self, key: str, sha256: str | None = None, what: str = "object") -> bytes:
        path = self.path_for(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise missing(what, key, sha256) from None
        if sha256 is not None and (actual := sha256_bytes(data)) != sha256:
            raise mismatch(what, key, sha256, actual)
        return data

    def get_path(self, key: str, sha256: str | None = None, what: str = "object") -> Path:
        """The file itself, after its bytes were hashed against ``sha256`` (None: nothing recorded to check)."""
        path = self.path_for(key)
        if not path.is_file():
            raise missing(what, key, sha256)
        if sha256 is not None and (actual := sha256_file(path)) != sha256:
            raise mismatch(what, key, sha256, actual)
        return path

    def verify(self, key: str, sha256: str, what: str = "object") -> None:
        self.get_path(key, sha256, what)

    def exists(self, key: str) -> bool:
        return self.path_for(key).is_file()

    def stored_digest(self, key: str) -> str | None:
        """The digest of the bytes stored under ``key`` (a directory has no separate record: hash the file)."""
        path = self.path_for(key)
        return sha256_file(path) if path.is_file() else None

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        """Every content-addressed object (tmp/, uploads/ and caches are not objects)."""
        root = self.root.resolve()
        if not root.is_dir():
            return
        for path in sorted(root.rglob("*")):
            key = path.relative_to(root).as_posix()
            if key.startswith(prefix) and KEY_PATTERN.match(key) and path.is_file():
                yield key

    def delete(self, key: str) -> None:
        """Only for rolling back an object written for a record that was never committed."""
        path = self.path_for(key)
        if path.exists():
            os.chmod(path, 0o644)
            path.unlink(missing_ok=True)
