"""One error shape and one table from domain error codes to HTTP statuses.

Every error the API returns is ``{"error": {"code", "message", "details"}}``.
Routes never choose a status for a domain condition: the core raises a
:class:`CanvasError` and :data:`STATUS_BY_CODE` decides.  Request-shape
problems (FastAPI validation), unknown routes and unexpected exceptions get
the same shape; an unexpected exception is logged with its traceback and the
caller sees only a request id-free, plain message.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from automl_canvas.errors import CanvasError

__all__ = ["STATUS_BY_CODE", "PayloadTooLargeError", "error_response", "install_error_handlers"]

log = logging.getLogger("automl_canvas.api")

#: domain error code -> HTTP status (the one place this mapping exists).
STATUS_BY_CODE: dict[str, int] = {
    "invalid_input": 422,
    "invalid_dataset": 422,
    "invalid_training_config": 422,
    "not_found": 404,
    "permission_denied": 403,
    "claim_required": 403,
    "unsafe_target": 422,
    "unauthenticated": 401,
    "too_many_attempts": 429,
    "conflict": 409,
    "claim_held": 409,
    "invalid_transition": 409,
    "policy_check_failed": 409,
    "integrity_error": 409,
    "quota_exceeded": 429,
    "payload_too_large": 413,
    "canvas_error": 400,
}

_HTTP_CODES = {400: "bad_request", 401: "unauthenticated", 403: "permission_denied", 404: "not_found",
               405: "method_not_allowed", 406: "not_acceptable", 413: "payload_too_large", 415: "unsupported_media_type"}


class PayloadTooLargeError(CanvasError):
    """An upload is bigger than ``max_upload_bytes`` (a transport limit, so it lives in the door)."""

    code = "payload_too_large"


def _status_for(exc: CanvasError) -> int:
    for cls in type(exc).__mro__:
        code = getattr(cls, "code", None)
        if code in STATUS_BY_CODE:
            return STATUS_BY_CODE[code]
    return 400


def error_response(status: int, code: str, message: str, details: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "details": details or {}}}, status_code=status,
                        headers=headers)


def _canvas_error(_request: Request, exc: CanvasError) -> JSONResponse:
    headers = {}
    if exc.code == "unauthenticated":
        headers["WWW-Authenticate"] = "Bearer"
    retry = exc.details.get("retry_after_seconds") if isinstance(exc.details, dict) else None
    if retry is not None:
        headers["Retry-After"] = str(max(1, int(retry)))
    from automl_canvas.serialization import json_safe

    return error_response(_status_for(exc), exc.code, exc.message, json_safe(exc.details), headers)


def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{"field": ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path")) or None,
               "location": str(e.get("loc", ("",))[0]), "problem": str(e.get("msg", "is not valid"))}
              for e in exc.errors()]
    shown = "; ".join(f"'{e['field']}' {e['problem'].lower()}" if e["field"] else e["problem"] for e in errors[:5])
    return error_response(422, "invalid_input", f"The request is not valid: {shown}.", {"errors": errors[:100]})


#: FastAPI's words when a body cannot be decoded at all (not UTF-8): a request-shape problem like any other, so
#: it is answered as one (422 invalid_input), not with a 400 that no route documents.
_UNREADABLE_BODY = "There was an error parsing the body"


def _allowed_methods(request: Request) -> str:
    """Every method the API documents at this path. Starlette's 405 names only the first route that matched the
    path, so ``OPTIONS /projects`` said ``Allow: GET`` though POST is served there too.  Read from the app's own
    OpenAPI document (built once and cached by FastAPI), the one list of what is served where."""
    import re

    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)), request.url.path):
            methods |= {m.upper() for m in operations if m.isalpha()}
    return ", ".join(sorted(methods))


def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 400 and exc.detail == _UNREADABLE_BODY:
        return error_response(422, "invalid_input", "The request body could not be read: send UTF-8 JSON with "
                              "Content-Type: application/json.", {"errors": [{"field": None, "location": "body",
                                                                             "problem": "not UTF-8 JSON"}]})
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    return error_response(exc.status_code, code, str(exc.detail), {}, headers or None)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # a handler runs after the except block has ended: the exception is passed, not read from sys.exc_info()
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "Something went wrong on the server; it has been logged. "
                          "Try again, and tell an administrator if it keeps happening.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CanvasError, _canvas_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
