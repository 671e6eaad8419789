"""How idle OpenMP threads wait: one rule for job processes, API processes, tests and benchmarks.

LightGBM, XGBoost and scikit-learn's HistGradientBoosting each run an OpenMP
(libgomp) team.  Between parallel regions an idle thread either spins or sleeps:

- spinning (libgomp's default, up to 300,000 iterations) burns the cores its
  siblings wait for on a busy machine: HistGradientBoosting ran 80x slower at a
  load of 15-25;
- ``OMP_WAIT_POLICY=PASSIVE`` (sleep at once), used here until 2026-12-07, pays a
  futex wake-up at every region instead, and on this product's 2-core machines
  that made them ten times slower on a *quiet* machine: five fits on 11,000 rows
  of the California housing table took 12.2 s (HistGradientBoosting), 10.8 s
  (LightGBM) and 4.8 s (XGBoost) against 1.25, 0.97 and 1.65 s by default;
- a short spin, then sleep (``GOMP_SPINCOUNT=10000``): 0.95, 0.94 and 1.69 s on
  the quiet machine, and the fastest of the three beside two CPU-bound processes
  (HistGradientBoosting 5.8 s, against 7.6 s passive and 9.6 s spinning).

So every process that trains or predicts sets the short spin before any of those
libraries loads (libgomp reads it once, at load).  Core layer: standard library only.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

__all__ = ["WAIT_POLICY", "set_wait_policy"]

#: The environment that makes idle OpenMP threads spin briefly, then sleep (libgomp's own variable).
WAIT_POLICY: dict[str, str] = {"GOMP_SPINCOUNT": "10000"}


def set_wait_policy(env: MutableMapping[str, str] | None = None) -> None:
    """Set :data:`WAIT_POLICY` in ``env`` (this process's environment by default), keeping values already set."""
    target = os.environ if env is None else env
    for key, value in WAIT_POLICY.items():
        target.setdefault(key, value)
