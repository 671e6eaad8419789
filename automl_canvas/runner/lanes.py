"""Lanes: short jobs get a worker of their own so they never wait behind a long one.

Why (issue 18, point 5): with one worker an analyst's SHAP drivers waited ten
minutes behind a feasibility job.  ``automl-canvas up`` therefore starts, beside
its general workers (which claim every kind, short ones included), one
*short-lane* worker that claims only the kinds below.  Those jobs are bounded
by design (explanations and fairness on a capped sample, a refit of a recorded
recipe, a monitoring check of one window), so one slot is enough to keep them
moving.

The short lane must not take the cores a training job's plan counts on: its
jobs run single-threaded (``n_jobs=1``, so the job's process gets
``OMP_NUM_THREADS=1`` and a threadpoolctl limit of 1) and at a slightly lower
CPU priority (``nice`` +5): when a training search and a short job compete for
the machine, the search keeps most of its cores and the short job still
progresses.  The general workers run exactly as before.
"""

from __future__ import annotations

import os

from ..config import Settings
from ..errors import ValidationError
from ..jobs.position import SHORT_KINDS
from .handlers import HANDLERS

__all__ = ["SHORT_KINDS", "SHORT_LANE_NICE", "lower_priority", "parse_kinds", "short_lane_settings"]

#: SHORT_KINDS (the kinds the short lane claims) is defined with the queue (jobs/position.py), whose admin view
#: says which lane may take a waiting job.

#: How much lower the short lane's CPU priority is (added to the worker's niceness, inherited by its jobs).
SHORT_LANE_NICE = 5


def parse_kinds(value: str | None) -> list[str] | None:
    """``--kinds evidence,monitor`` (or ``short`` for :data:`SHORT_KINDS`) as a list; None claims every kind."""
    if not value:
        return None
    kinds: list[str] = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        for kind in SHORT_KINDS if part == "short" else (part,):
            if kind not in HANDLERS:
                raise ValidationError(f"Unknown job kind {kind!r}; the kinds are {', '.join(sorted(HANDLERS))} (or 'short').")
            if kind not in kinds:
                kinds.append(kind)
    return kinds or None


def short_lane_settings(settings: Settings) -> Settings:
    """The short lane's settings: single-threaded jobs (the lane's worker also runs with ``services=False``)."""
    return settings.model_copy(update={"n_jobs": 1})


def lower_priority(increment: int = SHORT_LANE_NICE) -> None:
    """Lower this process's CPU priority (its job processes inherit it); a no-op where the OS has no ``nice``."""
    if increment > 0 and hasattr(os, "nice"):
        os.nice(increment)
