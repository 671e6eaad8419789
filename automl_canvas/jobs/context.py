"""What a job handler gets: its job, the settings, a database, a progress pen and a fenced pen.

Every row a job writes goes through :meth:`JobContext.write` and its outcome
through :meth:`JobContext.succeed`: the one place where "is this attempt still
the job's owner?" is asked, in the same transaction as the writes (see
``queue.hold``).  A new job kind that writes through them cannot forget the
check; one that returns its result as a dict is finished through them by the
worker (``run_job_inline``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from ..config import Settings
from ..db import session_scope
from ..models import JobPublic, JobStatus
from . import queue

__all__ = ["JobContext"]


@dataclass
class JobContext:
    job: JobPublic
    settings: Settings
    engine: Engine
    worker_id: str | None
    min_progress_interval: float = 0.5
    _last_write: float = field(default=0.0, init=False)
    _pending: dict[str, Any] = field(default_factory=dict, init=False)
    started: float = field(default_factory=time.monotonic, init=False)

    @property
    def token(self) -> str | None:
        """This attempt's fencing token (new on every claim)."""
        return self.job.lease_token

    def progress(self, force: bool = False, **values: Any) -> None:
        """Record progress (stage, trials, best score...). Writes are throttled."""
        self._pending.update(values)
        now = time.monotonic()
        if force or "stage" in values or now - self._last_write >= self.min_progress_interval:
            self._pending["elapsed_seconds"] = round(now - self.started, 1)
            queue.update_progress(self.engine, self.job.id, self.worker_id, self._pending)
            self._pending = {}
            self._last_write = now

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that commits only while this attempt still holds its job.

        Raises ``queue.LeaseLost`` (and rolls everything written in the block back) when another
        worker took the job over: its result is the one that counts.
        """
        with session_scope(self.engine) as s:
            queue.hold(s, self.job.id, self.worker_id, self.token)
            yield s

    def succeed(self, session: Session, result: dict[str, Any]) -> None:
        """Finish the job as succeeded inside a :meth:`write` block (one commit with the job's rows)."""
        if not queue.finish(self.engine, self.job.id, self.worker_id, JobStatus.succeeded, result=result,
                            session=session, token=self.token):
            raise queue.LeaseLost(f"Job {self.job.id} was taken over by another worker; this attempt's results are discarded.")
