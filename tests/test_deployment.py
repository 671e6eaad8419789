"""The Docker image and the compose example run real commands, and behave under `docker stop`.

No Docker engine is needed: the commands the image and the compose file run are
checked against the CLI, and the image's main command is run as a process and
stopped the way Docker stops a container (SIGTERM).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

import pytest
from click.testing import CliRunner

from automl_canvas.cli import main
from automl_canvas.db import session_scope
from automl_canvas.jobs import queue

from .conftest import REPO
from .helpers import wait_for

# starts its own worker or server processes: one such module at a time (tests/conftest.py)
pytestmark = pytest.mark.xdist_group("processes")


def _dockerfile_commands() -> dict[str, list[str]]:
    text = (REPO / "Dockerfile").read_text()
    return {
        "CMD": json.loads(re.search(r"^CMD (\[.*\])$", text, re.MULTILINE).group(1)),
        "HEALTHCHECK": json.loads(re.search(r"^\s+CMD (\[.*\])$", text, re.MULTILINE).group(1)),
    }


def _compose_commands() -> list[list[str]]:
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed: the compose file is not checked")
    services = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    return [s["command"] for s in services.values() if s.get("command", [""])[0] == "automl-canvas"]


def test_every_command_the_image_and_compose_run_exists():
    commands = [*_dockerfile_commands().values(), *_compose_commands()]
    assert ["automl-canvas", "up"] in commands and ["automl-canvas", "worker"] in commands
    for cmd in commands:
        assert cmd[0] == "automl-canvas"
        res = CliRunner().invoke(main, [*cmd[1:], "--help"])
        assert res.exit_code == 0, (cmd, res.output)


@pytest.mark.slow
def test_docker_stop_of_up_hands_the_running_job_back(settings, engine, analyst, tmp_path):
    from .e2e.harness import free_port

    api_port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "AUTOML_CANVAS_HOME": str(settings.home),
        "AUTOML_CANVAS_DATABASE_URL": settings.database_url,
        "AUTOML_CANVAS_JOB_HEARTBEAT_SECONDS": "0.5",
        "AUTOML_CANVAS_JOB_POLL_SECONDS": "0.1",
        # The image's `up` also serves the API and both apps: on free ports here.
        "AUTOML_CANVAS_API_PORT": str(api_port),
        "AUTOML_CANVAS_ANALYST_PORT": str(free_port()),
        "AUTOML_CANVAS_SCIENTIST_PORT": str(free_port()),
    }
    with session_scope(engine) as s:
        job_id = queue.enqueue(s, kind="diagnostic", payload={"seconds": 120}, created_by_id=analyst.id,
                               time_limit_seconds=300).id
    up = subprocess.Popen([sys.executable, "-m", "automl_canvas.cli", *_dockerfile_commands()["CMD"][1:]], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def sleeping():
            with session_scope(engine) as s:
                return queue.get_job(s, job_id).progress.get("stage") == "sleeping"

        wait_for(sleeping, timeout=120)

        def api_healthy():
            import urllib.request

            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/health", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False

        wait_for(api_healthy, timeout=120)
        health = subprocess.run([sys.executable, "-m", "automl_canvas.cli", *_dockerfile_commands()["HEALTHCHECK"][1:]],
                                env=env, capture_output=True, text=True, timeout=120, check=False)
        assert (health.returncode, health.stdout.strip()) == (0, "ok"), health.stderr
        up.send_signal(signal.SIGTERM)  # docker stop
        out, _ = up.communicate(timeout=60)
    finally:
        if up.poll() is None:
            up.kill()
    assert up.returncode == 0 and out.strip().endswith("stopped"), out[-2000:]
    with session_scope(engine) as s:
        job = queue.get_job(s, job_id)
    # Another worker (or the restarted container) takes it over at once; the attempt is not counted.
    assert (job.status, job.lease_owner, job.attempts) == ("queued", None, 0)  # handed back: queued, no owner
    assert job.progress["stage"] == "waiting for a worker (its worker stopped)"
