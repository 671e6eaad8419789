"""The verdict: one function, from the numbers the scorecard shows beside it.

Why this order: a table where one column gives the answer needs no model (or
leaks) whatever the model scores, so the single-column rules come first; then
whether any signal was found — and if not, whether that is the data's fault
(too few rows, too many problems: *not ready*) or the question's (*no
signal*); then whether the data can be judged at all; and last the business
case, because a model that works is only a Go when it is worth something.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .rules import Thresholds

__all__ = ["VERDICTS", "ColumnFinding", "column_finding", "decide_verdict"]

VERDICTS: dict[str, str] = {
    "go": "Go",
    "value_unknown": "Promising: ML works on this data, but its value is unknown",
    "low_value": "Not worth it: ML works on this data, but the value is too small",
    "promising": "Promising, needs more or better data",
    "no_signal": "ML won't help with this data (no signal was found)",
    "not_ready": "Not ready for ML (too few rows or too many data problems)",
    "not_needed": "ML not needed (a rule does it)",
    "leaks": "The data leaks (a column gives the answer away)",
}


@dataclass(frozen=True)
class ColumnFinding:
    """What the single-column rules say: ``leak``, ``rule`` (near-perfect), ``share`` (most of the lift) or ``none``."""

    kind: str
    column: str
    check: float
    check_label: str
    description: str
    share: float | None
    leak_suspect: bool
    used_by_model: bool


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def column_finding(m: dict[str, Any], t: Thresholds) -> ColumnFinding | None:
    """The column that matters most, and why; None for assessments stored before columns were checked."""
    stored = (m.get("column_rules") or {}).get("columns") or []
    cols = [c for c in stored if _finite(c.get("check"))]
    if not cols:
        return None
    model_norm = m["lift"].get("normalised")

    def share(c: dict[str, Any]) -> float | None:
        if not (_finite(model_norm) and model_norm > 0 and _finite(c.get("normalised"))):
            return None
        return max(0.0, c["normalised"]) / model_norm

    def found(kind: str, c: dict[str, Any]) -> ColumnFinding:
        return ColumnFinding(kind=kind, column=c["column"], check=float(c["check"]), check_label=c["check_label"],
                             description=c["description"], share=share(c), leak_suspect=bool(c["leak_suspect"]),
                             used_by_model=bool(c["used_by_model"]))

    near = [c for c in cols if c["check"] >= t.rule_near_perfect]
    leak = next((c for c in near if c["leak_suspect"] and c["copy_like"]), None)
    if leak is not None:
        return found("leak", leak)
    if near:
        return found("rule", near[0])
    honest = [c for c in cols if not (c["leak_suspect"] and c["copy_like"])]
    best = max(honest or cols, key=lambda c: share(c) if share(c) is not None else -1.0)
    s = share(best)
    return found("share" if s is not None and s >= t.rule_share_not_needed else "none", best)


def decide_verdict(*, finding: ColumnFinding | None, rule_share: float | None, signal: bool, has_interval: bool,
                   too_wide: bool, readiness: float, score: float | None, value_per_month: float | None,
                   t: Thresholds) -> tuple[str, str]:
    """(verdict, the reason in words) — the only place a verdict is decided."""
    if finding is not None and finding.kind == "leak":
        return "leaks", (f"`{finding.column}` alone predicts the target almost perfectly ({finding.check_label} "
                         f"{finding.check:.3f}, the line is {t.rule_near_perfect:.2f}) and looks like the outcome "
                         "written down after the fact")
    if finding is not None and finding.kind == "rule":
        return "not_needed", (f"a simple rule on `{finding.column}` alone predicts the target almost perfectly "
                              f"({finding.check_label} {finding.check:.3f}, the line is {t.rule_near_perfect:.2f})")
    if finding is not None and finding.kind == "share":
        return "not_needed", (f"a simple rule on `{finding.column}` alone gets {finding.share:.0%} of the model's lift "
                              f"(the line is {t.rule_share_not_needed:.0%})")
    if signal and rule_share is not None and rule_share >= t.rule_share_not_needed:
        return "not_needed", (f"a simple rule already gets {rule_share:.0%} of the model's lift "
                              f"(the line is {t.rule_share_not_needed:.0%})")
    if not signal:
        if not has_interval or too_wide:
            return "not_ready", "there are too few held-out rows to tell a signal from chance"
        if readiness < t.go_min_readiness:
            return "not_ready", (f"no signal was found, and with data readiness {readiness:.0f} (below "
                                 f"{t.go_min_readiness:.0f}) the data's problems may be hiding it")
        return "no_signal", ("the model does no better than always giving the most common answer (the lift "
                             f"interval includes zero), on data that is in good enough shape (readiness {readiness:.0f})")
    if too_wide:
        return "promising", "the interval is too wide to judge yet"
    if score is None or score < t.go_score or readiness < t.go_min_readiness:
        if score is None:
            return "promising", "too little could be scored"
        return "promising", (f"the score {score:.0f} or the data readiness {readiness:.0f} is below the Go line "
                             f"({t.go_score:.0f} and {t.go_min_readiness:.0f})")
    data_ok = (f"the score {score:.0f} and data readiness {readiness:.0f} clear the Go line "
               f"({t.go_score:.0f} and {t.go_min_readiness:.0f})")
    if value_per_month is None:
        return "value_unknown", (f"{data_ok}, but without the business inputs (decisions per month and the value of "
                                 "a decision or the costs of errors) its value is unknown")
    floor = max(t.go_min_value, 0.0)
    if value_per_month <= 0 or value_per_month < floor:
        return "low_value", (f"{data_ok}, but the expected value, about {value_per_month:,.0f} a month, is below "
                             f"the {floor:,.0f} a month a Go needs")
    return "go", f"{data_ok}, and the expected value, about {value_per_month:,.0f} a month, is above {floor:,.0f}"
