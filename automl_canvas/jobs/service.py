"""Job use cases for the doors: read progress, list, cancel - each checked against the actor.

Analysts see and cancel their own jobs, in projects they still belong to;
scientists and admins any job (they operate the queue); the whole queue with
its workers is for admins.  The rules are in automl_canvas/auth/policy.py.  The
queue module itself stays actor-free: workers use it.
"""

from __future__ import annotations

from sqlmodel import Session, select

from ..audit import append
from ..auth.policy import require
from ..auth.resources import Access, job_for, project_for
from ..models import Job, JobPublic
from . import queue
from .position import queue_overview

__all__ = ["cancel_job", "get_job_for", "list_jobs_for", "list_project_jobs", "queue_overview_for"]


def get_job_for(session: Session, actor, job_id: int) -> JobPublic:
    return JobPublic.model_validate(job_for(session, actor, "job.read", job_id))


def list_jobs_for(session: Session, actor, *, status: str | None = None, limit: int = 50) -> list[JobPublic]:
    """The newest jobs the actor may see (their own, or every job for the queue's operators)."""
    require(actor, "job.read")
    access = Access(session, actor)
    jobs = queue.list_jobs(session, status=status, limit=limit)
    visible = access.filter("job.read", jobs, "job")
    if len(visible) < len(jobs):  # someone else's among them: look further back for the actor's own
        visible = access.filter("job.read", queue.list_jobs(session, status=status, limit=1000), "job")
    return visible[:limit]


def list_project_jobs(session: Session, actor, project_id: int, kind: str | None = None, limit: int = 20) -> list[JobPublic]:
    """The project's most recent jobs first (optionally of one kind: "train", "evidence"...) that the actor may see."""
    project_for(session, actor, "project.read", project_id)
    stmt = select(Job).where(Job.project_id == project_id).order_by(Job.id.desc()).limit(limit)
    if kind:
        stmt = stmt.where(Job.kind == kind)
    rows = Access(session, actor).filter("job.read", session.exec(stmt), "job")
    return [JobPublic.model_validate(r) for r in rows]


def queue_overview_for(session: Session, actor) -> dict:
    """The whole queue (running jobs with their workers and ages, queued jobs with their positions): admins only.

    Admins only because it names every worker (host and process) and every job of every user.
    """
    require(actor, "job.queue.read")
    return queue_overview(session)


def cancel_job(session: Session, actor, job_id: int) -> JobPublic:
    job_for(session, actor, "job.cancel", job_id)
    job = queue.request_cancel(session, job_id)
    append(session, actor, "job.cancel_requested", "job", job_id, {"kind": job.kind, "status": job.status})
    return JobPublic.model_validate(job)
