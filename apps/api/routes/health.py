"""GET /health: is the database reachable and its schema current (no sign-in)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from automl_canvas.db import schema_status

from ..errors import error_response

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness and schema check (no auth)")
def health(request: Request):
    try:
        current, head = schema_status(request.app.state.canvas.engine)
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database is the answer
        return error_response(503, "unavailable", f"The database is not reachable ({type(exc).__name__}).")
    if current != head:
        return error_response(503, "unavailable", f"The database schema is at '{current or 'empty'}', newest is '{head}': "
                              "run `automl-canvas init`.")
    return {"status": "ok", "schema": current, "prediction_log": request.app.state.canvas.prediction_log.stats()}
