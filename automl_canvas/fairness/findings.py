"""Plain-language findings from a fairness report's numbers.

An analyst reads "Rate of predicted 'yes' for gender = female is 0.75× that of
gender = male (four-fifths rule fails)", not a table of ratios.  Findings are
rebuilt from the stored report data alone, so the wording can improve without
recomputing any evidence.  The rules of thumb are in ``RULES`` (in one place,
so a reviewer can see and change them):

* demographic parity ratio below 0.8: the four-fifths (80 %) rule of the US
  Uniform Guidelines on Employee Selection Procedures (applied to the
  predictions, and to the actual outcomes: a bias already in the labels is
  learned by any model that can see the group or a proxy of it);
* differences in rates above 0.1 (ten percentage points), a common screening level;
* a group's mean absolute error more than 1.25× another's (regression).

Severity: "high" when the interval of the gap lies wholly beyond the rule
(the gap is not a sampling accident), "warning" when only the estimate does.
Intersections stop at "warning": with a dozen or more groups the most extreme
pair differs by chance more often than a per-pair interval admits (no
multiple-comparison correction is made), so they are leads to follow up.
"""

from __future__ import annotations

import math

from .groups import AND, CROSS, MISSING
from .result import SEVERITIES, Disparity, FairnessReport, FeatureGroups, Finding

__all__ = ["RULES", "build_findings", "describe_group"]

#: measure -> (threshold, direction): -1 flags values below it, +1 values above it, 0 never.
RULES: dict[str, tuple[float, int]] = {
    "demographic_parity_ratio": (0.8, -1),
    "demographic_parity_difference": (0.1, +1),
    "equalized_odds_difference": (0.1, +1),
    "tpr_difference": (0.1, +1),
    "fpr_difference": (0.1, +1),
    "base_rate_ratio": (0.8, -1),
    "base_rate_difference": (0.1, +1),
    "mae_ratio": (1.25, +1),
}


def describe_group(feature: FeatureGroups | str, group: str) -> str:
    """'gender = female', or 'gender = female & age = 21–34' for an intersection."""
    name = feature if isinstance(feature, str) else feature.name
    cols = name.split(CROSS)
    parts = group.split(AND) if len(cols) > 1 else [group]
    if len(parts) != len(cols):
        return f"{name} = {group}"
    return " & ".join(f"{c} = {p}" for c, p in zip(cols, parts))


def _f(x: float, digits: int = 2) -> str:
    return "n/a" if math.isnan(x) else f"{x:.{digits}f}"


def _interval(d: Disparity, report: FairnessReport) -> str:
    if math.isnan(d.ci_low):
        return "no interval"
    return f"{round(report.confidence * 100)}% interval {_f(d.ci_low)} to {_f(d.ci_high)}"


def _outcome(report: FairnessReport, label: str | None) -> str:
    return f"predicted '{label if label is not None else report.positive_label}'"


def _group_findings(report: FairnessReport, f: FeatureGroups) -> list[Finding]:
    out = []
    missing = [g for g in f.groups if g.group == MISSING]
    if missing and f.kind != "intersection":
        g = missing[0]
        out.append(Finding("info", f"{g.n} rows ({g.n / report.n_rows:.0%}) have no value for {f.name}; they are kept "
                                   f"as the group '{MISSING}' rather than dropped.", f.name, None, {"rows": g.n}))
    small = [g for g in f.groups if g.small_group]
    if small:
        shown = ", ".join(f"{g.group} ({g.n} rows)" for g in small[:5]) + (f" and {len(small) - 5} more" if len(small) > 5 else "")
        what = "group has" if len(small) == 1 else f"of {len(f.groups)} groups have"
        out.append(Finding(
            "warning",
            f"{f.name}: {len(small)} {what} fewer than {report.min_group_size} rows ({shown}); their numbers are shown "
            f"with wide intervals but left out of the disparity measures.",
            f.name, None, {"small_groups": [g.group for g in small], "min_group_size": report.min_group_size},
        ))
    if len(f.compared_groups) < 2:
        out.append(Finding("warning", f"{f.name}: fewer than two groups have {report.min_group_size} rows or more, so "
                                      f"no disparity can be measured.", f.name, None, {"groups_compared": f.compared_groups}))
    return out


