"""What a job handler gets: its job, the settings, a database and a progress pen."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from ..config import Settings
from ..models import JobPublic
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

    def progress(self, force: bool = False, **values: Any) -> None:
        """Record progress (stage, trials, best score...). Writes are throttled."""
        self._pending.update(values)
        now = time.monotonic()
        if force or "stage" in values or now - self._last_write >= self.min_progress_interval:
            self._pending["elapsed_seconds"] = round(now - self.started, 1)
            queue.update_progress(self.engine, self.job.id, self.worker_id, self._pending)
            self._pending = {}
            self._last_write = now
