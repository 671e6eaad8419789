"""The job queue and workers, with real processes on the real database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from automl_canvas.db import session_scope, utcnow
from automl_canvas.errors import InvalidTransitionError
from automl_canvas.jobs import queue
from automl_canvas.models import Job, JobStatus
from automl_canvas.runner.worker import Worker

pytestmark = pytest.mark.db


def _enqueue(engine, user, *, priority=0, time_limit=60.0, max_attempts=3, **payload):
    with session_scope(engine) as s:
        return queue.enqueue(
            s, kind="diagnostic", payload=payload, created_by_id=user.id, priority=priority,
            time_limit_seconds=time_limit, max_attempts=max_attempts,
        ).id


def _job(engine, job_id):
    with session_scope(engine) as s:
        return queue.get_job(s, job_id)


def _wait(engine, job_id, predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = _job(engine, job_id)
        if predicate(job):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never reached the expected state; last: {job.status} {job.progress} {job.error}")


def _start_worker(settings, engine):
    w = Worker(settings, engine=engine)
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    return w, t


def test_fifo_within_priority(engine, analyst):
    ids = [_enqueue(engine, analyst, priority=p, seconds=0) for p in (0, 0, 5, 0, 5)]
    order = []
    while (job := queue.claim_next(engine, "w1", 30)) is not None:
        order.append(job.id)
    assert order == [ids[2], ids[4], ids[0], ids[1], ids[3]]


def test_concurrent_claims_take_each_job_exactly_once(engine, analyst):
    ids = {_enqueue(engine, analyst, seconds=0) for _ in range(40)}
    claimed: list[int] = []
    lock = threading.Lock()

    def claimer(name):
        while (job := queue.claim_next(engine, name, 30)) is not None:
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(ids)


def test_worker_runs_job_in_child_process_and_records_result(settings, engine, analyst):
    job_id = _enqueue(engine, analyst, seconds=0.3)
    w = Worker(settings, engine=engine)
    assert w.run(once=True) == 1
    job = _job(engine, job_id)
    assert job.status == "succeeded"
    assert job.result["pid"] != os.getpid()
    assert job.attempts == 1 and job.started_at and job.finished_at
    assert job.progress["stage"] == "done"


def test_cancel_queued_and_running_jobs(settings, engine, analyst):
    queued = _enqueue(engine, analyst, seconds=0)
    with session_scope(engine) as s:
        queue.request_cancel(s, queued)
    assert _job(engine, queued).status == "cancelled"
    with session_scope(engine) as s, pytest.raises(InvalidTransitionError, match="already finished"):
        queue.request_cancel(s, queued)

    running = _enqueue(engine, analyst, seconds=60)
    w, t = _start_worker(settings, engine)
    try:
        _wait(engine, running, lambda j: j.progress.get("stage") == "sleeping")
        with session_scope(engine) as s:
            queue.request_cancel(s, running)
        job = _wait(engine, running, lambda j: j.is_terminal, timeout=20)
        assert job.status == "cancelled"
    finally:
        w.stop.set()
        t.join(10)


def test_hard_time_limit_stops_an_overrunning_job(settings, engine, analyst):
    job_id = _enqueue(engine, analyst, seconds=60, time_limit=1.0)
    Worker(settings, engine=engine).run(once=True)
    job = _job(engine, job_id)
    assert job.status == "failed"
    assert job.error["code"] == "time_limit"
    assert "hard limit of 1 s" in job.error["message"]


def test_crashing_job_fails_alone_with_the_reason(settings, engine, analyst):
    crash = _enqueue(engine, analyst, mode="exit", code=9)
    fine = _enqueue(engine, analyst, seconds=0)
    w = Worker(settings, engine=engine)
    assert w.run(once=True) == 1
    assert w.run(once=True) == 1
    job = _job(engine, crash)
    assert job.status == "failed" and job.error["code"] == "job_process_died"
    assert "exited with code 9" in job.error["message"]
    assert _job(engine, fine).status == "succeeded"


def test_expired_lease_is_reclaimed_then_given_up_after_max_attempts(engine, analyst):
    job_id = _enqueue(engine, analyst, seconds=0, max_attempts=2)
    for attempt in (1, 2):
        job = queue.claim_next(engine, f"dead-worker-{attempt}", 30)
        assert job.id == job_id and job.attempts == attempt
        with session_scope(engine) as s:  # the worker died: its lease runs out
            s.execute(sa.update(Job).where(Job.id == job_id).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    assert queue.claim_next(engine, "w3", 30) is None
    job = _job(engine, job_id)
    assert job.status == "failed" and job.error["code"] == "worker_lost"


def test_finish_refused_for_a_worker_that_lost_its_lease(engine, analyst):
    job_id = _enqueue(engine, analyst, seconds=0)
    queue.claim_next(engine, "old", 30)
    with session_scope(engine) as s:
        s.execute(sa.update(Job).where(Job.id == job_id).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    assert queue.claim_next(engine, "new", 30).id == job_id
    assert queue.finish(engine, job_id, "old", JobStatus.succeeded, result={}) is False
    assert queue.finish(engine, job_id, "new", JobStatus.succeeded, result={"ok": 1}) is True
    assert _job(engine, job_id).result == {"ok": 1}


@pytest.mark.slow
def test_sigkilled_worker_job_is_reclaimed_and_finishes(settings, engine, analyst, tmp_path):
    env = {
        **os.environ,
        "AUTOML_CANVAS_HOME": str(settings.home),
        "AUTOML_CANVAS_DATABASE_URL": settings.database_url,
        "AUTOML_CANVAS_JOB_LEASE_SECONDS": "3",
        "AUTOML_CANVAS_JOB_HEARTBEAT_SECONDS": "0.5",
        "AUTOML_CANVAS_JOB_POLL_SECONDS": "0.1",
    }
    job_id = _enqueue(engine, analyst, seconds=4)
    cmd = [sys.executable, "-m", "automl_canvas.cli", "worker"]
    first = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        job = _wait(engine, job_id, lambda j: j.progress.get("stage") == "sleeping", timeout=60)
        first_owner = job.lease_owner
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        second = subprocess.Popen(cmd + ["--idle-exit", "30"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            job = _wait(engine, job_id, lambda j: j.is_terminal, timeout=90)
        finally:
            second.terminate()
            second.wait(20)
    finally:
        if first.poll() is None:
            first.kill()
    assert job.status == "succeeded", job.error
    assert job.attempts == 2
    assert job.lease_owner is None and first_owner
