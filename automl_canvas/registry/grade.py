"""A plain grade for a model: how far it goes from a simple guess, and what its decisions do.

One rule, used by the analyst app, the review queue and model cards, so a
version has the same grade everywhere.  Three steps, each stated in the reason:

1. **Ranking (or error) lift**: the share of the room for improvement over the
   naive baseline the model takes: for scores where higher is better (AUC,
   accuracy, R²) the gap between the baseline and a perfect 1.0; for losses
   (RMSE, log loss) the baseline's error itself.
2. **Too good to be true**: a near-perfect ranking on rows it never saw
   (AUC >= :data:`TOO_GOOD_AUC`) is what a leaked column produces far more often
   than a real model, so it is never "Excellent": it is flagged for a check.
3. **Decisions (binary)**: a good ranking is not enough when the predictions
   people act on, at the version's operating point, miss most of the cases that
   matter.  The grade is capped when, on the holdout at that cut-off, it catches
   fewer than a third of the 'yes' cases, or its flags are no more often right
   than picking rows at random (precision <= the 'yes' rate).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

__all__ = ["GRADES", "TOO_GOOD", "TOO_GOOD_AUC", "Grade", "grade_version", "lift_over_baseline"]

#: (lowest lift, grade, one-line reason), best first.
GRADES: tuple[tuple[float, str, str], ...] = (
    (0.60, "Excellent", "It removes most of the error a simple guess makes."),
    (0.35, "Good", "It clearly beats a simple guess."),
    (0.15, "Fair", "It beats a simple guess, but not by much; check the data and the drivers."),
    (-math.inf, "Poor", "It is barely better than a simple guess (or worse); it should not be used as it is."),
)
_ORDER = [g[1] for g in GRADES]
TOO_GOOD = "Too good to be true"
#: A holdout AUC at or above this is graded "Too good to be true — check for leakage".
TOO_GOOD_AUC = 0.995
#: Below this share of the 'yes' cases caught at the operating point, the grade is at most "Fair".
MIN_RECALL_FOR_GOOD = 1 / 3
#: "Excellent" also needs decisions that catch at least this share of the 'yes' cases.
MIN_RECALL_FOR_EXCELLENT = 0.5


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


def _at_most(grade: str, cap: str) -> str:
    return _ORDER[max(_ORDER.index(grade), _ORDER.index(cap))]


def _decision_cap(version) -> tuple[str | None, str]:
    """(the best grade the decisions allow or None, the sentence about them) for a binary version."""
    point = getattr(version, "operating_point", None) or {}
    h = point.get("holdout")
    if version.task != "binary" or not h:
        return None, ""
    pos = point.get("positive_class", "yes")
    caught, right, rate = round(100 * h["recall"]), round(100 * h["precision"]), round(100 * h["prevalence"])
    facts = (f"At the chosen cut-off it catches {caught} in 100 of the real '{pos}' cases, and {right} in 100 of the "
             f"rows it flags really are '{pos}' ('{pos}' is {rate} in 100 of all rows).")
    if h["tp"] + h["fp"] == 0 or h["precision"] <= h["prevalence"]:
        return "Poor", facts + " Its flags are no more often right than picking rows at random."
    if h["recall"] < MIN_RECALL_FOR_GOOD:
        return "Fair", facts + " It misses most of the cases that matter; try a lower cut-off (catch more)."
    if h["recall"] < MIN_RECALL_FOR_EXCELLENT:
        return "Good", facts
    return None, facts


def _near_perfect(version) -> bool:
    m = (getattr(version, "metrics", None) or {}).get("model", {})
    auc = m.get("roc_auc", m.get("roc_auc_ovr"))
    return auc is not None and math.isfinite(auc) and auc >= TOO_GOOD_AUC


def grade_version(version) -> Grade:
    lift = lift_over_baseline(version.holdout_score, version.baseline_score, version.higher_is_better)
    if lift is None:
        return Grade("Unknown", None, "The model's score could not be compared with a simple guess.")
    if _near_perfect(version):
        return Grade(TOO_GOOD, lift, "It is almost never wrong on rows it had never seen, which a column that is only known "
                     "after the fact (a leak) usually explains: check for leakage before trusting it.")
    name, reason = next((g, r) for floor, g, r in GRADES if lift >= floor)
    cap, decisions = _decision_cap(version)
    if cap is not None and _at_most(name, cap) != name:
        return Grade(_at_most(name, cap), lift, f"Its score is good ({round(100 * lift)} % of the way from a simple guess "
                     f"to perfect), but its decisions hold it back. {decisions}")
    return Grade(name, lift, f"{reason} {decisions}".strip())
