"""A bounded local copy of remote objects, keyed by their digest.

Workers and the API read the same few models and datasets again and again; the
cache keeps verified copies on local disk so a repeated prediction or job does not
download them again.  It is keyed by content digest (not by key), so two keys with
the same bytes share one copy and a stale entry cannot exist: a copy either has
the digest it is filed under or it is dropped.  Copies are re-hashed on every hit
(the digest is checked on every read, wherever the bytes come from).

Least-recently-used eviction uses the files' modification times, touched on every
hit, so several processes sharing one cache directory agree on the order without
a lock.  The bound is on total bytes; the object just read is never evicted, so an
object larger than the bound still works (it is the only one kept).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from .digest import HEX64, sha256_file

__all__ = ["DigestCache"]


class DigestCache:
    def __init__(self, root: Path, max_bytes: int):
        self.root = Path(root)
        self.max_bytes = int(max_bytes)

    def _path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest

    def new_temp(self) -> Path:
        folder = self.root / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{uuid.uuid4().hex}.{os.getpid()}.part"

    def get(self, digest: str) -> Path | None:
        """The cached copy, if there is one and it still hashes to ``digest`` (a bad copy is removed)."""
        path = self._path(digest)
        try:
            if sha256_file(path) != digest:
                path.unlink(missing_ok=True)
                return None
            os.utime(path)
        except FileNotFoundError:
            return None
        return path

    def add(self, tmp: Path, digest: str) -> Path:
        """File a verified temporary copy under its digest, then evict down to the bound."""
        path = self._path(digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, path)
        os.utime(path)
        self.evict(keep=path)
        return path

    def entries(self) -> list[tuple[float, int, Path]]:
        out = []
        if not self.root.is_dir():
            return out
        for sub in self.root.iterdir():
            if sub.name == "tmp" or not sub.is_dir():
                continue
            for path in sub.iterdir():
                if HEX64.match(path.name):
                    try:
                        st = path.stat()
                    except FileNotFoundError:
                        continue
                    out.append((st.st_mtime, st.st_size, path))
        return out

    def size(self) -> int:
        return sum(size for _, size, _ in self.entries())

    def evict(self, keep: Path | None = None) -> None:
        """Remove least recently used copies until the total is within ``max_bytes``."""
        entries = sorted(self.entries(), key=lambda e: e[0])
        total = sum(size for _, size, _ in entries)
        for _, size, path in entries:
            if total <= self.max_bytes:
                break
            if keep is not None and path == keep:
                continue
            path.unlink(missing_ok=True)
            total -= size
