"""Jobs as the doors see them: read progress and cancel, with the actor checked first.

The queue module (``queue.py``) is the workers' machinery and takes no actor;
these are the use cases a person or a script calls.
"""

from __future__ import annotations

from sqlmodel import Session

from ..auth.policy import require
from ..models import JobPublic
from . import queue

__all__ = ["cancel_job", "read_job"]


def read_job(session: Session, actor, job_id: int) -> JobPublic:
    require(actor, "job.read")
    return queue.get_job(session, job_id)


def cancel_job(session: Session, actor, job_id: int) -> JobPublic:
    """Queued jobs are cancelled at once; a running job is stopped by its worker within a heartbeat."""
    require(actor, "job.cancel")
    return JobPublic.model_validate(queue.request_cancel(session, job_id))
