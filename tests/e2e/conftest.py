"""Fixtures for browser tests: a migrated product home with demo users, the API and app servers, a browser.

The API and the apps get their ports up front (in ``product_env``), as ``automl-canvas up`` gives them from the
settings: the apps send the browser to the API for the sign-in cookie, and the API sends it back only to the apps'
ports."""

from __future__ import annotations

import pytest

from automl_canvas.auth.bootstrap import seed_demo_users
from automl_canvas.db import session_scope

from ..conftest import make_settings
from .harness import REPO, ApiServer, StreamlitServer, free_port, make_browser

DEMO_PASSWORD = "demo-password-for-tests"


@pytest.fixture
def product_env(tmp_path, engine, settings):
    """Environment variables that point a server process at this test's database and artifacts."""
    with session_scope(engine) as s:
        seed_demo_users(s, settings.model_copy(update={"demo_password": DEMO_PASSWORD}))
    env = {"AUTOML_CANVAS_HOME": str(settings.home), "AUTOML_CANVAS_N_JOBS": "1", "AUTOML_CANVAS_CV_FOLDS": "3"}
    env["AUTOML_CANVAS_DATABASE_URL"] = settings.database_url
    for name in ("API", "ANALYST", "SCIENTIST"):
        env[f"AUTOML_CANVAS_{name}_PORT"] = str(free_port())
    return env


@pytest.fixture
def browser():
    driver = make_browser()
    yield driver
    driver.quit()


@pytest.fixture
def start_app(tmp_path, product_env):
    """Start an app (``start("analyst")``) on its port; the API is started with the first app."""
    servers: list = []

    def start(name: str) -> StreamlitServer:
        if not servers:
            servers.append(ApiServer(product_env, tmp_path / "api.log", int(product_env["AUTOML_CANVAS_API_PORT"])))
        server = StreamlitServer(REPO / "apps" / name / "app.py", product_env, tmp_path / f"{name}-streamlit.log",
                                 port=int(product_env[f"AUTOML_CANVAS_{name.upper()}_PORT"]))
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.stop()


__all__ = ["DEMO_PASSWORD", "make_settings"]
