"""Issue 18: one result per job, graceful stops, the clock from child-ready, children that die with their worker.

Real ``automl-canvas worker`` processes on the test's database, real signals
(SIGSTOP, SIGTERM to a process group, SIGKILL).  A job is held at a known point
with the diagnostic ``hold_file`` option, so each scenario is ordered by events
(a row's state, a file's existence), never by racing a timer.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from automl_canvas.db import session_scope, utcnow
from automl_canvas.jobs import queue
from automl_canvas.models import Job, JobStatus
from automl_canvas.runner.worker import Worker

from .conftest import REPO
from .helpers import job, process_alive, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.xdist_group("processes")]

#: Installed through PYTHONPATH in a test's worker: slows what a test needs slow, in spawned job processes only.
SITECUSTOMIZE = '''
import os, sys, time
if sys.argv[-1:] == ["--multiprocessing-fork"]:
    if os.environ.get("CANVAS_TEST_SLOW_START"):
        time.sleep(float(os.environ["CANVAS_TEST_SLOW_START"]))
    if os.environ.get("CANVAS_TEST_SLOW_WORKER_IMPORT"):
        class _Slow:
            def find_spec(self, name, path=None, target=None):
                if name == "automl_canvas.runner.execute":  # what the job's process imports after child_main
                    open(os.environ["CANVAS_TEST_MARK"], "w").write(str(os.getpid()))
                    time.sleep(float(os.environ["CANVAS_TEST_SLOW_WORKER_IMPORT"]))
                return None
        sys.meta_path.insert(0, _Slow())
'''


def _enqueue(engine, user, *, time_limit=120.0, **payload) -> int:
    with session_scope(engine) as s:
        return queue.enqueue(s, kind="diagnostic", payload=payload, created_by_id=user.id,
                             time_limit_seconds=time_limit, max_attempts=3).id


_job = job  # the shared helper (tests/helpers.py)
_alive = process_alive


@pytest.fixture
def workers(settings, tmp_path):
    """Start ``automl-canvas worker`` processes (each in its own process group); all are killed at the end."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    procs: list[subprocess.Popen] = []

    def start(**extra_env) -> subprocess.Popen:
        env = {**os.environ,
               "PYTHONPATH": os.pathsep.join([str(site), str(REPO)]),
               "AUTOML_CANVAS_HOME": str(settings.home), "AUTOML_CANVAS_DATABASE_URL": settings.database_url,
               "AUTOML_CANVAS_JOB_LEASE_SECONDS": "3", "AUTOML_CANVAS_JOB_HEARTBEAT_SECONDS": "0.5",
               "AUTOML_CANVAS_JOB_POLL_SECONDS": "0.1", "AUTOML_CANVAS_N_JOBS": "1", **extra_env}
        log = (tmp_path / f"worker-{len(procs)}.log").open("w")
        p = subprocess.Popen([sys.executable, "-m", "automl_canvas.cli", "worker"], env=env, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(p)
        return p

    yield start
    for p in procs:
        if p.poll() is None:
            os.kill(p.pid, signal.SIGCONT)
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(10)


def test_job_reclaimed_from_a_paused_worker_ends_with_exactly_one_result(settings, engine, analyst, workers, tmp_path):
    """Issue 18 point 1: worker A is SIGSTOPped mid-job, B reclaims after the lease; A's child still finishes.

    Its write (a follow-up job and the success, one transaction, like a model version and its job) is
    refused by the fence and rolled back: one follow-up, B's result.
    """
    hold = tmp_path / "hold"
    job_id = _enqueue(engine, analyst, seconds=0, hold_file=str(hold), follow_up=True)
    a = workers()
    first = wait_for(lambda: (j := _job(engine, job_id)).progress.get("stage") == "held" and j, timeout=120)
    os.kill(a.pid, signal.SIGSTOP)  # the worker only: its child keeps running, as in the issue
    b = workers()
    second = wait_for(lambda: (j := _job(engine, job_id)).lease_owner not in (None, first.lease_owner)
                      and j.progress.get("stage") == "held" and j.progress.get("pid") != first.progress["pid"] and j,
                      timeout=120)
    assert second.lease_token != first.lease_token and second.attempts == 2
    hold.touch()  # both children go on and try to write
    done = wait_for(lambda: (j := _job(engine, job_id)).is_terminal and j, timeout=60)
    wait_for(lambda: not _alive(first.progress["pid"]), timeout=30)  # A's child finished (its write refused)
    os.kill(a.pid, signal.SIGCONT)
    with session_scope(engine) as s:
        follow_ups = [j.id for j in s.exec(sa.select(Job)).scalars() if (j.payload or {}).get("follow_up_of") == job_id]
    assert done.status == "succeeded" and done.result["worker_id"] == second.lease_owner
    assert follow_ups == [done.result["follow_up_job_id"]]
    assert b.poll() is None


def test_a_lost_lease_makes_the_worker_kill_its_child_at_once(settings, engine, analyst, workers, tmp_path):
    """The reclaim is made directly in the database while the child is held; the worker notices at its next beat.

    The worker is paused (SIGSTOP) around the take-over: otherwise a heartbeat landing between the expiry and
    the claim renews the lease and the claim finds nothing (a race seen under load).
    """
    job_id = _enqueue(engine, analyst, seconds=0, hold_file=str(tmp_path / "never"), follow_up=True)
    w = workers()
    held = wait_for(lambda: (j := _job(engine, job_id)).progress.get("stage") == "held" and j, timeout=120)
    os.kill(w.pid, signal.SIGSTOP)
    with session_scope(engine) as s:
        s.execute(sa.update(Job).where(Job.id == job_id).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    assert queue.claim_next(engine, "intruder", 60).id == job_id
    os.kill(w.pid, signal.SIGCONT)
    wait_for(lambda: not _alive(held.progress["pid"]), timeout=20)  # the hold file never appears: it was killed
    job = _job(engine, job_id)
    assert (job.status, job.lease_owner) == ("running", "intruder")  # the worker wrote nothing over the new owner


def test_sigterm_to_the_workers_process_group_hands_the_job_back(settings, engine, analyst, workers, tmp_path):
    """Issue 18 points 2 and 5: systemd's control-group stop signals the child too; the job is queued again, not failed."""
    job_id = _enqueue(engine, analyst, seconds=0, hold_file=str(tmp_path / "never"))
    w = workers()
    held = wait_for(lambda: (j := _job(engine, job_id)).progress.get("stage") == "held" and j, timeout=120)
    os.killpg(w.pid, signal.SIGTERM)
    assert w.wait(30) == 0
    job = _job(engine, job_id)
    assert (job.status, job.lease_owner, job.lease_token, job.attempts, job.error) == ("queued", None, None, 0, {})
    assert not _alive(held.progress["pid"])


def test_child_dies_with_a_worker_killed_while_the_child_is_still_importing(settings, engine, analyst, workers, tmp_path):
    """Issue 18 point 4: the parent-death signal is set before the heavy imports, so no orphan outlives them."""
    mark = tmp_path / "child-importing"
    _enqueue(engine, analyst, seconds=0)
    w = workers(CANVAS_TEST_SLOW_WORKER_IMPORT="20", CANVAS_TEST_MARK=str(mark))
    child = int(wait_for(lambda: mark.exists() and mark.read_text(), timeout=120))
    w.kill()
    w.wait(10)
    killed = time.monotonic()
    wait_for(lambda: not _alive(child), timeout=15)  # the import alone would keep it 20 s
    assert time.monotonic() - killed < 10


def test_hard_limit_counts_from_when_the_child_is_ready(settings, engine, analyst, tmp_path, monkeypatch):
    """Issue 18 point 3: a 1 s job with a 2 s limit succeeds although its process took 4 s to start."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), str(REPO)]))
    monkeypatch.setenv("CANVAS_TEST_SLOW_START", "4")
    job_id = _enqueue(engine, analyst, time_limit=2.0, seconds=1)
    fast_grace = settings.model_copy(update={"job_wrap_up_grace_seconds": 0.5})
    w = Worker(fast_grace, engine=engine)
    assert w.run(once=True) == 1
    job = _job(engine, job_id)
    assert job.status == JobStatus.succeeded, job.error


def test_a_queued_job_says_how_many_go_first_and_about_how_long(engine, analyst):
    """Issue 18 point 6: position and estimate from the plans of the jobs ahead and running, per worker."""
    from automl_canvas.jobs.position import queue_position

    running = _enqueue(engine, analyst, seconds=120)
    ahead = [_enqueue(engine, analyst, seconds=30), _enqueue(engine, analyst, seconds=30)]
    mine = _enqueue(engine, analyst, seconds=5)
    assert queue.claim_next(engine, "w1", 60).id == running
    with session_scope(engine) as s:
        where = queue_position(s, queue.get_job(s, mine))
        first = queue_position(s, queue.get_job(s, ahead[0]))
        now = queue_position(s, queue.get_job(s, running))
    assert (where["position"], where["ahead"], where["workers"]) == (3, 2, 1)
    assert 170 <= where["estimated_wait_seconds"] <= 180  # ~120 s left of the running one + 2 x 30 s
    assert where["message"] == "2 jobs ahead of yours, about 3 minutes."
    assert first["ahead"] == 0 and first["message"].startswith("Yours is next")
    assert now["message"] == "Running now."
