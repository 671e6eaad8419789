"""Small real-world helpers shared by tests (no mocks: they call the product)."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from automl_canvas.db import session_scope
from automl_canvas.jobs import queue
from automl_canvas.runner.worker import Worker

#: The test runner's own ``__main__``. Streamlit's AppTest runs an app script as ``__main__`` and leaves it
#: in ``sys.modules``; a worker's "spawn" children would then re-run that app script on start-up and die.
_RUNNER_MAIN = sys.modules.get("__main__")


def restore_main_module() -> None:
    if _RUNNER_MAIN is not None:
        sys.modules["__main__"] = _RUNNER_MAIN


def run_queued_jobs(settings, engine) -> None:
    """Drain the queue with a real worker (child process per job)."""
    restore_main_module()
    w = Worker(settings, engine=engine)
    while w.run(once=True):
        pass


def job(engine, job_id):
    with session_scope(engine) as s:
        return queue.get_job(s, job_id)


def wait_for(fn, timeout=30.0, interval=0.1):
    """Poll ``fn`` until it returns something truthy (returned), failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


@dataclass(frozen=True)
class WorldSnapshot:
    """A world built once and left at rest, for test modules that each need their own copy of it.

    Training is the slow part of a world; a copy is a directory copy (and, on PostgreSQL, a database made from
    this one as a template), so every module still gets a world it may change without training again.  Stored
    paths are relative to the home, so a copy is a complete world.
    """

    #: the world's home: artifacts, datasets, keys and, on SQLite, the database file
    home: Path
    #: its PostgreSQL database (no connection may stay open to it), or None on SQLite
    database_url: str | None

    @contextmanager
    def copy(self, home: Path) -> Iterator[str | None]:
        """Copy the world to ``home``; yields the copy's database URL for its settings (None on SQLite)."""
        shutil.copytree(self.home, home)
        if self.database_url is None:
            yield None
            return
        from .conftest import temporary_pg_database

        databases = temporary_pg_database(template=self.database_url)
        url = next(databases)
        try:
            yield url
        finally:
            next(databases, None)


@contextmanager
def app_environment(env: dict[str, str]) -> Iterator[None]:
    """Point the Streamlit apps at a test world for AppTests: its environment variables set and the settings and
    Streamlit caches cleared on the way in and out (an app builds its world once per process, from the environment)."""
    import streamlit as st

    from automl_canvas.config import get_settings

    def clear() -> None:
        get_settings.cache_clear()
        st.cache_resource.clear()
        st.cache_data.clear()

    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        clear()
        try:
            yield
        finally:
            clear()


def open_app_test(script, user_id: int, page: str | None = None, timeout: float = 180, **state):
    """An AppTest of the app at ``script``, signed in as ``user_id`` (what the sign-in form keeps), with ``state``
    preset, run once, then on ``page`` (a path relative to the script, e.g. ``"pages/monitoring.py"``) if given."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(script), default_timeout=timeout)
    at.session_state["canvas_user_id"] = user_id
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


def users_with_tokens(session, settings, roles_by_name: dict[str, tuple[str, ...]], token_name: str) -> tuple[dict, dict]:
    """({name: UserPublic}, {name: API token}) for test worlds: one account and one token per name."""
    from automl_canvas.auth.tokens import create_token
    from automl_canvas.auth.users import ensure_user

    users = {name: ensure_user(session, name, roles, name.title()) for name, roles in roles_by_name.items()}
    return users, {name: create_token(session, settings, user, name=token_name)[1] for name, user in users.items()}


def process_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, dead but not yet reaped, counts as gone)."""
    from pathlib import Path

    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
