"""Fixtures for browser tests: a migrated product home with demo users, app servers, a browser."""

from __future__ import annotations

import pytest

from automl_canvas.auth.bootstrap import seed_demo_users
from automl_canvas.db import session_scope

from ..conftest import make_settings
from .harness import REPO, StreamlitServer, make_browser

DEMO_PASSWORD = "demo-password-for-tests"


@pytest.fixture
def product_env(tmp_path, engine, settings):
    """Environment variables that point a server process at this test's database and artifacts."""
    with session_scope(engine) as s:
        seed_demo_users(s, settings.model_copy(update={"demo_password": DEMO_PASSWORD}))
    env = {"AUTOML_CANVAS_HOME": str(settings.home), "AUTOML_CANVAS_N_JOBS": "1", "AUTOML_CANVAS_CV_FOLDS": "3"}
    env["AUTOML_CANVAS_DATABASE_URL"] = settings.database_url
    return env


@pytest.fixture
def browser():
    driver = make_browser()
    yield driver
    driver.quit()


@pytest.fixture
def start_app(tmp_path, product_env):
    servers = []

    def start(name: str) -> StreamlitServer:
        server = StreamlitServer(REPO / "apps" / name / "app.py", product_env, tmp_path / f"{name}-streamlit.log")
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.stop()


__all__ = ["DEMO_PASSWORD", "make_settings"]
