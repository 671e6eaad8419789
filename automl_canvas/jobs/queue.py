"""The job queue on the database: enqueue, claim with a lease, heartbeat, finish.

Claiming is the only concurrency-sensitive step.  PostgreSQL uses
``SELECT … FOR UPDATE SKIP LOCKED`` so many workers never block on each other;
SQLite (one writer at a time anyway) uses a conditional ``UPDATE`` that only
succeeds while the row is still claimable, so two workers can never both win.

Ordering is FIFO within a priority (higher priority first).  A running job whose
lease has expired (its worker died) is claimable again until ``max_attempts``;
after that it is failed with the reason.

Fencing: every claim gives the attempt a new ``lease_token``.  Whatever the
attempt writes (its outcome, a model version, evidence, an assessment) goes
through :func:`hold` in the same transaction: a conditional ``UPDATE`` of the job
row that matches only while the row still carries that token.  It takes the
row's lock (the database's write lock on SQLite), so a reclaim waits for the
commit or finds the job finished; a reclaim that came first makes it match
nothing, :class:`LeaseLost` is raised and the whole transaction rolls back.  A
worker paused past its lease (SIGSTOP, a long GC, a VM migration) therefore
cannot add a second result next to the new owner's.

Lease times come from the database's clock on PostgreSQL: workers on many
machines then agree on when a lease has expired whatever their own clocks say
(a worker whose clock ran ahead would otherwise reclaim live jobs).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ..db import session_scope, utcnow
from ..errors import CanvasError, InvalidTransitionError, NotFoundError
from ..models import JOB_TRANSITIONS, Job, JobPublic, JobStatus

__all__ = [
    "LeaseLost",
    "claim_next",
    "enqueue",
    "fail_exhausted",
    "finish",
    "get_job",
    "heartbeat",
    "hold",
    "list_jobs",
    "release",
    "request_cancel",
    "update_progress",
]


class LeaseLost(CanvasError):
    """This attempt no longer holds its job (another worker reclaimed it): its outputs are discarded."""

    code = "lease_lost"


def _clock(s: Session) -> datetime:
    """The database's clock on PostgreSQL (one clock for every machine); this machine's on SQLite."""
    if s.get_bind().dialect.name == "postgresql":
        return s.execute(sa.select(sa.func.now())).scalar_one()
    return utcnow()


def _check_move(job: Job, new: JobStatus) -> None:
    if JobStatus(new) not in JOB_TRANSITIONS[JobStatus(job.status)]:
        raise InvalidTransitionError(f"Job {job.id} is {job.status}; it cannot become {new}.")


def enqueue(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    created_by_id: int,
    project_id: int | None = None,
    priority: int = 0,
    time_limit_seconds: float,
    max_attempts: int = 3,
) -> Job:
    """Add a job in the caller's transaction (so the job exists iff the caller commits)."""
    job = Job(
        kind=kind,
        payload=payload,
        created_by_id=created_by_id,
        project_id=project_id,
        priority=priority,
        time_limit_seconds=time_limit_seconds,
        max_attempts=max_attempts,
        progress={"stage": "queued"},
    )
    session.add(job)
    session.flush()
    return job


def _claimable(now) -> sa.ColumnElement[bool]:
    expired = sa.and_(Job.status == JobStatus.running, Job.lease_expires_at < now)
    return sa.and_(Job.cancel_requested.is_(False), sa.or_(Job.status == JobStatus.queued, expired))


def fail_exhausted(engine: Engine) -> int:
    """Fail running jobs whose lease expired and which used up their attempts."""
    with session_scope(engine) as s:
        now = _clock(s)
        stmt = (
            sa.update(Job)
            .where(Job.status == JobStatus.running, Job.lease_expires_at < now, Job.attempts >= Job.max_attempts)
            .values(
                status=JobStatus.failed,
                finished_at=now,
                lease_owner=None,
                lease_token=None,
                error={
                    "code": "worker_lost",
                    "message": "The worker running this job stopped responding too many times; "
                    "the job was given up. Try again, or with a smaller time budget or dataset.",
                },
            )
        )
        n = s.execute(stmt).rowcount
        # A cancel asked for while the worker was gone: honour it now.
        s.execute(
            sa.update(Job)
            .where(Job.status == JobStatus.running, Job.lease_expires_at < now, Job.cancel_requested.is_(True))
            .values(status=JobStatus.cancelled, finished_at=now, lease_owner=None, lease_token=None)
        )
        return n or 0


def claim_next(engine: Engine, worker_id: str, lease_seconds: float, kinds: list[str] | None = None) -> JobPublic | None:
    """Lease the next job for ``worker_id`` or return None when nothing is claimable."""
    fail_exhausted(engine)
    with session_scope(engine) as s:
        now = _clock(s)
        cond = _claimable(now)
        cond = sa.and_(cond, Job.attempts < Job.max_attempts)
        if kinds:
            cond = sa.and_(cond, Job.kind.in_(kinds))
        order = (Job.priority.desc(), Job.id.asc())
        values = {
            "status": JobStatus.running,
            "lease_owner": worker_id,
            "lease_token": uuid.uuid4().hex,
            "lease_expires_at": now + timedelta(seconds=lease_seconds),
            "heartbeat_at": now,
            "attempts": Job.attempts + 1,
        }
        if engine.dialect.name == "postgresql":
            job_id = s.execute(
                sa.select(Job.id).where(cond).order_by(*order).limit(1).with_for_update(skip_locked=True)
            ).scalar_one_or_none()
            if job_id is None:
                return None
            s.execute(sa.update(Job).where(Job.id == job_id).values(**values))
        else:
            for _ in range(5):
                job_id = s.execute(sa.select(Job.id).where(cond).order_by(*order).limit(1)).scalar_one_or_none()
                if job_id is None:
                    return None
                won = s.execute(sa.update(Job).where(Job.id == job_id, cond).values(**values)).rowcount
                if won == 1:
                    break
            else:
                return None
        s.execute(
            sa.update(Job).where(Job.id == job_id, Job.started_at.is_(None)).values(started_at=now)
        )
        job = s.get(Job, job_id)
        s.refresh(job)
        return JobPublic.model_validate(job)


