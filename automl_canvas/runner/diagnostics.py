"""Diagnostic jobs: check that the queue and workers are alive, and measure them.

``diagnostic`` jobs do no model work: they sleep while reporting progress (to
measure queue latency and check heartbeats and cancels), or end their process
with a chosen exit code (to check that a crashing job fails alone and the worker
records why).  Operators use them to smoke-test a deployment (one job per worker
shows every worker claims and runs work); the benchmarks use them to measure job
start latency and throughput.

Two optional checks make them useful against a shared queue:

- ``record_run``: each execution leaves a mark file (job, attempt, process) in
  the artifact store's ``tmp/diagnostic-runs``: counting marks per job proves
  that every job ran exactly once, independently of what the jobs table says.
- ``check_order``: the job lists the jobs that should have been claimed before
  it (higher priority, or the same priority and queued earlier) and were still
  waiting when it started.  The list is empty when the queue is fair.
- ``hold_file``: after sleeping, wait until this file exists (a test holds a job
  mid-run at a known point, e.g. while it takes the lease over).
- ``follow_up``: write like a real job writes - queue one follow-up diagnostic
  job and finish, in one fenced transaction (``JobContext.write``), as training
  queues its evidence job with its version.  Counting follow-ups proves a job
  whose lease was taken over added no second result.
"""

from __future__ import annotations

import os
import socket
import time
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from ..db import session_scope
from ..errors import ValidationError
from ..jobs.context import JobContext
from ..jobs.queue import enqueue
from ..models import Job, JobStatus

__all__ = ["RUN_MARKS_DIR", "read_run_marks", "run_diagnostic_job"]

#: Under the artifact directory: one empty file per diagnostic execution.
RUN_MARKS_DIR = "tmp/diagnostic-runs"


def _mark_run(ctx: JobContext) -> None:
    folder = ctx.settings.artifact_dir / RUN_MARKS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    name = f"job-{ctx.job.id}-attempt-{ctx.job.attempts}-pid-{os.getpid()}-{socket.gethostname()}"
    (folder / name).touch(exist_ok=False)


def read_run_marks(artifact_dir) -> dict[int, int]:
    """How many times each job that asked for ``record_run`` was executed."""
    from pathlib import Path

    counts: dict[int, int] = {}
    folder = Path(artifact_dir) / RUN_MARKS_DIR
    for mark in folder.glob("job-*") if folder.exists() else ():
        job_id = int(mark.name.split("-")[1])
        counts[job_id] = counts.get(job_id, 0) + 1
    return counts


#: A job committed while this one's claim was in flight is not one the claim
#: could have seen; on PostgreSQL ``started_at`` is the claim transaction's
#: start, so a job enqueued in those few milliseconds would otherwise read as
#: an overtaken one.
CLAIM_WINDOW_SECONDS = 1.0


def _waiting_ahead(ctx: JobContext) -> list[int]:
    """Jobs that should have gone before this one and were already waiting when it was claimed."""
    me = ctx.job
    ahead = sa.or_(Job.priority > me.priority, sa.and_(Job.priority == me.priority, Job.id < me.id))
    if me.started_at is not None:
        ahead = sa.and_(ahead, Job.created_at < me.started_at - timedelta(seconds=CLAIM_WINDOW_SECONDS))
    with session_scope(ctx.engine) as s:
        rows = s.execute(
            sa.select(Job.id).where(Job.status == JobStatus.queued, Job.cancel_requested.is_(False), ahead).order_by(Job.id)
        ).scalars()
        return list(rows)


def run_diagnostic_job(ctx: JobContext) -> dict[str, Any] | None:
    payload = ctx.job.payload
    mode = payload.get("mode", "sleep")
    started = time.time()
    if payload.get("record_run"):
        _mark_run(ctx)
    if mode == "sleep":
        ahead = _waiting_ahead(ctx) if payload.get("check_order") else None
        seconds = float(payload.get("seconds", 0))
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            ctx.progress(stage="sleeping", remaining_seconds=round(left, 1))
            time.sleep(min(0.2, left))
        result = {"mode": mode, "slept_seconds": seconds, "started_at_epoch": started, "pid": os.getpid(),
                  "worker_id": ctx.worker_id, "omp_num_threads": os.environ.get("OMP_NUM_THREADS")}
        if ahead is not None:
            result["waiting_ahead"] = ahead
        if payload.get("hold_file"):
            ctx.progress(stage="held", pid=os.getpid(), force=True)
            while not os.path.exists(payload["hold_file"]):
                time.sleep(0.05)
        if payload.get("follow_up"):
            with ctx.write() as s:
                follow = enqueue(s, kind="diagnostic", payload={"follow_up_of": ctx.job.id}, created_by_id=ctx.job.created_by_id,
                                 time_limit_seconds=60)
                ctx.succeed(s, {**result, "follow_up_job_id": follow.id})
            return None
        return result
    if mode == "exit":
        os._exit(int(payload.get("code", 1)))
    raise ValidationError(f"Unknown diagnostic mode {mode!r}; use 'sleep' or 'exit'.")
