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
from ..models import Job, JobPublic, JobStatus, Project, User

__all__ = ["SHORT_KINDS", "describe_wait", "duration_words", "lane_of_worker", "planned_seconds", "queue_overview",
           "queue_position"]

#: Job kinds the short lane claims (runner/lanes.py): bounded work an analyst or a reviewer is waiting for.
#: Defined with the queue so that the admin's view can say which lane may take a waiting job.
SHORT_KINDS: tuple[str, ...] = ("evidence", "reproduce", "monitor")


def lane_of_worker(worker_id: str | None) -> str:
    """The lane a worker id names: ``host:pid:short-1a2b3c`` is the short lane's; ``host:pid:1a2b3c`` a general worker's.

    (``runner.worker.new_worker_id`` writes the lane before the random part.)  An id of another shape (a worker
    started with its own id) reads as general.
    """
    parts = (worker_id or "").split(":")
    if len(parts) >= 3 and "-" in parts[-1]:
        return parts[-1].rsplit("-", 1)[0]
    return "general"


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
        return "Yours is next." if seconds < 1 else f"Yours is next, in about {duration_words(seconds)}."
    jobs = "1 job" if ahead == 1 else f"{ahead} jobs"
    return f"{jobs} ahead of yours, about {duration_words(seconds)}."


def duration_words(seconds: float) -> str:
    """"45 s", "1 minute", "3 minutes", "2 hours": how the queue's messages say a duration."""
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


def _names(session: Session, jobs: list[Job]) -> tuple[dict[int, str], dict[int, str]]:
    """{project id: name} and {user id: username} for the jobs' projects and requesters, in two queries."""
    project_ids = {j.project_id for j in jobs if j.project_id is not None}
    user_ids = {j.created_by_id for j in jobs}
    projects = dict(session.exec(sa.select(Project.id, Project.name).where(Project.id.in_(project_ids))).all()) \
        if project_ids else {}
    users = dict(session.exec(sa.select(User.id, User.username).where(User.id.in_(user_ids))).all()) if user_ids else {}
    return projects, users


def queue_overview(session: Session) -> dict[str, list[dict]]:
    """The admin's view of the queue: running jobs with their worker and ages, queued jobs in claim order.

    Both: id, kind, ``project_id`` and ``project`` (its name; None for a job of no project), ``created_by_id``
    and ``requested_by`` (the username), ``lane``, attempt.
    ``running``: worker, its ``lane`` (``lane_of_worker``), stage, seconds since it started and since its last
    heartbeat (a heartbeat much older than the lease means its worker is gone and the job will be reclaimed),
    its planned seconds and about how many are left of them.
    ``queued``: priority, seconds waiting, the lane that may take it ("short": the short lane or a general
    worker; "general": a general worker), and its :func:`queue_position` (position and estimate).
    """
    now = utcnow()
    running = list(session.exec(sa.select(Job).where(Job.status == JobStatus.running)
                                .order_by(Job.started_at, Job.id)).scalars())
    queued = list(session.exec(sa.select(Job).where(Job.status == JobStatus.queued, Job.cancel_requested.is_(False))
                               .order_by(Job.priority.desc(), Job.id.asc())).scalars())
    projects, users = _names(session, running + queued)

    def common(j: Job) -> dict:
        return {"id": j.id, "kind": j.kind, "project_id": j.project_id, "project": projects.get(j.project_id),
                "created_by_id": j.created_by_id, "requested_by": users.get(j.created_by_id), "attempt": j.attempts,
                "max_attempts": j.max_attempts}

    out_running = []
    for j in running:
        age = _age(now, j.started_at)
        planned = planned_seconds(j)
        out_running.append({**common(j), "worker": j.lease_owner, "lane": lane_of_worker(j.lease_owner),
                            "stage": (j.progress or {}).get("stage", ""), "age_seconds": age,
                            "heartbeat_age_seconds": _age(now, j.heartbeat_at), "planned_seconds": planned,
                            "left_seconds": round(max(0.0, planned - (age or 0.0)), 1)})
    out_queued = []
    for j in queued:
        where = queue_position(session, JobPublic.model_validate(j)) or {}
        out_queued.append({**common(j), "priority": j.priority, "waiting_seconds": _age(now, j.created_at),
                           "lane": "short" if j.kind in SHORT_KINDS else "general",
                           "position": where.get("position"), "estimated_wait_seconds": where.get("estimated_wait_seconds"),
                           "message": where.get("message", "")})
    return {"running": out_running, "queued": out_queued}
