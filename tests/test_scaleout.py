"""Many workers on one queue: real ``automl-canvas worker`` processes, real jobs.

Run on both backends (``--db postgresql`` is the production set-up these tests
are about; on SQLite the same guarantees hold on one machine).  The test that
is about PostgreSQL's row locks skips on SQLite and says why.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from automl_canvas.config import Settings
from automl_canvas.db import session_scope
from automl_canvas.jobs import queue
from automl_canvas.models import Job
from automl_canvas.runner.diagnostics import RUN_MARKS_DIR, read_run_marks
from automl_canvas.runner.worker import Worker

from .conftest import REPO
from .helpers import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("processes")]

LEASE_SECONDS = 3


def _enqueue(engine, user, n=1, *, priority=0, **payload) -> list[int]:
    with session_scope(engine) as s:
        return [
            queue.enqueue(s, kind="diagnostic", payload=payload, created_by_id=user.id, priority=priority,
                          time_limit_seconds=120, max_attempts=3).id
            for _ in range(n)
        ]


def _jobs(engine, ids):
    with session_scope(engine) as s:
        return {i: queue.get_job(s, i) for i in ids}


def _all_done(engine, ids):
    jobs = _jobs(engine, ids)
    return jobs if all(j.is_terminal for j in jobs.values()) else None


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class WorkerPool:
    """``automl-canvas worker`` processes as an operator starts them, on this checkout's code."""

    def __init__(self, settings: Settings, logs: Path):
        self.settings, self.logs = settings, logs
        self.procs: list[subprocess.Popen] = []
        # the test process's own thread limits (tests/__init__.py) stay out: the workers must set them themselves
        inherited = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
        self.env = {
            **inherited,
            "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            "AUTOML_CANVAS_HOME": str(settings.home),
            "AUTOML_CANVAS_DATABASE_URL": settings.database_url,
            "AUTOML_CANVAS_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
            "AUTOML_CANVAS_JOB_HEARTBEAT_SECONDS": "0.5",
            "AUTOML_CANVAS_JOB_POLL_SECONDS": "0.1",
            "AUTOML_CANVAS_N_JOBS": "1",
            # Each job's process is started after its claim: a waiting process (runner/warm.py, tested in
            # tests/test_warm_children.py) imports the whole training stack, and these workers run two dozen
            # quick jobs -- a waiting process after every one of them was most of this module's CPU time.
            "AUTOML_CANVAS_JOB_WARM_CHILDREN": "false",
        }

    def start(self, n: int) -> list[subprocess.Popen]:
        new = []
        for _ in range(n):
            log = (self.logs / f"worker-{len(self.procs)}.log").open("w")
            p = subprocess.Popen([sys.executable, "-m", "automl_canvas.cli", "worker"], env=self.env, stdout=log,
                                 stderr=subprocess.STDOUT)
            self.procs.append(p)
            new.append(p)
        return new

    def by_pid(self, pid: int) -> subprocess.Popen:
        return next(p for p in self.procs if p.pid == pid)

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)

    def log_tail(self) -> str:
        return "\n".join(f.read_text()[-1500:] for f in sorted(self.logs.glob("worker-*.log")))


@pytest.fixture
def pool(settings, engine, tmp_path):
    logs = tmp_path / "worker-logs"
    logs.mkdir()
    p = WorkerPool(settings, logs)
    yield p
    p.stop()


@pytest.mark.db  # the production set-up: many workers claiming with SKIP LOCKED
def test_four_workers_run_two_dozen_jobs_exactly_once(settings, engine, analyst, pool):
    pool.start(4)
    ids = _enqueue(engine, analyst, 24, seconds=0.2, record_run=True)
    jobs = wait_for(lambda: _all_done(engine, ids), timeout=300, interval=0.5)
    assert all(j.status == "succeeded" for j in jobs.values()), pool.log_tail()
    assert all(j.attempts == 1 for j in jobs.values())
    assert {j.result["omp_num_threads"] for j in jobs.values()} == {"1"}  # AUTOML_CANVAS_N_JOBS holds every job
    # Each job's own mark: one execution each, whatever the jobs table says.
    marks = read_run_marks(settings.artifact_dir)
    assert {i: marks.get(i, 0) for i in ids} == {i: 1 for i in ids}
    # The queue was shared: every worker took some of the jobs.
    assert len({j.result["worker_id"] for j in jobs.values()}) == 4


