"""`automl-canvas api` serves the API on the configured port; `up` starts the API beside the
workers and the Streamlit apps only when their entry files exist."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from automl_canvas.cli.serve import APPS, app_commands
from tests.api.server import free_port
from tests.conftest import REPO, make_settings

# starts its own worker or server processes: one such module at a time (tests/conftest.py)
pytestmark = pytest.mark.xdist_group("processes")


def test_app_commands_only_for_existing_entry_files(tmp_path):
    settings = make_settings(tmp_path / "home", None, analyst_port=18501, scientist_port=18502)
    commands = app_commands(settings)
    expected = [name for name, rel in APPS.items() if (REPO / rel).exists()]
    assert [c[4].split("/")[-2] for c in commands] == expected
    for c in commands:
        assert c[1:4] == ["-m", "streamlit", "run"] and "--server.headless" in c and "127.0.0.1" in c


def _wait_health(url: str, proc, timeout: float = 300) -> httpx.Response:
    """Generous: on a loaded shared machine starting Python with the ML stack can take minutes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"the server exited ({proc.returncode}): {out} {err}")
        try:
            return httpx.get(url, timeout=2)
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError("the server did not answer")


@pytest.mark.slow
def test_api_command_serves_the_api(tmp_path, pg_database_url):
    port = free_port()
    env = {**os.environ, "AUTOML_CANVAS_HOME": str(tmp_path / "home"), "AUTOML_CANVAS_API_PORT": str(port),
           "PYTHONPATH": str(REPO)}
    if pg_database_url:
        env["AUTOML_CANVAS_DATABASE_URL"] = pg_database_url
    cli = [sys.executable, "-c", "from automl_canvas.cli import main; main()"]
    subprocess.run([*cli, "init"], env=env, check=True, capture_output=True, timeout=120)
    proc = subprocess.Popen([*cli, "api"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        r = _wait_health(f"http://127.0.0.1:{port}/health", proc)
        assert r.status_code == 200 and r.json()["status"] == "ok"
        me = httpx.get(f"http://127.0.0.1:{port}/api/v1/me", timeout=5)
        assert me.status_code == 401 and me.json()["error"]["code"] == "unauthenticated"
    finally:
        proc.terminate()
        proc.wait(20)


@pytest.mark.slow
def test_up_serves_the_api_beside_the_worker(tmp_path, pg_database_url):
    port = free_port()
    env = {**os.environ, "AUTOML_CANVAS_HOME": str(tmp_path / "home"), "AUTOML_CANVAS_API_PORT": str(port),
           "PYTHONPATH": str(REPO)}
    if pg_database_url:
        env["AUTOML_CANVAS_DATABASE_URL"] = pg_database_url
    proc = subprocess.Popen([sys.executable, "-c", "from automl_canvas.cli import main; main()", "up", "--no-apps"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        r = _wait_health(f"http://127.0.0.1:{port}/health", proc)
        assert r.status_code == 200
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=60)
    assert f"approval API on http://127.0.0.1:{port}" in out and "stopped" in out, (out, err[-2000:])