def _held(job_id: int, worker_id: str, token: str | None) -> sa.ColumnElement[bool]:
    cond = sa.and_(Job.id == job_id, Job.lease_owner == worker_id, Job.status == JobStatus.running)
    return sa.and_(cond, Job.lease_token == token) if token is not None else cond


def hold(session: Session, job_id: int, worker_id: str | None, token: str | None) -> None:
    """Fence the caller's transaction: raise :class:`LeaseLost` unless this attempt still holds the job.

    A conditional UPDATE (not a read) so that the check and the caller's writes are one atomic unit:
    it locks the job row until the caller commits.  ``worker_id`` None is a job run inline, without a lease.
    """
    if worker_id is None:
        return
    n = session.execute(sa.update(Job).where(_held(job_id, worker_id, token)).values(lease_token=Job.lease_token)).rowcount
    if n != 1:
        raise LeaseLost(f"Job {job_id} was taken over by another worker; this attempt's results are discarded.")


def heartbeat(engine: Engine, job_id: int, worker_id: str, lease_seconds: float,
              token: str | None = None) -> tuple[bool, bool]:
    """Extend the lease. Returns (still_ours, cancel_requested)."""
    with session_scope(engine) as s:
        now = _clock(s)
        n = s.execute(
            sa.update(Job)
            .where(_held(job_id, worker_id, token))
            .values(heartbeat_at=now, lease_expires_at=now + timedelta(seconds=lease_seconds))
        ).rowcount
        cancel = s.execute(sa.select(Job.cancel_requested).where(Job.id == job_id)).scalar_one_or_none()
        return n == 1, bool(cancel)


def release(engine: Engine, job_id: int, worker_id: str, token: str | None = None) -> bool:
    """Hand a running job back at once because its worker is shutting down.

    The job is ``queued`` again with no owner and no token (so the stopped
    attempt can write nothing more); any worker may claim it straight away and
    this attempt is not counted: stopping a worker is not the job's fault.
    False if the job was no longer this worker's.
    """
    with session_scope(engine) as s:
        job = s.exec(select(Job).where(_held(job_id, worker_id, token)).with_for_update()).one_or_none()
        if job is None:
            return False
        _check_move(job, JobStatus.queued)
        job.status = JobStatus.queued
        job.lease_owner = None
        job.lease_token = None
        job.lease_expires_at = None
        job.attempts = max(0, job.attempts - 1)
        job.progress = {**(job.progress or {}), "stage": "waiting for a worker (its worker stopped)"}
        s.add(job)
        return True


def update_progress(engine: Engine, job_id: int, worker_id: str | None, progress: dict[str, Any]) -> None:
    """Merge ``progress`` into the job's progress (only while ``worker_id`` holds it)."""
    with session_scope(engine) as s:
        job = s.get(Job, job_id)
        if job is None or (worker_id and job.lease_owner != worker_id):
            return
        job.progress = {**(job.progress or {}), **progress}
        s.add(job)


def finish(
    engine: Engine,
    job_id: int,
    worker_id: str | None,
    status: JobStatus,
    *,
    result: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
    session: Session | None = None,
    token: str | None = None,
) -> bool:
    """Move a running job to a terminal state. False if the lease (or, given ``token``, the attempt) was lost.

    Pass ``session`` to finish in the caller's transaction (the training job
    writes its model version and its success in one commit); handlers do that
    through ``JobContext.write``/``succeed``, which turn False into :class:`LeaseLost`.
    """

    def _do(s: Session) -> bool:
        job = s.exec(select(Job).where(Job.id == job_id).with_for_update()).one_or_none()
        if job is None:
            raise NotFoundError(f"Job {job_id} does not exist.")
        if worker_id is not None and (job.lease_owner != worker_id or job.status != JobStatus.running):
            return False
        if worker_id is not None and token is not None and job.lease_token != token:
            return False
        _check_move(job, status)
        job.status = status
        job.finished_at = utcnow()
        job.lease_owner = None
        job.lease_token = None
        job.lease_expires_at = None
        if result is not None:
            job.result = result
        if error is not None:
            job.error = error
        stage = {JobStatus.succeeded: "done", JobStatus.failed: "failed", JobStatus.cancelled: "cancelled"}[status]
        job.progress = {**(job.progress or {}), "stage": stage}
        s.add(job)
        return True

    if session is not None:
        return _do(session)
    with session_scope(engine) as s:
        return _do(s)


def request_cancel(session: Session, job_id: int) -> Job:
    """Queued jobs are cancelled at once; running jobs are stopped by their worker."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFoundError(f"Job {job_id} does not exist.")
    if job.status in (JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled):
        raise InvalidTransitionError(f"Job {job_id} has already finished ({job.status}); there is nothing to cancel.")
    job.cancel_requested = True
    if job.status == JobStatus.queued:
        job.status = JobStatus.cancelled
        job.finished_at = utcnow()
        job.progress = {**(job.progress or {}), "stage": "cancelled"}
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, job_id: int) -> JobPublic:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFoundError(f"Job {job_id} does not exist.")
    return JobPublic.model_validate(job)


def list_jobs(session: Session, *, status: str | None = None, limit: int = 50) -> list[JobPublic]:
    stmt = select(Job).order_by(Job.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(Job.status == status)
    return [JobPublic.model_validate(j) for j in session.exec(stmt)]
