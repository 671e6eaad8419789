"""Issue 18, points 2, 5 and 6: the short-job lane, the admin's queue view, a second stop signal.

Real processes on the test's database: ``automl-canvas up`` (workers only: no API, no apps) and
``automl-canvas worker``, real signals.  Each scenario waits on events (a job row's state, a line in a
worker's log) with generous timeouts, never on a fixed sleep racing a timer.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from automl_canvas.db import session_scope
from automl_canvas.errors import PermissionDeniedError
from automl_canvas.jobs import queue
from automl_canvas.jobs.service import queue_overview_for
from automl_canvas.runner.lanes import SHORT_KINDS, parse_kinds, short_lane_settings
from automl_canvas.runner.worker import Worker

from .conftest import REPO
from .helpers import job, process_alive, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.xdist_group("processes")]


def _enqueue(engine, user, kind="diagnostic", *, time_limit=600.0, **payload) -> int:
    with session_scope(engine) as s:
        return queue.enqueue(s, kind=kind, payload=payload, created_by_id=user.id, time_limit_seconds=time_limit).id


_job = job  # the shared helper (tests/helpers.py)
_alive = process_alive


@pytest.fixture
def canvas(settings, tmp_path):
    """Start ``automl-canvas ARGS...`` in its own process group, logging to a file; all are killed at the end."""
    procs: list[subprocess.Popen] = []

    def start(*args: str, **extra_env: str) -> tuple[subprocess.Popen, Path]:
        env = {**os.environ, "PYTHONPATH": str(REPO),
               "AUTOML_CANVAS_HOME": str(settings.home), "AUTOML_CANVAS_DATABASE_URL": settings.database_url,
               "AUTOML_CANVAS_JOB_LEASE_SECONDS": "10", "AUTOML_CANVAS_JOB_HEARTBEAT_SECONDS": "0.5",
               "AUTOML_CANVAS_JOB_POLL_SECONDS": "0.1", "AUTOML_CANVAS_N_JOBS": "1",
               "AUTOML_CANVAS_WEBHOOK_POLL_SECONDS": "0", "AUTOML_CANVAS_MONITORING_INTERVAL_SECONDS": "0", **extra_env}
        log_path = tmp_path / f"canvas-{len(procs)}.log"
        p = subprocess.Popen([sys.executable, "-m", "automl_canvas.cli", *args], env=env, stdout=log_path.open("w"),
                             stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(p)
        return p, log_path

    yield start
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(10)


def _evidence_behind_a_long_job(engine, analyst):
    """A long diagnostic job is running (held, as a 5-minute training job would be); then an evidence job is queued.

    The evidence job names a version that does not exist: it fails at once once started, which is all the
    test needs (when it *started*); a real evidence run would only add its own work after that.
    """
    long_id = _enqueue(engine, analyst, seconds=0, hold_file="/nonexistent/never")
    wait_for(lambda: _job(engine, long_id).progress.get("stage") == "held", timeout=180)
    evidence_id = _enqueue(engine, analyst, "evidence", version_id=10**9, time_limit=60)
    return long_id, evidence_id


def test_an_evidence_job_behind_a_long_job_starts_within_seconds_on_the_default_up(settings, engine, analyst, canvas):
    """Point 5: ``up`` with its defaults (one general worker) also runs the short lane, which takes the evidence job."""
    up, log = canvas("up", "--no-api", "--no-apps")
    long_id, evidence_id = _evidence_behind_a_long_job(engine, analyst)
    started = wait_for(lambda: (j := _job(engine, evidence_id)).started_at is not None and j, timeout=60)
    assert (started.started_at - started.created_at).total_seconds() < 5.0
    assert _job(engine, long_id).status == "running"  # the long one was not disturbed
    wait_for(lambda: re.search(rf":short-\w+ runs job {evidence_id} ", log.read_text()), timeout=30)
    assert up.poll() is None


def test_without_the_short_lane_the_evidence_job_waits(settings, engine, analyst, canvas):
    """The control: ``up --no-short-lane`` (the old layout) leaves the evidence job queued behind the long one."""
    canvas("up", "--no-api", "--no-apps", "--no-short-lane")
    long_id, evidence_id = _evidence_behind_a_long_job(engine, analyst)
    deadline = time.monotonic() + 8.0
    while time.monotonic() < deadline:  # waiting *is* the observation here: nothing may pick it up
        assert _job(engine, evidence_id).status == "queued"
        time.sleep(0.5)
    assert _job(engine, long_id).status == "running"


def test_the_short_lane_claims_only_short_kinds(engine, analyst):
    """``claim_next(kinds=...)`` skips the long job ahead of the short one; a general claim takes FIFO order."""
    long_id = _enqueue(engine, analyst, seconds=60)
    short_id = _enqueue(engine, analyst, "monitor", version_id=1)
    assert queue.claim_next(engine, "short", 60, list(SHORT_KINDS)).id == short_id
    assert queue.claim_next(engine, "short", 60, list(SHORT_KINDS)) is None
    assert queue.claim_next(engine, "general", 60).id == long_id
    assert parse_kinds("short,diagnostic") == [*SHORT_KINDS, "diagnostic"] and parse_kinds(None) is None


def test_the_short_lane_runs_its_jobs_single_threaded(settings, engine, analyst, monkeypatch):
    """Its jobs' processes get one thread per native pool whatever the general setting (here: all cores)."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)  # the test process's own limit (tests/__init__.py) stays out
    everything = settings.model_copy(update={"n_jobs": -1})
    job_id = _enqueue(engine, analyst, seconds=0)
    lane = Worker(short_lane_settings(everything), engine=engine, kinds=["diagnostic"], lane="short", services=False)
    assert ":short-" in lane.worker_id
    assert lane.run(once=True) == 1
    assert _job(engine, job_id).result["omp_num_threads"] == "1"


