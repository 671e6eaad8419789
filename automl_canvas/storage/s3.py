"""The S3-compatible backend (AWS S3, MinIO, Ceph RGW...), chosen by ``s3://bucket/prefix``.

Why boto3 (and not fsspec/s3fs): it is the reference S3 client, its configuration
is the one every operator already knows (``AWS_ENDPOINT_URL`` for MinIO and other
servers, ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, profiles, instance roles,
``AWS_CA_BUNDLE``), its multipart uploads and retries are built in, and it is
synchronous, which is what jobs and the API's thread pool call. s3fs adds an async
layer and its own cache semantics that we would then have to reason about twice.

Each object carries the sha256 of its bytes in its metadata (``x-amz-meta-sha256``),
written in the same PUT as the bytes.  A PUT is atomic: the object is visible whole
or not at all, and the record (database row) is written only after it succeeded.
Every read is hashed: against the digest the caller recorded, and against the
object's own metadata when the caller has none (datasets stored before digests
were recorded for their Parquet copy).  Reads go through a local digest-keyed
cache (see cache.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

from ..errors import ValidationError
from .cache import DigestCache
from .digest import check_key, mismatch, missing, sha256_bytes, sha256_file, unrecorded

__all__ = ["S3Store"]

_CHUNK = 1 << 20


def _client():
    try:
        import boto3
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise ValidationError("An s3:// store needs boto3: install automl-canvas[s3].") from None
    # Endpoint, region and credentials are boto3's own configuration (environment, ~/.aws, instance role).
    return boto3.client("s3")


class S3Store:
    def __init__(self, url: str, cache: DigestCache, client=None):
        parsed = urlparse(url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValidationError("The store URL must look like s3://bucket/prefix.")
        self.url = url
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        self.cache = cache
        self.client = client or _client()

    def _name(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _head(self, key: str) -> dict | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise

    def stored_digest(self, key: str) -> str | None:
        head = self._head(key)
        return None if head is None else head.get("Metadata", {}).get("sha256")

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def put_bytes(self, key: str, data: bytes) -> str:
        digest = sha256_bytes(data)
        if self.stored_digest(key) != digest:
            self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data, Metadata={"sha256": digest})
        return digest

    def put_file(self, key: str, path: Path) -> str:
        """Upload the finished file at ``path`` (it is consumed: removed once the upload succeeded)."""
        path = Path(path)
        digest = sha256_file(path)
        if self.stored_digest(key) != digest:
            # upload_file switches to multipart for big files; the object appears only when it is complete.
            self.client.upload_file(str(path), self.bucket, self._name(key), ExtraArgs={"Metadata": {"sha256": digest}})
        path.unlink(missing_ok=True)
        return digest

    def _download(self, key: str, expected: str, what: str, into: Path | None) -> None:
        """Stream the object, hashing as it comes; write it to ``into`` if given. Raises on any mismatch."""
        import hashlib

        from botocore.exceptions import ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                raise missing(what, key, expected) from None
            raise
        h = hashlib.sha256()
        with contextlib.ExitStack() as stack:
            out = stack.enter_context(open(into, "wb")) if into is not None else None
            for chunk in body.iter_chunks(_CHUNK):
                h.update(chunk)
                if out is not None:
                    out.write(chunk)
        if (actual := h.hexdigest()) != expected:
            if into is not None:
                into.unlink(missing_ok=True)
            raise mismatch(what, key, expected, actual)

    def _expected(self, key: str, sha256: str | None, what: str) -> str:
        if sha256 is not None:
            return sha256
        head = self._head(key)
        if head is None:
            raise missing(what, key)
        recorded = head.get("Metadata", {}).get("sha256")
        if not recorded:
            raise unrecorded(what, key)
        return recorded

    def get_path(self, key: str, sha256: str | None = None, what: str = "object") -> Path:
        """A verified local copy (from the cache, downloaded into it on a miss)."""
        expected = self._expected(key, sha256, what)
        if (hit := self.cache.get(expected)) is not None:
            return hit
        tmp = self.cache.new_temp()
        try:
            self._download(key, expected, what, tmp)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return self.cache.add(tmp, expected)

    def get_bytes(self, key: str, sha256: str | None = None, what: str = "object") -> bytes:
        return self.get_path(key, sha256, what).read_bytes()

    def verify(self, key: str, sha256: str, what: str = "object") -> None:
        """Download and hash without caching (the migration's check that the copy is whole)."""
        self._download(key, sha256, what, None)

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        base = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=base + prefix)
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"][len(base):]

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))


