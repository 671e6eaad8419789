"""The judgements a person reads about fairness, each computed by one function from the numbers shown beside it.

Why one module: the report's findings, the approval policy and the dashboard
must never disagree about "passes", "widened" or "worse", so each verdict is
a function of stored report or comparison data (no fairlearn, no recomputing)
that every one of them calls:

* :func:`four_fifths`: the four-fifths rule on the *favourable* outcome.  The
  rule (US Uniform Guidelines) compares selection rates of the outcome that is
  good for the person: approval rates of 0.925 vs 0.985 pass (ratio 0.94) even
  though the deny rates 0.075 vs 0.015 have a ratio of 0.2.  Which label is
  favourable is declared with the sensitive columns; until it is, both
  directions are shown and the verdict uses the stricter (lower) ratio, so an
  undeclared report never passes by picking the lenient direction.
* :func:`selection_health`: each compared group's selection rate and TPR must
  be above floors before a parity check may pass: a model that flags almost
  nobody has a tiny parity difference because it barely decides.
* :func:`describe_change`: "narrowed from A to B" / "**widened** from A to B",
  never a percentage "removed" (which turns negative and reads as a gain).
* :func:`mitigation_verdict`: a mitigated candidate that widens the disparity
  it targets, or loses more than a settable amount of the primary metric, is
  "worse — not recommended".
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from .result import MIN_SELECTION_RATE, MIN_TPR, Disparity, FairnessReport

__all__ = [
    "CONSTRAINT_MEASURES",
    "WORSE",
    "FourFifths",
    "MitigationVerdict",
    "SelectionHealth",
    "describe_change",
    "favourable_class",
    "four_fifths",
    "mitigation_verdict",
    "selection_health",
]

#: The label a person reads on a mitigated candidate that made things worse.
WORSE = "worse — not recommended"
#: The disparity each mitigation constraint aims to shrink.
CONSTRAINT_MEASURES = {"demographic_parity": "demographic_parity_difference",
                       "equalized_odds": "equalized_odds_difference"}
#: Changes smaller than this (the three decimals shown) read as "unchanged".
_SAME = 5e-4


def _nan(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _pct(x: float) -> str:
    return "n/a" if _nan(x) else f"{x:.1%}"


def _n(x: float) -> str:
    return "n/a" if _nan(x) else f"{x:.2f}"


# ------------------------------------------------------------------ four-fifths
def favourable_class(classes: list[Any], favourable: Any) -> Any:
    """The class that ``favourable`` names (matched as text: '1' names 1), or None when it names none."""
    if favourable is None:
        return None
    for c in classes:
        if str(c) == str(favourable):
            return c
    return None


@dataclass(frozen=True)
class FourFifths:
    """The four-fifths verdict on one feature: the ratio it was judged on and the other direction."""

    feature: str
    actual: bool  # judged on the observed outcomes (labels) rather than the predictions
    outcome: Any  # the label whose rates the verdict compares
    declared: bool  # the favourable outcome was declared (False: the stricter direction was used)
    ratio: Disparity
    other_outcome: Any
    other: Disparity | None
    passed: bool


def _other_label(report: FairnessReport) -> Any:
    others = [c for c in report.classes if str(c) != str(report.positive_label)]
    return others[0] if others else f"not {report.positive_label}"


def four_fifths(report: FairnessReport, feature: str, *, actual: bool = False, favourable: Any = ...) -> FourFifths | None:
    """The four-fifths rule for a binary report's ``feature`` on the favourable outcome.

    ``favourable`` defaults to the report's declared ``favourable_label``.
    Returns None when the ratio is not in the report (multiclass, or the
    feature has fewer than two comparable groups).
    """
    fav = report.favourable_label if favourable is ... else favourable
    by = {(d.feature, d.measure): d for d in report.disparities if d.label is None}
    pos_m, neg_m = ("base_rate_ratio", "other_base_rate_ratio") if actual else ("demographic_parity_ratio", "other_parity_ratio")
    pos, neg = by.get((feature, pos_m)), by.get((feature, neg_m))
    if pos is None or report.task != "binary":
        return None
    pos_label, neg_label = report.positive_label, _other_label(report)
    chosen = favourable_class(report.classes, fav)
    if chosen is not None:
        flip = str(chosen) != str(pos_label) and neg is not None
        declared = flip or str(chosen) == str(pos_label)  # an old report without the other ratio cannot honour a flip
    else:  # undeclared: the stricter (lower) ratio decides
        flip = neg is not None and not _nan(neg.value) and (_nan(pos.value) or neg.value < pos.value)
        declared = False
    used, other = (neg, pos) if flip else (pos, neg)
    outcome, other_outcome = (neg_label, pos_label) if flip else (pos_label, neg_label)
    if _nan(used.value):
        return None
    return FourFifths(feature, actual, outcome, declared, used, other_outcome, other, not used.flagged)


# --------------------------------------------------------- degenerate decisions
@dataclass(frozen=True)
class SelectionHealth:
    feature: str
    passed: bool
    message: str
    #: one {"group", "metric", "value", "floor"} per value outside its floor.
    problems: list[dict[str, Any]] = field(default_factory=list)
    min_selection_rate: float = MIN_SELECTION_RATE
    min_tpr: float = MIN_TPR


def selection_health(report: FairnessReport, feature: str, *, min_selection_rate: float | None = None,
                     min_tpr: float | None = None) -> SelectionHealth | None:
    """Whether every compared group of ``feature`` gets real decisions (binary reports; None otherwise).

    A group fails when its selection rate is below ``min_selection_rate`` or
    above ``1 − min_selection_rate`` (the model says the same to nearly
    everyone), or its TPR is below ``min_tpr`` (it finds almost none of the
    group's actual positives).  An undefined TPR (no actual positives) is not
    held against the group.  Floors default to those stored in the report.
    """
    if report.task != "binary":
        return None
    lo_sel = report.min_selection_rate if min_selection_rate is None else float(min_selection_rate)
    lo_tpr = report.min_tpr if min_tpr is None else float(min_tpr)
    try:
        groups = report.feature(feature).compared_groups
    except KeyError:
        return None
    if not groups:
        return None
    values = {m.group: {} for m in report.metrics if m.feature == feature}
    for m in report.metrics:
        if m.feature == feature and m.label is None and m.metric in ("selection_rate", "tpr"):
            values[m.group][m.metric] = m.value
    problems = []
    for g in groups:
        s, t = values.get(g, {}).get("selection_rate", math.nan), values.get(g, {}).get("tpr", math.nan)
        if not _nan(s) and (s < lo_sel or s > 1 - lo_sel):
            problems.append({"group": g, "metric": "selection_rate", "value": s, "floor": lo_sel})
        if not _nan(t) and t < lo_tpr:
            problems.append({"group": g, "metric": "tpr", "value": t, "floor": lo_tpr})
    sel = [values.get(g, {}).get("selection_rate", math.nan) for g in groups]
    tpr = [values.get(g, {}).get("tpr", math.nan) for g in groups]
    ranges = (f"selection rates {_range(sel)} (allowed {_pct(lo_sel)} to {_pct(1 - lo_sel)}), "
              f"true-positive rates {_range(tpr)} (at least {_pct(lo_tpr)})")
    pos = f"'{report.positive_label}'"
    if not problems:
        msg = f"'{feature}': every compared group gets real decisions: {ranges}."
    else:
        bad = "; ".join(
            f"{feature} = {p['group']}: " + (f"predicted {pos} for {_pct(p['value'])}" if p["metric"] == "selection_rate"
                                             else f"finds {_pct(p['value'])} of its actual {pos}")
            for p in problems)
        msg = (f"'{feature}': the model barely decides for some groups ({bad}); {ranges}. A small parity gap here "
               f"means the model flags almost nobody (or everybody), not that it treats the groups alike.")
    return SelectionHealth(feature, not problems, msg, problems, lo_sel, lo_tpr)


def _range(values: list[float]) -> str:
    ok = [v for v in values if not _nan(v)]
    if not ok:
        return "n/a"
    lo, hi = min(ok), max(ok)
    return _pct(lo) if lo == hi else f"{_pct(lo)}–{_pct(hi)}"


# ------------------------------------------------------------------- mitigation
def _gap_to_parity(measure: str, value: float) -> float:
    if measure == "mae_ratio":
        return value - 1
    if measure.endswith("_ratio"):
        return 1 - value
    return abs(value)


def describe_change(measure: str, before: float, after: float) -> tuple[str, str]:
    """(direction, words) for a disparity that went from ``before`` to ``after``.

    direction is "narrowed", "widened", "unchanged" or "unknown"; the words
    are "narrowed from 0.060 to 0.020", "**widened** from 0.060 to 0.084"
    (markdown bold: it must not be missed) or "unchanged at 0.060".  Ratios
    narrow towards 1, differences towards 0.
    """
    if _nan(before) or _nan(after):
        return "unknown", f"not comparable ({_n3(before)} → {_n3(after)})"
    gb, ga = _gap_to_parity(measure, float(before)), _gap_to_parity(measure, float(after))
    if abs(ga - gb) < _SAME:
        return "unchanged", f"unchanged at {before:.3f}"
    if ga < gb:
        return "narrowed", f"narrowed from {before:.3f} to {after:.3f}"
    return "widened", f"**widened** from {before:.3f} to {after:.3f}"


def _n3(x: float) -> str:
    return "n/a" if _nan(x) else f"{x:.3f}"


@dataclass(frozen=True)
class MitigationVerdict:
    worse: bool
    label: str  # WORSE, or what the candidate achieved
    message: str
    reasons: list[str]
    feature: str
    measure: str
    disparity_before: float | None
    disparity_after: float | None
    direction: str
    metric: str
    metric_before: float | None
    metric_after: float | None
    #: how much of the primary metric was lost (positive = worse), in the metric's own units.
    metric_loss: float | None
    max_metric_loss: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def mitigation_verdict(comparison: dict[str, Any], *, feature: str, constraint: str, metric: str,
                       higher_is_better: bool, max_metric_loss: float) -> MitigationVerdict:
    """Whether a mitigated candidate is worse than its parent, from ``compare``'s before/after rows.

    Worse when the disparity the constraint targets (``CONSTRAINT_MEASURES``)
    on ``feature`` widened, or the primary ``metric`` lost more than
    ``max_metric_loss`` (in its own units: 0.02 of AUC; for a lower-is-better
    metric such as log loss, a rise of 0.02), or either cannot be compared (an
    unproven candidate is not recommended).
    """
    measure = CONSTRAINT_MEASURES.get(constraint, "demographic_parity_difference")
    row = next((r for r in comparison.get("fairness") or []
                if r.get("feature") == feature and r.get("measure") == measure and r.get("label") is None), None)
    before = None if row is None else _num(row.get("parent"))
    after = None if row is None else _num(row.get("mitigated"))
    direction, words = describe_change(measure, math.nan if before is None else before, math.nan if after is None else after)
    perf = next((p for p in comparison.get("performance") or [] if p.get("metric") == metric), None)
    m_before = None if perf is None else _num(perf.get("parent"))
    m_after = None if perf is None else _num(perf.get("mitigated"))
    loss = None
    if m_before is not None and m_after is not None:
        loss = (m_before - m_after) if higher_is_better else (m_after - m_before)
    reasons = []
    what = f"{measure.replace('_', ' ')} on '{feature}'"
    if direction == "widened":
        reasons.append(f"the {what} {words}")
    elif direction == "unknown":
        reasons.append(f"the {what} could not be compared")
    if loss is None:
        reasons.append(f"the holdout {metric} could not be compared")
    elif loss > max_metric_loss:
        reasons.append(f"the holdout {metric} fell from {m_before:.3f} to {m_after:.3f}, a loss of {loss:.3f} "
                       f"(limit {max_metric_loss:.3f})" if higher_is_better else
                       f"the holdout {metric} rose from {m_before:.3f} to {m_after:.3f}, {loss:.3f} worse "
                       f"(limit {max_metric_loss:.3f})")
    worse = bool(reasons)
    cost = "n/a" if loss is None else f"{m_before:.3f} → {m_after:.3f}"
    if worse:
        label = WORSE
        message = f"Mitigated candidate: {WORSE}: " + "; and ".join(reasons) + "."
    else:
        label = "narrows the gap at an acceptable cost" if direction == "narrowed" else "no worse than its parent"
        message = (f"Mitigated candidate {label}: the {what} {words}; holdout {metric} {cost} "
                   f"(at most {max_metric_loss:.3f} may be lost).")
    return MitigationVerdict(worse, label, message, reasons, feature, measure, before, after, direction, metric,
                             m_before, m_after, None if loss is None else round(loss, 6), float(max_metric_loss))


def _num(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x