def test_the_admin_sees_the_whole_queue(settings, engine, analyst, canvas):
    """Point 6: running jobs with their worker and ages, queued jobs with their position; admins only."""
    from automl_canvas.auth.users import ensure_user

    with session_scope(engine) as s:
        admin = ensure_user(s, "root", ("admin",), "Root Admin")
    running = _enqueue(engine, analyst, seconds=120)
    waiting = [_enqueue(engine, analyst, seconds=30), _enqueue(engine, analyst, seconds=30)]
    assert queue.claim_next(engine, "host:1:abc", 60).id == running
    with session_scope(engine) as s:
        view = queue_overview_for(s, admin)
        with pytest.raises(PermissionDeniedError):
            queue_overview_for(s, analyst)
    (run,) = view["running"]
    assert (run["id"], run["worker"], run["attempt"]) == (running, "host:1:abc", 1) and run["age_seconds"] >= 0
    assert [(q["id"], q["position"]) for q in view["queued"]] == [(waiting[0], 1), (waiting[1], 2)]
    assert view["queued"][1]["message"] == "1 job ahead of yours, about 2 minutes."
    p, log = canvas("--user", "root", "jobs", "--all")
    assert p.wait(120) == 0, log.read_text()
    out = log.read_text()
    assert re.search(rf"^\s*{running}\s+diagnostic\s+host:1:abc\s", out, re.MULTILINE), out
    assert re.search(rf"^\s*{waiting[1]}\s+diagnostic\s+#2\b", out, re.MULTILINE), out


def test_a_second_stop_signal_ends_the_worker_at_once(settings, engine, analyst, canvas):
    """Point 2: the first SIGTERM asks for a graceful stop (noticed at the next heartbeat, here 30 s away);
    the second ends the worker now, and its child dies with it (parent-death signal)."""
    job_id = _enqueue(engine, analyst, seconds=0, hold_file="/nonexistent/never")
    w, log = canvas("worker", AUTOML_CANVAS_JOB_HEARTBEAT_SECONDS="30", AUTOML_CANVAS_JOB_LEASE_SECONDS="90")
    held = wait_for(lambda: (j := _job(engine, job_id)).progress.get("stage") == "held" and j, timeout=180)
    os.kill(w.pid, signal.SIGTERM)
    wait_for(lambda: "handing the job back and stopping" in log.read_text(), timeout=30)  # the first one was handled
    os.kill(w.pid, signal.SIGTERM)
    assert w.wait(10) == 128 + signal.SIGTERM
    wait_for(lambda: not _alive(held.progress["pid"]), timeout=15)
    assert _job(engine, job_id).status == "running"  # not handed back: its lease runs out and it is reclaimed
