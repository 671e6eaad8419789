"""Job use cases for the doors: read progress, list, cancel - each checked against the actor.

Analysts see and cancel their own jobs; scientists and admins any job (they
operate the queue).  The queue module itself stays actor-free: workers use it.
"""

from __future__ import annotations

from sqlmodel import Session, select

from ..audit import append
from ..auth.policy import require
from ..errors import PermissionDeniedError
from ..models import Job, JobPublic
from . import queue
from .position import queue_overview

__all__ = ["cancel_job", "get_job_for", "list_jobs_for", "list_project_jobs", "queue_overview_for"]

_OPERATORS = frozenset({"scientist", "admin"})


def _visible(actor, job: JobPublic) -> bool:
    return bool(actor.role_set & _OPERATORS) or job.created_by_id == actor.id


def get_job_for(session: Session, actor, job_id: int) -> JobPublic:
    require(actor, "job.read")
    job = queue.get_job(session, job_id)
    if not _visible(actor, job):
        raise PermissionDeniedError(f"Job {job_id} belongs to someone else.")
    return job


def list_jobs_for(session: Session, actor, *, status: str | None = None, limit: int = 50) -> list[JobPublic]:
    require(actor, "job.read")
    jobs = queue.list_jobs(session, status=status, limit=limit if actor.role_set & _OPERATORS else 1000)
    return [j for j in jobs if _visible(actor, j)][:limit]


def list_project_jobs(session: Session, actor, project_id: int, kind: str | None = None, limit: int = 20) -> list[JobPublic]:
    """The project's most recent jobs first (optionally of one kind: "train", "evidence"...) that the actor may see."""
    require(actor, "job.read")
    stmt = select(Job).where(Job.project_id == project_id).order_by(Job.id.desc()).limit(limit)
    if kind:
        stmt = stmt.where(Job.kind == kind)
    return [j for j in (JobPublic.model_validate(r) for r in session.exec(stmt)) if _visible(actor, j)]


def queue_overview_for(session: Session, actor) -> dict:
    """The whole queue (running jobs with their workers and ages, queued jobs with their positions): admins only.

    Admins only because it names every worker (host and process) and every job of every user.
    """
    require(actor, "job.read")
    if "admin" not in actor.role_set:
        raise PermissionDeniedError("Only an admin can see the whole queue; `automl-canvas jobs` lists your jobs.")
    return queue_overview(session)


def cancel_job(session: Session, actor, job_id: int) -> JobPublic:
    require(actor, "job.cancel")
    get_job_for(session, actor, job_id)
    job = queue.request_cancel(session, job_id)
    append(session, actor, "job.cancel_requested", "job", job_id, {"kind": job.kind, "status": job.status})
    return JobPublic.model_validate(job)
