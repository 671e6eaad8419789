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

__all__ = ["describe_wait", "planned_seconds", "queue_position"]


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