def _parity_finding(report: FairnessReport, ratio: Disparity, diff: Disparity, *, actual: bool = False) -> Finding | None:
    """Four-fifths rule on predicted (or, with ``actual``, observed) positive rates."""
    name, label = ratio.feature, ratio.label
    low, high = describe_group(name, ratio.low_group or ""), describe_group(name, ratio.high_group or "")
    rates = f"{_f(ratio.low_value)} vs {_f(ratio.high_value)}"
    numbers = {"ratio": ratio.value, "ratio_ci": [ratio.ci_low, ratio.ci_high], "difference": diff.value,
               "low_rate": ratio.low_value, "high_rate": ratio.high_value, "low_group": ratio.low_group,
               "high_group": ratio.high_group}
    target = f"'{label if label is not None else report.positive_label}'"
    what = f"In the data itself, the actual rate of {target}" if actual else f"Rate of {_outcome(report, label)}"
    tail = ": the outcomes any model learns from already fail the four-fifths rule" if actual else ": the four-fifths rule fails"
    if ratio.flagged:
        robust = not math.isnan(ratio.ci_high) and ratio.ci_high < ratio.threshold
        return Finding("high" if robust and CROSS not in name else "warning",
                       f"{what} for {low} is {ratio.value:.2f}× that of {high} ({rates}; {_interval(ratio, report)}){tail}"
                       + ("." if robust else ", though the interval reaches 0.8."), name, ratio.measure, numbers)
    if diff.flagged:
        return Finding("warning", f"{what} differs by {diff.value:.2f} between {low} and {high} ({rates}; {_interval(diff, report)}), "
                                  f"although the ratio {ratio.value:.2f} passes the four-fifths rule.", name, diff.measure, numbers)
    if actual:
        return None  # balanced labels are not news; the prediction finding says enough
    return Finding("info", f"{what} is similar across {name} groups: ratio {ratio.value:.2f} (four-fifths rule passes), "
                           f"difference {diff.value:.2f}.", name, ratio.measure, numbers)


_RATE_WORDS = {
    "fpr": "False-positive rate (wrongly {outcome} among actual negatives)",
    "tpr": "True-positive rate (correctly {outcome} among actual positives)",
}


def _odds_finding(report: FairnessReport, eo: Disparity, tpr: Disparity, fpr: Disparity) -> Finding | None:
    if not eo.flagged:
        return None
    comp = fpr if fpr.value == eo.value else tpr
    key = "fpr" if comp is fpr else "tpr"
    words = _RATE_WORDS[key].format(outcome=_outcome(report, eo.label))
    return Finding(
        "warning",
        f"{words} is {_f(comp.high_value)} for {describe_group(eo.feature, comp.high_group or '')} and "
        f"{_f(comp.low_value)} for {describe_group(eo.feature, comp.low_group or '')}: an equalized-odds gap of "
        f"{eo.value:.2f} ({_interval(eo, report)}).",
        eo.feature, "equalized_odds_difference",
        {"equalized_odds_difference": eo.value, "component": key, "high": comp.high_value, "low": comp.low_value,
         "ci": [eo.ci_low, eo.ci_high]},
    )


def _regression_findings(report: FairnessReport, by: dict) -> list[Finding]:
    out = []
    for f in report.features:
        ratio, gap = by.get((f.name, "mae_ratio", None)), by.get((f.name, "mean_prediction_difference", None))
        if ratio is None or math.isnan(ratio.value):
            continue
        hi, lo = describe_group(f.name, ratio.high_group or ""), describe_group(f.name, ratio.low_group or "")
        sev = "warning" if ratio.flagged else "info"
        out.append(Finding(sev, f"Mean absolute error for {hi} is {ratio.value:.2f}× that for {lo} "
                                f"({ratio.high_value:.4g} vs {ratio.low_value:.4g}; {_interval(ratio, report)}).",
                           f.name, "mae_ratio", {"ratio": ratio.value, "high": ratio.high_value, "low": ratio.low_value}))
        if gap is not None and not math.isnan(gap.value):
            out.append(Finding("info", f"Mean prediction ranges from {gap.low_value:.4g} ({describe_group(f.name, gap.low_group or '')}) "
                                       f"to {gap.high_value:.4g} ({describe_group(f.name, gap.high_group or '')}).",
                               f.name, "mean_prediction_difference", {"difference": gap.value}))
    return out


def build_findings(report: FairnessReport) -> list[Finding]:
    """Every finding, most serious first (stable within a severity)."""
    out: list[Finding] = []
    for f in report.features:
        out += _group_findings(report, f)
    by = {(d.feature, d.measure, d.label): d for d in report.disparities}
    if report.task == "regression":
        out += _regression_findings(report, by)
    else:
        for (feature, measure, label), ratio in by.items():
            if measure != "demographic_parity_ratio" or math.isnan(ratio.value):
                continue
            out.append(_parity_finding(report, ratio, by[(feature, "demographic_parity_difference", label)]))
            out.append(_parity_finding(report, by[(feature, "base_rate_ratio", label)],
                                       by[(feature, "base_rate_difference", label)], actual=True))
            odds = _odds_finding(report, by[(feature, "equalized_odds_difference", label)],
                                 by[(feature, "tpr_difference", label)], by[(feature, "fpr_difference", label)])
            if odds:
                out.append(odds)
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted((f for f in out if f is not None), key=lambda x: -rank[x.severity])
