"""The application factory: ``create_app(settings)`` builds everything; importing builds nothing."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from automl_canvas.config import Settings, get_settings
from automl_canvas.db import make_engine
from automl_canvas.monitoring.log import PredictionLogWriter

from .errors import install_error_handlers
from .limits import RequestBodyLimit
from .routes import ROUTERS

__all__ = ["create_app"]

API_PREFIX = "/api/v1"


@dataclass
class _State:
    settings: Settings
    engine: Engine
    #: Served predictions wait here to be written in batches (flushed on shutdown).
    prediction_log: PredictionLogWriter


@asynccontextmanager
async def _lifespan(app: FastAPI):
    yield
    app.state.canvas.prediction_log.close()


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
    app.state.canvas = _State(settings=settings, engine=engine, prediction_log=PredictionLogWriter(engine, settings))
    install_error_handlers(app)
    # Outermost of our layers: a too-big body is refused before any route (or FastAPI's JSON parsing) reads it.
    app.add_middleware(RequestBodyLimit, json_limit=settings.max_json_body_bytes, upload_limit=settings.max_upload_bytes)
    for router, prefixed in ROUTERS:
        app.include_router(router, prefix=API_PREFIX if prefixed else "")
    return app
