"""The application factory: ``create_app(settings)`` builds everything; importing builds nothing."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from automl_canvas.config import Settings, get_settings
from automl_canvas.db import make_engine
from automl_canvas.monitoring.log import PredictionLogWriter
from automl_canvas.serving.hot_path import ServingState

from .errors import install_error_handlers
from .limits import RequestBodyLimit
from .metrics import IN_FLIGHT_EXEMPT, ApiMetrics, InFlightLimit
from .metrics import router as metrics_router
from .responses import declare_errors
from .routes import ROUTERS
from .routes.browser_session import router as browser_session_router

__all__ = ["create_app"]

API_PREFIX = "/api/v1"


@dataclass
class _State:
    settings: Settings
    engine: Engine
    #: Served predictions wait here to be written in batches (flushed on shutdown).
    prediction_log: PredictionLogWriter
    #: This process's token/version caches and fast scorers (the one-record predict hot path).
    serving: ServingState | None = None
    metrics: ApiMetrics | None = None


@asynccontextmanager
async def _lifespan(app: FastAPI):
    yield
    app.state.canvas.prediction_log.close()


def _in_flight_limited(path: str) -> bool:
    return path.startswith(API_PREFIX + "/") and path not in IN_FLIGHT_EXEMPT


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        lifespan=_lifespan,
        title="AutoML Canvas approval API",
        version="1",
        description="Approved model versions, their exact bytes, model cards, deployments, events and predictions "
                    "for deployment tooling. Every route calls one core service function; roles and the audit log apply.",
    )
    engine = engine or make_engine(settings)
    state = _State(settings=settings, engine=engine, prediction_log=PredictionLogWriter(engine, settings),
                   serving=ServingState(engine, settings))
    state.metrics = ApiMetrics(state)
    app.state.canvas = state
    install_error_handlers(app)
    # A too-big body is refused before any route (or FastAPI's JSON parsing) reads it.
    app.add_middleware(RequestBodyLimit, json_limit=settings.max_json_body_bytes, upload_limit=settings.max_upload_bytes)
    # Outermost (added last): over the in-flight limit a request is answered 503 before anything reads it.
    app.add_middleware(InFlightLimit, limit=settings.api_max_in_flight, retry_after=settings.api_retry_after_seconds,
                       metrics=state.metrics, prefix=API_PREFIX, max_lag_ms=settings.api_max_loop_lag_ms)
    app.include_router(metrics_router)
    for router, prefixed in ROUTERS:
        prefix = API_PREFIX if prefixed else ""
        declare_errors(router, prefix, _in_flight_limited)
        app.include_router(router, prefix=prefix)
    # The apps' sign-in cookie (a browser's form posts, not a bearer-token resource: routes/browser_session.py).
    app.include_router(browser_session_router, prefix=API_PREFIX)
    return app
