"""`automl-canvas up | api`: serving the doors — the approval API (uvicorn) and
the two Streamlit apps — beside the workers.

The API is imported by its import path inside the server process only, so the
core never imports FastAPI; the apps are started only when their entry files
exist (``apps/analyst/app.py``, ``apps/scientist/app.py``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..threads import set_wait_policy
from ._common import State, friendly
from .system import init
from .workers import worker_process

if TYPE_CHECKING:
    from ..config import Settings

__all__ = ["APPS", "api", "api_process", "api_workers", "app_commands", "serve_api", "start_apps", "up"]

_REPO = Path(__file__).resolve().parents[2]
APPS = {"analyst": "apps/analyst/app.py", "scientist": "apps/scientist/app.py"}


def api_workers(workers: int | None, settings: Settings) -> int:
    """Processes to serve the API with: the option, else the setting, else one per CPU core."""

    n = workers if workers is not None else settings.api_workers
    return n if n and n > 0 else (os.cpu_count() or 1)


def serve_api(host: str | None = None, port: int | None = None, workers: int | None = 1) -> None:
    """Run the API until stopped (uvicorn handles SIGINT/SIGTERM).

    With several workers uvicorn starts that many processes on one socket; each builds its own app
    (factory), so each has its own caches, prediction-log writer and in-flight limit.

    Idle OpenMP threads spin briefly, then sleep (set before any learner loads, and inherited by
    uvicorn's worker processes; ``automl_canvas/threads.py`` says why): an ensemble calls LightGBM, XGBoost
    and scikit-learn in turn, and their spinning thread pools made one single-record prediction 7x slower
    on a busy 2-core machine (benchmarks/ensemble_predict.py), as they slow training jobs (the job
    processes set the same).
    """
    set_wait_policy()
    import uvicorn

    from ..config import get_settings

    settings = get_settings()
    uvicorn.run("apps.api:create_app", factory=True, host=host or settings.api_host, port=port or settings.api_port,
                log_level="info", access_log=False, workers=api_workers(workers, settings))


def api_process():
    import multiprocessing as mp

    return mp.get_context("spawn").Process(target=serve_api, name="canvas-api")


def app_commands(settings: Settings) -> list[list[str]]:
    """The Streamlit command line of each app whose entry file exists."""
    commands = []
    for name, rel in APPS.items():
        entry = _REPO / rel
        if entry.exists():
            port = getattr(settings, f"{name}_port")
            commands.append([sys.executable, "-m", "streamlit", "run", str(entry), "--server.port", str(port),
                             "--server.headless", "true", "--server.address", settings.apps_host,
                             "--browser.gatherUsageStats", "false"])
    return commands


def start_apps(settings: Settings) -> list[subprocess.Popen]:
    return [subprocess.Popen(cmd, cwd=_REPO) for cmd in app_commands(settings)]


@click.command("api")
@click.option("--host", default=None, help="Interface to listen on (default: settings.api_host, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: settings.api_port, 8000).")
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="API processes (default: settings.api_workers; 0 or unset: one per CPU core).")
def api(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve only the approval API (no job workers, no apps)."""
    serve_api(host, port, workers)


@click.command()
@click.option("--workers", type=int, default=None, help="Worker processes (default: settings).")
@click.option("--demo", is_flag=True, help="Also create one demo user per role and a sample project.")
@click.option("--no-api", is_flag=True, help="Do not serve the approval API.")
@click.option("--no-apps", is_flag=True, help="Do not start the analyst and scientist apps.")
@click.option("--short-lane/--no-short-lane", default=True, show_default=True,
              help="Also run one single-threaded worker for short jobs (evidence, reproduce, monitor) only.")
@click.pass_obj
@friendly
def up(state: State, workers: int | None, demo: bool, no_api: bool, no_apps: bool, short_lane: bool) -> None:
    """Initialise, then run the workers, the API and the apps until Ctrl-C."""
    import multiprocessing as mp

    state.settings.ensure_dirs()
    click.get_current_context().invoke(init)
    if demo:
        _seed_demo(state)
    n = workers or state.settings.workers
    procs = [mp.get_context("spawn").Process(target=worker_process, name=f"canvas-worker-{i}") for i in range(n)]
    if short_lane:  # short jobs never wait behind a long one (runner/lanes.py)
        procs.append(mp.get_context("spawn").Process(target=worker_process, args=(True,), name="canvas-worker-short"))
    if not no_api:
        procs.append(api_process())
    for p in procs:
        p.start()
    apps = [] if no_apps else start_apps(state.settings)
    lane = " and a short-job lane" if short_lane else ""
    click.echo(f"AutoML Canvas is up: {n} worker(s){lane} waiting for jobs. Train with: automl-canvas train FILE --target COLUMN")
    if not no_api:
        click.echo(f"approval API on http://{state.settings.api_host}:{state.settings.api_port} (docs at /docs)")
    for cmd in (a.args for a in apps):
        click.echo(f"app {Path(cmd[4]).parent.name} on http://127.0.0.1:{cmd[6]}")
    click.echo("Press Ctrl-C to stop.")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.is_set() and any(p.is_alive() for p in procs):
        stop.wait(1)
    for p in procs:
        p.terminate()
    for a in apps:
        a.terminate()
    for p in procs:
        p.join(10)
    for a in apps:
        a.wait(10)
    click.echo("stopped")


def _seed_demo(state: State) -> None:
    """`up --demo`: one demo user per role (passwords printed once) and a sample project."""
    from sqlmodel import select

    from ..auth.bootstrap import seed_demo_users
    from ..auth.users import get_user
    from ..db import session_scope
    from ..models import Project, ProjectCreate
    from ..projects import add_member, create_project

    with session_scope(state.engine) as s:
        created = seed_demo_users(s, state.settings)
        if s.exec(select(Project).where(Project.name == "Customer churn")).first() is None:
            ana = get_user(s, "ana")
            project = create_project(s, ana, ProjectCreate(
                name="Customer churn", question="Which customers will cancel in the next month?",
                decision="Who gets a retention call", success_criterion="Catch most churners among the customers we call"))
            add_member(s, ana, project.id, "max", "viewer")  # the manager follows the project (projects are private)
    for name, password in created.items():
        click.echo(f"demo user {name}: password (shown once) {password}")
