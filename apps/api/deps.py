"""Who is asking: the bearer-token dependency, and the per-request context routes use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from automl_canvas.auth.throttle import default_throttle
from automl_canvas.auth.tokens import authenticate_token
from automl_canvas.config import Settings
from automl_canvas.db import session_scope
from automl_canvas.errors import AuthenticationError, TooManyAttemptsError
from automl_canvas.models import UserPublic

__all__ = ["Id", "RequestCtx", "client_address", "ctx_dep", "current", "token_guard"]

_bearer = HTTPBearer(auto_error=False, scheme_name="token", bearerFormat="acv_…",
                     description="An AutoML Canvas API token: `automl-canvas tokens create --name NAME`.")

#: Ids of stored rows (bounded so no input overflows a database integer).
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
Cursor = Annotated[int, Query(ge=0, le=2_147_483_647, description="Last event id seen (0: from the start).")]


@dataclass(frozen=True)
class RequestCtx:
    settings: Settings
    engine: Engine
    actor: UserPublic
    #: The app's prediction log writer (automl_canvas.monitoring.log.PredictionLogWriter).
    prediction_log: object = None

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.engine) as s:
            yield s


def client_address(request: Request) -> str:
    """The peer address (behind a proxy, run uvicorn with ``--proxy-headers --forwarded-allow-ips`` so this is
    the client's, not the proxy's)."""
    return request.client.host if request.client else "unknown"


@contextmanager
def token_guard(request: Request, raw: str | None) -> Iterator[None]:
    """Bad tokens are rate-limited per client: past ``bad_token_max_per_minute`` the client is answered 429
    (with Retry-After) before its token is even looked at, so a guesser cannot tell a hit from a miss; a
    request without a token is not guessing and is not counted."""
    settings = request.app.state.canvas.settings
    throttle, client = default_throttle(settings), client_address(request)
    if raw:
        wait = throttle.token_wait(settings, client)
        if wait:
            raise TooManyAttemptsError(f"Too many bad API tokens from this address. Try again in {wait} seconds.",
                                       details={"retry_after_seconds": wait})
    try:
        yield
    except TooManyAttemptsError:
        raise
    except AuthenticationError:
        if raw:
            throttle.token_failed(settings, client)
        raise


def current(request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> RequestCtx:
    """The signed-in caller (401 with ``WWW-Authenticate: Bearer`` otherwise; 429 after too many bad tokens)."""
    state = request.app.state.canvas
    raw = creds.credentials if creds else None
    with token_guard(request, raw), session_scope(state.engine) as s:
        actor = authenticate_token(s, raw)
    return RequestCtx(state.settings, state.engine, actor, state.prediction_log)


ctx_dep = Annotated[RequestCtx, Depends(current)]
