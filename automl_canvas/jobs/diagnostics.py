"""Diagnostic jobs: check that the queue and workers are alive, and measure them.

``diagnostic`` jobs do no model work: they sleep while reporting progress (to
measure queue latency and check heartbeats and cancels), or end their process
with a chosen exit code (to check that a crashing job fails alone and the worker
records why).  Operators use them to smoke-test a deployment; the benchmarks
use them to measure job start latency.
"""

from __future__ import annotations

import os
import time
from typing import Any

from ..errors import ValidationError
from .context import JobContext

__all__ = ["run_diagnostic_job"]


def run_diagnostic_job(ctx: JobContext) -> dict[str, Any]:
    payload = ctx.job.payload
    mode = payload.get("mode", "sleep")
    started = time.time()
    if mode == "sleep":
        seconds = float(payload.get("seconds", 0))
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            ctx.progress(stage="sleeping", remaining_seconds=round(left, 1))
            time.sleep(min(0.2, left))
        return {"mode": mode, "slept_seconds": seconds, "started_at_epoch": started, "pid": os.getpid()}
    if mode == "exit":
        os._exit(int(payload.get("code", 1)))
    raise ValidationError(f"Unknown diagnostic mode {mode!r}; use 'sleep' or 'exit'.")
