"""The job queue. A row is a unit of long work; workers lease rows.

States are data: :data:`JOB_TRANSITIONS` lists every allowed move, and the
queue module refuses anything else.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ._types import created_at_field, json_field, time_field

__all__ = ["JOB_TRANSITIONS", "TERMINAL_STATUSES", "Job", "JobPublic", "JobStatus"]


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


TERMINAL_STATUSES = frozenset({JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled})

JOB_TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.queued: frozenset({JobStatus.running, JobStatus.cancelled}),
    # running -> running is a reclaim after an expired lease; running -> queued a hand-back by a stopping worker.
    JobStatus.running: frozenset({JobStatus.queued, JobStatus.running, JobStatus.succeeded, JobStatus.failed,
                                  JobStatus.cancelled}),
    JobStatus.succeeded: frozenset(),
    JobStatus.failed: frozenset(),
    JobStatus.cancelled: frozenset(),
}


class JobBase(SQLModel):
    kind: str = Field(max_length=32, index=True)
    status: str = Field(default=JobStatus.queued, max_length=16, index=True)
    priority: int = Field(default=0, index=True)
    project_id: int | None = Field(default=None, foreign_key="projects.id", index=True)
    created_by_id: int = Field(foreign_key="users.id", index=True)
    attempts: int = 0
    max_attempts: int = 3
    time_limit_seconds: float = 1800.0
    cancel_requested: bool = False
    lease_owner: str | None = Field(default=None, max_length=120)
    #: The fencing token of the current attempt: new on every claim, cleared when the job is handed back or ends.
    #: Every write a job makes is conditional on its row still carrying this token (jobs/queue.py ``hold``).
    lease_token: str | None = Field(default=None, max_length=32)


class Job(JobBase, table=True):
    __tablename__ = "jobs"
    __table_args__ = (sa.Index("ix_jobs_claim", "status", "priority", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    payload: dict[str, Any] = json_field()
    progress: dict[str, Any] = json_field()
    result: dict[str, Any] = json_field()
    error: dict[str, Any] = json_field()
    lease_expires_at: datetime | None = time_field()
    heartbeat_at: datetime | None = time_field()
    created_at: datetime = created_at_field()
    started_at: datetime | None = time_field()
    finished_at: datetime | None = time_field()


class JobPublic(JobBase):
    id: int
    payload: dict[str, Any]
    progress: dict[str, Any]
    result: dict[str, Any]
    error: dict[str, Any]
    lease_expires_at: datetime | None
    heartbeat_at: datetime | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    #: Where a waiting job stands (jobs/position.py): filled in by the doors that show it, else None.
    queue: dict[str, Any] | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES
