"""Small real-world helpers shared by tests (no mocks: they call the product)."""

from __future__ import annotations

import sys
import time

from automl_canvas.db import session_scope
from automl_canvas.jobs import queue
from automl_canvas.jobs.worker import Worker


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
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
