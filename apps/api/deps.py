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

from automl_canvas.auth.tokens import authenticate_token
from automl_canvas.config import Settings
from automl_canvas.db import session_scope
from automl_canvas.models import UserPublic

__all__ = ["Ctx", "Id", "ctx_dep", "current"]

_bearer = HTTPBearer(auto_error=False, scheme_name="token", bearerFormat="acv_…",
                     description="An AutoML Canvas API token: `automl-canvas tokens create --name NAME`.")

#: Ids of stored rows (bounded so no input overflows a database integer).
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
Cursor = Annotated[int, Query(ge=0, le=2_147_483_647, description="Last event id seen (0: from the start).")]


@dataclass(frozen=True)
class Ctx:
    settings: Settings
    engine: Engine
    actor: UserPublic
    #: The app's prediction log writer (automl_canvas.monitoring.log.PredictionLogWriter).
    prediction_log: object = None

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.engine) as s:
            yield s


def current(request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Ctx:
    """The signed-in caller (401 with ``WWW-Authenticate: Bearer`` otherwise)."""
    state = request.app.state.canvas
    with session_scope(state.engine) as s:
        actor = authenticate_token(s, creds.credentials if creds else None)
    return Ctx(state.settings, state.engine, actor, state.prediction_log)


ctx_dep = Annotated[Ctx, Depends(current)]
