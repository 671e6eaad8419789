"""A request-body size limit, enforced while the bytes arrive (pure ASGI, before any route reads them).

Without it one 72 MB JSON body to ``/predict`` was read whole, parsed and
validated (422) while the server's memory doubled and stayed there.  Here a
body is refused with 413 as soon as it is known to be too big: at once when
``Content-Length`` says so, otherwise when the counted chunks pass the limit,
so at most the limit plus one chunk is ever held.

JSON and every other non-multipart body get ``max_json_body_bytes``.
``multipart/form-data`` uploads (datasets, batch files, feedback files) are
streamed to disk by apps/api/uploads.py under ``max_upload_bytes``; here they
only get that limit plus room for the multipart framing, so no route can be
made to buffer a bigger body by mislabelling it as multipart.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_response

__all__ = ["BodyTooLarge", "RequestBodyLimit"]

#: Bytes of multipart framing (boundaries, part headers) allowed on top of max_upload_bytes.
MULTIPART_OVERHEAD = 1_000_000


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when the streamed body passes the limit (routes re-raise HTTP exceptions as they are)."""

    def __init__(self, message: str):
        super().__init__(status_code=413, detail=message)


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} KB" if n >= 1e3 else f"{n} bytes"


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


class RequestBodyLimit:
    """``app`` with request bodies capped: ``json_limit`` bytes, or ``upload_limit`` (+ framing) for multipart."""

    def __init__(self, app: ASGIApp, json_limit: int, upload_limit: int):
        self.app, self.json_limit, self.upload_limit = app, json_limit, upload_limit

    def _limit_for(self, scope: Scope) -> tuple[int, str]:
        ctype = _header(scope, b"content-type").split(";", 1)[0].strip().lower()
        if ctype == "multipart/form-data":
            return self.upload_limit + MULTIPART_OVERHEAD, "max_upload_bytes"
        return self.json_limit, "max_json_body_bytes"

    @staticmethod
    def _message(limit: int, setting: str, size: int | None) -> str:
        sent = f" ({_size(size)})" if size else ""
        what = "upload" if setting == "max_upload_bytes" else "request body"
        return (f"The {what}{sent} is over the limit of {_size(limit)}; send less per request"
                f"{' (larger sets of records go through the batch upload)' if what == 'request body' else ''} "
                f"or ask an administrator to raise {setting}.")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self._limit_for(scope)
        declared = _header(scope, b"content-length").strip()
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit, setting, int(declared))
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(self._message(limit, setting, None))
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send, limit, setting, None)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int, setting: str, size: int | None) -> None:
        response = error_response(413, "payload_too_large", self._message(limit, setting, size),
                                  {"limit_bytes": limit, "setting": setting}, headers={"Connection": "close"})
        await response(scope, receive, send)