def test_sigkilled_worker_job_is_reclaimed_after_its_lease_and_finishes(settings, engine, analyst, pool):
    pool.start(4)
    (job_id,) = _enqueue(engine, analyst, seconds=5, record_run=True)
    job = wait_for(lambda: (j := _jobs(engine, [job_id])[job_id]).progress.get("stage") == "sleeping" and j, timeout=120)
    victim_id = job.lease_owner
    victim = pool.by_pid(int(victim_id.split(":")[1]))
    killed_at = time.time()
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)

    job = wait_for(lambda: (j := _jobs(engine, [job_id])[job_id]).is_terminal and j, timeout=120, interval=0.2)
    assert job.status == "succeeded", (job.error, pool.log_tail())
    assert job.attempts == 2
    assert job.result["worker_id"] != victim_id
    runs = sorted((settings.artifact_dir / RUN_MARKS_DIR).glob(f"job-{job_id}-*"))
    assert [r.name.split("-")[3] for r in runs] == ["1", "2"]  # the killed attempt, then the one that finished
    # Reclaimed only once the lease had run out (the last heartbeat was at most 0.5 s before the kill).
    assert runs[1].stat().st_mtime - killed_at >= LEASE_SECONDS - 1.0
    # The killed worker's job process did not go on running the job beside the new one.
    first_pid = int(runs[0].name.split("-")[5])
    wait_for(lambda: not _alive(first_pid), timeout=10)


@pytest.mark.db
def test_queue_filled_past_the_workers_is_served_fifo_per_priority(settings, engine, analyst, pool):
    ids = []
    for p in (0, 0, 5, 0, 5, 0, 0, 5, 0, 0, 5, 0):
        ids += _enqueue(engine, analyst, priority=p, seconds=0.5, check_order=True)
    pool.start(4)
    wait_for(lambda: any(j.status == "running" for j in _jobs(engine, ids).values()), timeout=120)
    # Urgent work arrives while every worker is busy and ten jobs still wait.
    ids += _enqueue(engine, analyst, 3, priority=9, seconds=0.5, check_order=True)
    jobs = wait_for(lambda: _all_done(engine, ids), timeout=300, interval=0.5)
    assert all(j.status == "succeeded" for j in jobs.values()), pool.log_tail()
    # No job started while one that should go before it was still waiting.
    assert {i: j.result["waiting_ahead"] for i, j in jobs.items()} == {i: [] for i in ids}
    # And the urgent jobs overtook the normal ones that were waiting when they arrived.
    first_urgent = min(jobs[i].started_at for i in ids[-3:])
    late_normal = [j for j in jobs.values() if j.priority == 0 and j.started_at > first_urgent]
    assert late_normal, "the urgent jobs should have arrived while normal jobs were still queued"


def test_stopped_worker_hands_its_job_back_at_once(settings, engine, analyst, pool):
    (first,) = pool.start(1)
    (job_id,) = _enqueue(engine, analyst, seconds=3, record_run=True)
    wait_for(lambda: _jobs(engine, [job_id])[job_id].progress.get("stage") == "sleeping", timeout=120)
    first.send_signal(signal.SIGTERM)  # what `docker stop` does
    first.wait(20)
    job = _jobs(engine, [job_id])[job_id]
    assert (job.status, job.lease_owner, job.lease_token, job.attempts) == ("queued", None, None, 0)  # issue 18, point 5
    pool.start(1)
    job = wait_for(lambda: (j := _jobs(engine, [job_id])[job_id]).is_terminal and j, timeout=120)
    assert job.status == "succeeded" and job.attempts == 1


def test_worker_outlives_an_unreachable_database(tmp_path, caplog):
    settings = Settings(home=tmp_path, database_url_override=f"sqlite:///{tmp_path}/missing/dir/canvas.db",
                        job_poll_seconds=0.05)
    caplog.set_level(logging.WARNING, logger="automl_canvas.worker")
    worker = Worker(settings)
    t = threading.Thread(target=worker.run, daemon=True)
    t.start()
    # it logs and retries instead of dying: a second failed attempt is made by a worker that outlived the first
    wait_for(lambda: sum("could not reach the queue" in r.getMessage() for r in caplog.records) >= 2, timeout=60)
    assert t.is_alive()
    worker.stop.set()
    t.join(40)
    assert not t.is_alive()


@pytest.mark.db
def test_postgresql_claims_skip_rows_another_worker_is_claiming(settings, engine, analyst, db_backend):
    if db_backend != "postgresql":
        pytest.skip("about PostgreSQL row locks (FOR UPDATE SKIP LOCKED); SQLite has one writer at a time: "
                    "run with --db postgresql")
    first, second = _enqueue(engine, analyst, 2, seconds=0)
    with engine.connect() as conn, conn.begin():
        # Another worker is in the middle of claiming the first job.
        conn.execute(sa.select(Job.id).where(Job.id == first).with_for_update())
        got: list = []
        t = threading.Thread(target=lambda: got.append(queue.claim_next(engine, "w2", 30)))
        t.start()
        t.join(10)
        assert not t.is_alive(), "a claim waited for another worker's lock instead of skipping it"
    assert got[0].id == second
