"""Job use cases for the doors: read a job, list a project's jobs, ask a job to stop.

The queue module is the mechanism (leases, moves, no actor); these functions are
what a person may do with it, so they check the role first like every service.
"""

from __future__ import annotations

from sqlmodel import Session, select

from ..auth.policy import require
from ..models import Job, JobPublic
from . import queue

__all__ = ["cancel_job", "list_project_jobs", "read_job"]


def read_job(session: Session, actor, job_id: int) -> JobPublic:
    require(actor, "job.read")
    return queue.get_job(session, job_id)


def list_project_jobs(session: Session, actor, project_id: int, kind: str | None = None, limit: int = 20) -> list[JobPublic]:
    """The project's most recent jobs first (optionally of one kind: "train", "evidence"...)."""
    require(actor, "job.read")
    stmt = select(Job).where(Job.project_id == project_id).order_by(Job.id.desc()).limit(limit)
    if kind:
        stmt = stmt.where(Job.kind == kind)
    return [JobPublic.model_validate(j) for j in session.exec(stmt)]


def cancel_job(session: Session, actor, job_id: int) -> JobPublic:
    """Queued jobs stop at once; a running one is stopped by its worker within a heartbeat."""
    require(actor, "job.cancel")
    return JobPublic.model_validate(queue.request_cancel(session, job_id))
