"""Backpressure: how much work one user may put on the shared queue.

Every service function that queues work for a user (``submit_training``,
``submit_evidence``, ``submit_reproduce``, ``submit_mitigation``) calls
:func:`check_quota` in the transaction that enqueues, so a user who already has
``max_concurrent_jobs_per_user`` jobs queued or running, or who asks for a
search budget above ``max_budget_seconds``, gets a clear error and nothing is
queued.  Follow-up jobs that a job queues itself (the evidence after training)
are not refused: they finish work the user was already allowed to start.

Two submissions of one user at the same moment must not both slip under the
limit, so the check first locks that user's row (``SELECT … FOR UPDATE`` on
PostgreSQL; on SQLite a write that takes the database's single write lock).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from ..config import Settings
from ..errors import QuotaExceededError
from ..models import Job, JobStatus, User

__all__ = ["active_jobs", "check_budget", "check_quota"]


def active_jobs(session: Session, user_id: int) -> int:
    """The user's jobs that are queued or running."""
    return session.execute(
        sa.select(sa.func.count()).select_from(Job).where(
            Job.created_by_id == user_id, Job.status.in_([JobStatus.queued, JobStatus.running])
        )
    ).scalar_one()


def check_budget(settings: Settings, budget_seconds: float | None) -> None:
    limit = settings.max_budget_seconds
    if limit and budget_seconds and budget_seconds > limit:
        raise QuotaExceededError(
            f"A time budget of {budget_seconds:.0f} s is more than the {limit} s one job may use on this server. "
            f"Ask for {limit} s or less (the 'quick' and 'standard' budgets are 60 and 300 s), or ask an "
            "administrator to raise AUTOML_CANVAS_MAX_BUDGET_SECONDS.",
            details={"limit": limit, "requested": budget_seconds},
        )


def _lock_user(session: Session, user_id: int) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(User.id).where(User.id == user_id).with_for_update())
    else:
        session.execute(sa.update(User).where(User.id == user_id).values(username=User.username))


def check_quota(session: Session, settings: Settings, actor, *, budget_seconds: float | None = None) -> None:
    """Refuse a new job for ``actor`` when it would exceed a limit (call it in the enqueuing transaction)."""
    check_budget(settings, budget_seconds)
    limit = settings.max_concurrent_jobs_per_user
    if not limit:
        return
    _lock_user(session, actor.id)
    current = active_jobs(session, actor.id)
    if current >= limit:
        raise QuotaExceededError(
            f"{actor.username} already has {current} jobs queued or running; the limit is {limit} per user. "
            "Wait for one to finish (see `automl-canvas jobs`) or cancel one you no longer need, then submit again.",
            details={"limit": limit, "current": current},
        )
