"""What every command module of the command line shares: the acting user and
settings (``State``), turning domain errors into one line and exit status 2
(``friendly``), waiting for a job with a progress line, and JSON output.

Kept free of heavy imports: ``automl-canvas --help`` imports this module, so
the settings, the database and the ML stack load only when a command needs them.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from functools import wraps

import click

from ..errors import CanvasError

__all__ = ["State", "draw_progress", "echo_json", "friendly", "scope", "wait_for", "wait_succeeded"]


class State:
    """The group's context object: who acts, and the settings and engine, each built on first use."""

    def __init__(self, username: str):
        self.username = username
        self._settings = None
        self._engine = None

    @property
    def settings(self):
        if self._settings is None:
            from ..config import get_settings

            self._settings = get_settings()
        return self._settings

    @settings.setter
    def settings(self, value) -> None:
        self._settings = value

    @property
    def engine(self):
        if self._engine is None:
            from ..db import make_engine

            self._engine = make_engine(self.settings)
        return self._engine

    def actor(self):
        from ..auth.users import get_user
        from ..db import session_scope

        with session_scope(self.engine) as s:
            return get_user(s, self.username)


def friendly(fn):
    """Expected errors print one plain line and exit with status 2; no tracebacks."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except CanvasError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(2)

    return wrapper


def scope(state: State):
    """A database session on the state's engine (commit on success, rollback on error)."""
    from ..db import session_scope

    return session_scope(state.engine)


def echo_json(obj) -> None:
    """Indented JSON of ``obj``, numpy values and NaN made JSON-safe."""
    from ..serialization import json_safe

    click.echo(json.dumps(json_safe(obj), indent=2, default=str))


def wait_for(state: State, job_id: int, quiet: bool, local_worker: bool):
    """Poll a job until it ends, drawing its progress on stderr unless ``quiet``.

    With ``local_worker`` a worker runs in a thread of this process meanwhile, so
    a command works without ``automl-canvas up``; Ctrl-C requests the job's cancel
    and exits with status 130.
    """
    from ..db import session_scope
    from ..jobs.queue import get_job

    worker = None
    if local_worker:
        from ..runner.worker import Worker

        worker = Worker(state.settings)
        threading.Thread(target=worker.run, daemon=True).start()
    try:
        while True:
            with session_scope(state.engine) as s:
                job = get_job(s, job_id)
                if job.status == "queued":
                    from ..jobs.position import queue_position

                    job = job.model_copy(update={"queue": queue_position(s, job)})
            if not quiet:
                draw_progress(job)
            if job.is_terminal:
                if not quiet:
                    click.echo("", err=True)
                return job
            time.sleep(0.5)
    except KeyboardInterrupt:
        from ..jobs.queue import request_cancel

        with session_scope(state.engine) as s:
            request_cancel(s, job_id)
        click.echo(f"\ncancel requested for job {job_id}", err=True)
        sys.exit(130)
    finally:
        if worker is not None:
            worker.stop.set()


def wait_succeeded(state: State, job_id: int, what: str, quiet: bool, local_worker: bool = True):
    """Wait for a job; a failed or cancelled one becomes one clear error line."""
    job = wait_for(state, job_id, quiet=quiet, local_worker=local_worker)
    if job.status != "succeeded":
        raise CanvasError(f"{what} job {job.id} {job.status}: {(job.error or {}).get('message', '')}")
    return job


def draw_progress(job) -> None:
    """One self-overwriting stderr line: stage, a bar of the search budget, trials, best score, time left."""
    p = job.progress or {}
    budget = p.get("budget_seconds")
    done = p.get("search_elapsed_seconds") or 0
    bar = ""
    if budget:
        filled = int(20 * min(1.0, done / budget))
        bar = "[" + "#" * filled + "." * (20 - filled) + "] "
    best = p.get("best_score")
    parts = [f"job {job.id}", job.status, p.get("stage", ""), bar]
    if p.get("trials_done") is not None:
        parts.append(f"trials {p['trials_done']}")
    if best is not None:
        parts.append(f"best {best:.4f}")
    if p.get("remaining_seconds") is not None:
        parts.append(f"~{p['remaining_seconds']:.0f}s left")
    if str(job.status) == "queued" and getattr(job, "queue", None):
        parts.append(job.queue["message"])  # "2 jobs ahead of yours, about 3 minutes."
    click.echo("\r" + "  ".join(x for x in parts if x).ljust(110), nl=False, err=True)
