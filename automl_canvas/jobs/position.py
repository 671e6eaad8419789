"""Where a queued job stands: how many jobs go first and about how long until it starts.

Why: with one worker an analyst's explanation waited ten minutes behind a
feasibility job while the page said "a minute or two" (issue 18, point 6).  The
estimate is computed from what the queue knows: the planned time of each job
ahead (its search budget when it has one, else its hard limit) plus what is left
of the running jobs' plans, shared among the workers now running jobs.  It is an
estimate and says so ("about").
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from ..db import utcnow
from ..models import Job, JobPublic, JobStatus

__all__ = ["describe_wait", "planned_seconds", "queue_overview", "queue_position"]


def planned_seconds(job: Job | JobPublic) -> float:
    """How long the job is planned to take: its budget (search seconds, a diagnostic's sleep) or its hard limit."""
    payload = job.payload or {}
    planned = None
    budget = (payload.get("request") or {}).get("budget") if isinstance(payload.get("request"), dict) else None
    if budget is not None:
        from ..training.spec import parse_budget

        try:
            planned = parse_budget(budget)
        except Exception:  # noqa: BLE001 - an odd stored budget just falls back to the limit
            planned = None
    elif "seconds" in payload:
        planned = float(payload["seconds"])
    limit = float(job.time_limit_seconds)
    return min(planned, limit) if planned is not None else limit


def describe_wait(ahead: int, seconds: float) -> str:
    if ahead == 0:
        return "Yours is next." if seconds < 1 else f"Yours is next, in about {_duration(seconds)}."
    jobs = "1 job" if ahead == 1 else f"{ahead} jobs"
    return f"{jobs} ahead of yours, about {_duration(seconds)}."


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s" if seconds < 60 else "1 minute"
    minutes = round(seconds / 60)
    return f"{minutes} minutes" if minutes < 120 else f"{round(minutes / 60)} hours"


def queue_position(session: Session, job: JobPublic) -> dict | None:
    """``{"position", "ahead", "running", "workers", "estimated_wait_seconds", "message"}``; None once finished."""
    if job.status in (JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled):
        return None
    running = list(session.exec(sa.select(Job).where(Job.status == JobStatus.running)).scalars())
    if job.status == JobStatus.running:
        return {"position": 0, "ahead": 0, "running": len(running), "workers": len({r.lease_owner for r in running}),
                "estimated_wait_seconds": 0.0, "message": "Running now."}
    first = sa.or_(Job.priority > job.priority, sa.and_(Job.priority == job.priority, Job.id < job.id))
    ahead = list(session.exec(sa.select(Job).where(Job.status == JobStatus.queued, Job.cancel_requested.is_(False),
                                                   first)).scalars())
    now = utcnow()
    left = sum(max(0.0, planned_seconds(r) - ((now - r.started_at).total_seconds() if r.started_at else 0.0))
               for r in running)
    workers = max(1, len({r.lease_owner for r in running if r.lease_owner}))
    wait = (left + sum(planned_seconds(j) for j in ahead)) / workers
    return {"position": len(ahead) + 1, "ahead": len(ahead), "running": len(running), "workers": workers,
            "estimated_wait_seconds": round(wait, 1), "message": describe_wait(len(ahead), wait)}


def _age(now, then) -> float | None:
    if then is None:
        return None
    if then.tzinfo is None:  # SQLite drops tzinfo; stored times are UTC
        from datetime import UTC

        then = then.replace(tzinfo=UTC)
    return round(max(0.0, (now - then).total_seconds()), 1)


def queue_overview(session: Session) -> dict[str, list[dict]]:
    """The admin's view of the queue: running jobs with their worker and ages, queued jobs in claim order.

    ``running``: id, kind, worker, attempt, stage, seconds since it started and since its last heartbeat
    (a heartbeat much older than the lease means its worker is gone and the job will be reclaimed).
    ``queued``: id, kind, priority, seconds waiting, and its :func:`queue_position` (position and estimate).
    """
    now = utcnow()
    running = session.exec(sa.select(Job).where(Job.status == JobStatus.running).order_by(Job.started_at, Job.id)).scalars()
    out_running = [{"id": j.id, "kind": j.kind, "worker": j.lease_owner, "attempt": j.attempts,
                    "stage": (j.progress or {}).get("stage", ""), "age_seconds": _age(now, j.started_at),
                    "heartbeat_age_seconds": _age(now, j.heartbeat_at), "created_by_id": j.created_by_id}
                   for j in running]
    queued = list(session.exec(sa.select(Job).where(Job.status == JobStatus.queued, Job.cancel_requested.is_(False))
                               .order_by(Job.priority.desc(), Job.id.asc())).scalars())
    out_queued = []
    for j in queued:
        where = queue_position(session, JobPublic.model_validate(j)) or {}
        out_queued.append({"id": j.id, "kind": j.kind, "priority": j.priority, "waiting_seconds": _age(now, j.created_at),
                           "position": where.get("position"), "estimated_wait_seconds": where.get("estimated_wait_seconds"),
                           "message": where.get("message", ""), "created_by_id": j.created_by_id})
    return {"running": out_running, "queued": out_queued}
