"""GET /health: is the database reachable and its schema current (no sign-in)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from automl_canvas.db import schema_status

from ..errors import error_response
from ..responses import error_responses

router = APIRouter(tags=["health"])


class HealthOut(BaseModel):
    status: str = Field(description="ok")
    schema_: str = Field(alias="schema", description="The database schema revision.")
    prediction_log: dict[str, Any] = Field(description="This process's prediction-log writer: queued, written, dropped.")


@router.get("/health", summary="Liveness and schema check (no auth)", response_model=None,
            responses={200: {"model": HealthOut}, **error_responses(503, words={
                503: "The database is not reachable, or its schema is not the newest (`automl-canvas init`)."})})
def health(request: Request):
    try:
        current, head = schema_status(request.app.state.canvas.engine)
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database is the answer
        return error_response(503, "unavailable", f"The database is not reachable ({type(exc).__name__}).")
    if current != head:
        return error_response(503, "unavailable", f"The database schema is at '{current or 'empty'}', newest is '{head}': "
                              "run `automl-canvas init`.")
    return {"status": "ok", "schema": current, "prediction_log": request.app.state.canvas.prediction_log.stats()}
