"""Multipart uploads streamed straight to disk, chunk by chunk, with the size limit enforced
while the bytes arrive (a file is never held in memory whole, and a too-big one is cut off
with 413 as soon as it passes the limit)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header

from automl_canvas.errors import ValidationError

from .errors import PayloadTooLargeError

__all__ = ["UPLOAD_BODY", "Upload", "receive_upload"]

#: OpenAPI description of the multipart body (the route reads the raw stream itself).
UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary", "description": "CSV, Excel or Parquet file"}}}}}}}


@dataclass
class Upload:
    path: Path
    filename: str
    size: int

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


class _Receiver:
    def __init__(self, folder: Path, max_bytes: int, field: str):
        self.folder, self.max_bytes, self.field = folder, max_bytes, field
        self.header_name, self.header_value, self.headers = b"", b"", {}
        self.handle = None
        self.upload: Upload | None = None

    def on_part_begin(self):
        self.headers = {}

    def on_header_field(self, data, start, end):
        self.header_name += data[start:end]

    def on_header_value(self, data, start, end):
        self.header_value += data[start:end]

    def on_header_end(self):
        self.headers[self.header_name.strip().lower()] = self.header_value.strip()
        self.header_name, self.header_value = b"", b""

    def on_headers_finished(self):
        _, params = parse_options_header(self.headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        filename = params.get(b"filename")
        if name == self.field and filename is not None and self.upload is None:
            clean = Path(filename.decode("utf-8", "replace").replace("\\", "/")).name[:200] or "upload"
            path = self.folder / f"{uuid.uuid4().hex}{Path(clean).suffix.lower()[:10]}"
            self.upload = Upload(path=path, filename=clean, size=0)
            self.handle = open(path, "wb")  # noqa: SIM115 - closed in on_part_end or close()

    def on_part_data(self, data, start, end):
        if self.handle is None:
            return
        self.upload.size += end - start
        if self.upload.size > self.max_bytes:
            raise PayloadTooLargeError(f"The upload is over the limit of {self.max_bytes / 1e6:.1f} MB; "
                                       "send a smaller file or ask an administrator to raise max_upload_bytes.",
                                       details={"max_upload_bytes": self.max_bytes})
        self.handle.write(data[start:end])

    def on_part_end(self):
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def close(self):
        if self.handle is not None:
            self.handle.close()
            self.handle = None


async def receive_upload(request: Request, folder: Path, max_bytes: int, field: str = "file") -> Upload:
    """Stream the ``field`` file of a multipart request into ``folder``; the caller discards it after use."""
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise ValidationError(f"Send the file as multipart/form-data with a '{field}' field.", details={"field": field})
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + 1_000_000:
        raise PayloadTooLargeError(f"The upload ({int(declared) / 1e6:.1f} MB) is over the limit of {max_bytes / 1e6:.1f} MB.",
                                   details={"max_upload_bytes": max_bytes})
    folder.mkdir(parents=True, exist_ok=True)
    rx = _Receiver(folder, max_bytes, field)
    callbacks = {n: getattr(rx, n) for n in ("on_part_begin", "on_header_field", "on_header_value", "on_header_end",
                                             "on_headers_finished", "on_part_data", "on_part_end")}
    parser = MultipartParser(boundary, callbacks)
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        rx.close()
        if rx.upload:
            rx.upload.discard()
        raise ValidationError(f"The multipart body could not be read ({exc}).") from None
    except BaseException:
        rx.close()
        if rx.upload:
            rx.upload.discard()
        raise
    rx.close()
    if rx.upload is None:
        raise ValidationError(f"The request has no file in a '{field}' field.", details={"field": field})
    return rx.upload
