"""A plain grade for a model: how much of the way from the naive baseline to perfect it goes.

One rule, used by the analyst app, the review queue and model cards, so a
version has the same grade everywhere.  The "lift" is the share of the room for
improvement the model takes: for scores where higher is better (AUC, accuracy,
R²) the gap between the baseline and a perfect 1.0; for losses (RMSE, log loss)
the baseline's error itself.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

__all__ = ["GRADES", "Grade", "grade_version", "lift_over_baseline"]

#: (lowest lift, grade, one-line reason), best first.
GRADES: tuple[tuple[float, str, str], ...] = (
    (0.60, "Excellent", "It removes most of the error a simple guess makes."),
    (0.35, "Good", "It clearly beats a simple guess."),
    (0.15, "Fair", "It beats a simple guess, but not by much; check the data and the drivers."),
    (-math.inf, "Poor", "It is barely better than a simple guess (or worse); it should not be used as it is."),
)


@dataclass(frozen=True)
class Grade:
    grade: str
    lift: float | None
    reason: str

    def to_dict(self) -> dict:
        return asdict(self)


def lift_over_baseline(score: float, baseline: float, higher_is_better: bool) -> float | None:
    """Share of the room for improvement over the baseline that the model takes (None when undefined)."""
    if score is None or baseline is None or not (math.isfinite(score) and math.isfinite(baseline)):
        return None
    if higher_is_better:
        room = 1.0 - baseline
        return None if room <= 0 else (score - baseline) / room
    return None if baseline <= 0 else (baseline - score) / baseline


def grade_version(version) -> Grade:
    lift = lift_over_baseline(version.holdout_score, version.baseline_score, version.higher_is_better)
    if lift is None:
        return Grade("Unknown", None, "The model's score could not be compared with a simple guess.")
    for floor, name, reason in GRADES:
        if lift >= floor:
            return Grade(name, lift, reason)
    raise AssertionError("unreachable")  # pragma: no cover
