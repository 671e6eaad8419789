"""Serving the doors from the CLI: the approval API (uvicorn) and the two Streamlit apps.

The API is imported by its import path inside the server process only, so the
core never imports FastAPI; the apps are started only when their entry files
exist (``apps/analyst/app.py``, ``apps/scientist/app.py``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

from .config import Settings, get_settings

__all__ = ["api_process", "api_workers", "app_commands", "register", "serve_api", "start_apps"]

_REPO = Path(__file__).resolve().parents[1]
APPS = {"analyst": "apps/analyst/app.py", "scientist": "apps/scientist/app.py"}


def api_workers(workers: int | None, settings: Settings) -> int:
    """Processes to serve the API with: the option, else the setting, else one per CPU core."""
    import os

    n = workers if workers is not None else settings.api_workers
    return n if n and n > 0 else (os.cpu_count() or 1)


def serve_api(host: str | None = None, port: int | None = None, workers: int | None = 1) -> None:
    """Run the API until stopped (uvicorn handles SIGINT/SIGTERM).

    With several workers uvicorn starts that many processes on one socket; each builds its own app
    (factory), so each has its own caches, prediction-log writer and in-flight limit.
    """
    import uvicorn

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


def register(main) -> None:
    main.add_command(api)
