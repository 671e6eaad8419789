"""Plain-language findings from a fairness report's numbers.

An analyst reads "Rate of predicted 'yes' for gender = female is 0.75× that of
gender = male (four-fifths rule fails)", not a table of ratios.  Findings are
rebuilt from the stored report data alone, so the wording can improve without
recomputing any evidence.  The rules of thumb are in ``RULES`` (in one place,
so a reviewer can see and change them):

* parity ratio below 0.8: the four-fifths (80 %) rule of the US Uniform
  Guidelines on Employee Selection Procedures, on the rates of the
  *favourable* outcome (``verdicts.four_fifths``: until the favourable label
  is declared, both directions are shown and the stricter one decides); applied
  to the predictions, and to the actual outcomes: a bias already in the labels
  is learned by any model that can see the group or a proxy of it;
* differences in rates above 0.1 (ten percentage points), a common screening level;
* binary: a group whose selection rate or TPR is degenerate
  (``verdicts.selection_health``): then a small parity gap proves nothing;
* a group's mean absolute error more than 1.25× another's (regression);
* a gap in signed mean error (bias) between groups of more than 0.2× the
  overall mean absolute error (regression): one group over-predicted and
  another under-predicted is a warning even when their MAEs are alike.

Severity: "high" when the interval of the gap lies wholly beyond the rule
(the gap is not a sampling accident), "warning" when only the estimate does.
Intersections stop at "warning": with a dozen or more groups the most extreme
pair differs by chance more often than a per-pair interval admits (no
multiple-comparison correction is made), so they are leads to follow up.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from .groups import AND, CROSS, MISSING
from .result import SEVERITIES, Disparity, FairnessReport, FeatureGroups, Finding
from .verdicts import FourFifths, favourable_class, four_fifths, selection_health

__all__ = ["RELATIVE_TO_MAE", "RULES", "build_findings", "describe_group", "with_favourable"]

#: measure -> (threshold, direction): -1 flags values below it, +1 values above it, 0 never.
RULES: dict[str, tuple[float, int]] = {
    "demographic_parity_ratio": (0.8, -1),
    "demographic_parity_difference": (0.1, +1),
    "equalized_odds_difference": (0.1, +1),
    "tpr_difference": (0.1, +1),
    "fpr_difference": (0.1, +1),
    "base_rate_ratio": (0.8, -1),
    "base_rate_difference": (0.1, +1),
    "other_parity_ratio": (0.8, -1),
    "other_base_rate_ratio": (0.8, -1),
    "mae_ratio": (1.25, +1),
    #: a fraction of the overall MAE (the report stores the resulting number as the threshold).
    "bias_difference": (0.2, +1),
}
#: Measures whose RULES threshold is a fraction of the overall mean absolute error, not a number in itself.
RELATIVE_TO_MAE = frozenset({"bias_difference"})


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


def _parity_finding(report: FairnessReport, ratio: Disparity, diff: Disparity, *, actual: bool = False,
                    ff: FourFifths | None = None) -> Finding | None:
    """Four-fifths rule on predicted (or, with ``actual``, observed) rates of one outcome.

    Binary reports pass ``ff`` (from ``verdicts.four_fifths``): the outcome
    judged is the favourable one, and while it is undeclared the sentence
    also gives the other direction and says which one decided.
    """
    name, label = ratio.feature, ratio.label
    low, high = describe_group(name, ratio.low_group or ""), describe_group(name, ratio.high_group or "")
    rates = f"{_f(ratio.low_value)} vs {_f(ratio.high_value)}"
    numbers = {"ratio": ratio.value, "ratio_ci": [ratio.ci_low, ratio.ci_high], "difference": diff.value,
               "low_rate": ratio.low_value, "high_rate": ratio.high_value, "low_group": ratio.low_group,
               "high_group": ratio.high_group}
    outcome = ff.outcome if ff is not None else (label if label is not None else report.positive_label)
    target = f"'{outcome}'" + (" (the favourable outcome)" if ff is not None and ff.declared else "")
    what = f"In the data itself, the actual rate of {target}" if actual else f"Rate of predicted {target}"
    tail = ": the outcomes any model learns from already fail the four-fifths rule" if actual else ": the four-fifths rule fails"
    both = ""
    if ff is not None:
        numbers.update({"outcome": ff.outcome, "favourable_declared": ff.declared, "other_outcome": ff.other_outcome,
                        "other_ratio": None if ff.other is None else ff.other.value})
        if not ff.declared and ff.other is not None and not math.isnan(ff.other.value):
            both = (f" The favourable outcome is not declared, so both directions are shown: on '{ff.other_outcome}' "
                    f"the ratio is {ff.other.value:.2f} ({_f(ff.other.low_value)} vs {_f(ff.other.high_value)}); "
                    f"the rule was judged on '{ff.outcome}', the stricter of the two. Declare which answer is good "
                    f"for the person to judge the right one.")
    if ratio.flagged:
        robust = not math.isnan(ratio.ci_high) and ratio.ci_high < ratio.threshold
        return Finding("high" if robust and CROSS not in name else "warning",
                       f"{what} for {low} is {ratio.value:.2f}× that of {high} ({rates}; {_interval(ratio, report)}){tail}"
                       + ("." if robust else ", though the interval reaches 0.8.") + both, name, ratio.measure, numbers)
    if diff.flagged:
        return Finding("warning", f"{what} differs by {diff.value:.2f} between {low} and {high} ({rates}; {_interval(diff, report)}), "
                                  f"although the ratio {ratio.value:.2f} passes the four-fifths rule.{both}", name,
                       diff.measure, numbers)
    if actual:
        return None  # balanced labels are not news; the prediction finding says enough
    return Finding("info", f"{what} is similar across {name} groups: ratio {ratio.value:.2f} (four-fifths rule passes), "
                           f"difference {diff.value:.2f}.{both}", name, ratio.measure, numbers)


def _selection_finding(report: FairnessReport, f: FeatureGroups) -> Finding | None:
    """A degenerate-decision finding (binary): the parity numbers of this feature prove nothing."""
    health = selection_health(report, f.name)
    if health is None or health.passed:
        return None
    return Finding("warning" if f.kind == "intersection" else "high", health.message, f.name, "selection_health",
                   {"problems": health.problems, "min_selection_rate": health.min_selection_rate, "min_tpr": health.min_tpr})


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


def _metric(report: FairnessReport, feature: str, group: str | None, metric: str):
    return next((m for m in report.metrics if (m.feature, m.group, m.metric, m.label) == (feature, group, metric, None)), None)


def _signed(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:+.4g}"


def _bias_finding(report: FairnessReport, f: FeatureGroups, gap: Disparity) -> Finding:
    """Signed mean error (bias) of the two extreme groups: over- vs under-prediction, with intervals."""
    parts = []
    for group in (gap.high_group, gap.low_group):
        m = _metric(report, f.name, group, "bias")
        if m is None:
            continue
        side = "too high" if m.value > 0 else "too low" if m.value < 0 else "unbiased"
        ci = "" if math.isnan(m.ci_low) else f", {round(report.confidence * 100)}% interval {_signed(m.ci_low)} to {_signed(m.ci_high)}"
        parts.append(f"{describe_group(f.name, group or '')}: {side} by {_signed(m.value)} on average{ci}")
    head = "Mean error (prediction − truth) " + "; ".join(parts)
    numbers = {"difference": gap.value, "ci": [gap.ci_low, gap.ci_high], "threshold": gap.threshold,
               "high_group": gap.high_group, "low_group": gap.low_group, "high": gap.high_value, "low": gap.low_value}
    rule = f"more than {RULES['bias_difference'][0]:g}× the overall mean absolute error ({gap.threshold:.4g})"
    if gap.flagged:
        return Finding("warning", f"{head}: a bias gap of {gap.value:.4g} ({_interval(gap, report)}), {rule}. One group's "
                                  f"predictions are pushed up relative to the other's.", f.name, "bias_difference", numbers)
    return Finding("info", f"{head}: a bias gap of {gap.value:.4g} ({_interval(gap, report)}), within the limit of "
                           f"{gap.threshold:.4g}.", f.name, "bias_difference", numbers)


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
        bias = by.get((f.name, "bias_difference", None))
        if bias is not None and not math.isnan(bias.value):
            out.append(_bias_finding(report, f, bias))
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
            diff, base_diff = by[(feature, "demographic_parity_difference", label)], by[(feature, "base_rate_difference", label)]
            if report.task == "binary":
                ff, ff_actual = four_fifths(report, feature), four_fifths(report, feature, actual=True)
                out.append(_parity_finding(report, ff.ratio if ff else ratio, diff, ff=ff))
                if ff_actual is not None:
                    out.append(_parity_finding(report, ff_actual.ratio, base_diff, actual=True, ff=ff_actual))
            else:
                out.append(_parity_finding(report, ratio, diff))
                out.append(_parity_finding(report, by[(feature, "base_rate_ratio", label)], base_diff, actual=True))
            odds = _odds_finding(report, by[(feature, "equalized_odds_difference", label)],
                                 by[(feature, "tpr_difference", label)], by[(feature, "fpr_difference", label)])
            if odds:
                out.append(odds)
        if report.task == "binary":
            out += [x for x in (_selection_finding(report, f) for f in report.features) if x is not None]
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted((f for f in out if f is not None), key=lambda x: -rank[x.severity])


def with_favourable(report: FairnessReport, favourable: Any, *, min_selection_rate: float | None = None,
                    min_tpr: float | None = None) -> FairnessReport:
    """A copy of a stored report judged with the declared favourable outcome (and floors), findings rebuilt.

    Why: the favourable outcome is part of the version's recipe, and a report
    computed before it was declared (or by a caller that did not pass it)
    holds every number the verdicts need; only the judgement changes.  An
    undeclared or unknown label (or a non-binary report) keeps the report's own.
    """
    chosen = favourable_class(report.classes, favourable) if report.task == "binary" else None
    out = replace(report, favourable_label=report.favourable_label if chosen is None else chosen,
                  min_selection_rate=report.min_selection_rate if min_selection_rate is None else float(min_selection_rate),
                  min_tpr=report.min_tpr if min_tpr is None else float(min_tpr))
    out.findings = build_findings(out)
    return out
