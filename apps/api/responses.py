"""What a route may answer besides success, declared once from what the route is.

The OpenAPI document is a promise to deployment tooling that generates clients from it; an
attack pass found 120 answers it did not mention (every 401, most 404s, 409s, 429s).  Instead
of each route listing its error statuses by hand (and forgetting some), :func:`declare_errors`
derives them from facts FastAPI already knows about the route:

- it needs a token (its dependencies reach ``deps.current`` or the predict route's cached
  caller): 401 (no/bad token), 403 (role or project role), 429 (too many bad tokens, or a
  quota used up);
- it names a stored thing (a path parameter, or a parameter ending in ``_id``): 404 — also for
  things the caller may not see, since the API never confirms existence;
- it changes something (POST/PUT/PATCH/DELETE): 409 (the thing's state does not allow it now);
- it takes a body: 413 (over ``max_json_body_bytes`` / ``max_upload_bytes``) and 422;
- it takes any parameter: 422;
- it sits under the API prefix and is not exempt from the in-flight limit: 503 (Retry-After).

A route's own ``responses=`` entry for a status wins (its words are more specific).  Every error
answer has the one shape :class:`ErrorOut` (apps/api/errors.py).  ``tests/api/test_openapi_conformance.py``
runs schemathesis against a real world with status-code, content-type, header and
response-schema checks, so a status the rules miss fails the suite instead of surprising a client.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

__all__ = ["ERROR_WORDS", "ErrorBody", "ErrorOut", "declare_errors", "error_responses"]


class ErrorBody(BaseModel):
    code: str = Field(description="A stable machine-readable code, e.g. not_found, claim_required, overloaded.")
    message: str = Field(description="What went wrong and what to do, in words for a person.")
    details: dict[str, Any] = Field(default_factory=dict, description="Facts behind the message (fields, limits).")


class ErrorOut(BaseModel):
    """The API's one error shape: ``{"error": {"code", "message", "details"}}``."""

    error: ErrorBody


ERROR_WORDS: dict[int, str] = {
    401: "No valid API token (the answer carries `WWW-Authenticate: Bearer`).",
    403: "The caller's role, or their role in the project, does not allow this.",
    404: "No such thing, or one the caller may not see (the API never confirms that something exists).",
    409: "The thing's state does not allow this now (e.g. not shared yet, claimed by someone else, a policy check failed).",
    413: "The request body is over its size limit (`max_json_body_bytes`, or `max_upload_bytes` for uploads).",
    422: "The request is not valid: a field, a value or an uploaded file (the message names it).",
    429: "Too many bad tokens from this address, or a quota is used up; try again after `Retry-After` seconds.",
    503: "The server is at its limit of requests in flight; try again after `Retry-After` seconds.",
}


def error_responses(*statuses: int, words: dict[int, str] | None = None) -> dict[int, dict]:
    """``responses=`` entries for ``statuses`` with the error shape (``words`` overrides the descriptions)."""
    words = {**ERROR_WORDS, **(words or {})}
    return {s: {"model": ErrorOut, "description": words[s]} for s in statuses}


def _calls(dependant) -> set[str]:
    names = {getattr(dependant.call, "__name__", "")}
    for sub in dependant.dependencies:
        names |= _calls(sub)
    return names


_AUTH_DEPENDENCIES = {"current", "_cached_caller"}


def _statuses(route: APIRoute, path: str, limited: bool) -> set[int]:
    d = route.dependant
    extra_body = bool((route.openapi_extra or {}).get("requestBody"))
    params = d.path_params + d.query_params + d.header_params + d.cookie_params
    out: set[int] = set()
    if _calls(d) & _AUTH_DEPENDENCIES:
        out |= {401, 403, 429}
        if d.path_params or any(p.name.endswith("_id") for p in params):
            out.add(404)
        if set(route.methods) & {"POST", "PUT", "PATCH", "DELETE"}:
            out.add(409)
    if d.body_params or extra_body:
        out |= {413, 422}
    if params:
        out.add(422)
    if limited:
        out.add(503)
    return out


def declare_errors(router: APIRouter, prefix: str, in_flight_limited) -> None:
    """Add the derived error statuses to every route of ``router``, before ``app.include_router`` copies them
    (FastAPI builds a route's response models when the route is made).  ``prefix``: the path it is mounted
    under; ``in_flight_limited(path)``: whether the in-flight limit answers 503 there.  Idempotent."""
    for route in router.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        declared = {int(k) for k in route.responses if str(k).isdigit()}
        derived = _statuses(route, prefix + route.path, in_flight_limited(prefix + route.path))
        for status, entry in error_responses(*sorted(derived - declared)).items():
            route.responses[status] = entry
        # FastAPI's default 422 body ({"detail": [...]}) is not what the API sends
        if 422 in route.responses and "model" not in route.responses[422]:
            route.responses[422] = {**route.responses[422], "model": ErrorOut}
