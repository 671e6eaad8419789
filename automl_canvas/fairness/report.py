"""Fairness report: per-group metrics, disparities and their bootstrap intervals.

The flow, and why:
1. every input is checked first (lengths, labels, columns, group counts), so a
   bad request fails with a message naming the problem and nothing is half-done;
2. sensitive columns become explicit groups (``groups.py``): missing values are
   their own group, numeric columns are banded, pairs are intersected;
3. point estimates come from fairlearn's ``MetricFrame`` (the reference
   implementation), with one correction: fairlearn reports a rate whose
   denominator is zero (TPR of a group with no actual positives) as 0, which
   would manufacture disparities, so such rates are NaN here;
4. groups with fewer than ``min_group_size`` rows are flagged and left out of
   the disparity measures: a 3-row group's selection rate is not evidence;
5. intervals come from a vectorised percentile bootstrap (``bootstrap.py``) on
   resampled rows, shared by every feature so a report is one seeded draw;
6. findings turn the numbers into sentences (``findings.py``), with the
   verdicts (four-fifths on the favourable outcome, degenerate decisions,
   regression bias) computed in ``verdicts.py``.
"""

from __future__ import annotations

import warnings
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ValidationError
from .bootstrap import (
    CLASSIFICATION_METRICS,
    REGRESSION_METRICS,
    bootstrap_tables,
    cell_keys,
    disparities,
    metrics_from_table,
    pair_gap,
    percentile_interval,
    point_table,
)
from .findings import RELATIVE_TO_MAE, RULES, build_findings
from .groups import AND, MISSING, GroupedFeature
from .inputs import TASKS, prepare_inputs
from .result import MIN_SELECTION_RATE, MIN_TPR, Disparity, FairnessReport, FeatureGroups, GroupInfo, MetricValue, jsonable
from .verdicts import favourable_class

__all__ = ["TASKS", "fairness_report"]

OVERALL = "overall"
#: Memory guard for the bootstrap tables (8 bytes each): 40 million is 320 MB.
MAX_BOOTSTRAP_CELLS = 40_000_000


# ------------------------------------------------------------- point estimates
def _metric_functions(task: str, n_classes: int) -> dict[str, Any]:
    """fairlearn / scikit-learn metric callables for MetricFrame, keyed like ``metrics_from_table``.

    Every function takes ``sample_weight``: classification rows reach
    MetricFrame as a frequency table (see ``_metricframe_point``).
    """
    import sklearn.metrics as skm
    from fairlearn.metrics import false_positive_rate, selection_rate, true_positive_rate

    # binary: fairlearn's own rate functions; multiclass: scikit-learn's per-class (one-vs-rest) versions

    def count(yt, yp, sample_weight=None):
        return float(len(yt) if sample_weight is None else np.sum(sample_weight))

    def precision(yt, yp, sample_weight=None):
        return skm.precision_score(yt, yp, sample_weight=sample_weight, zero_division=np.nan)

    def mean_actual(yt, yp, sample_weight=None):
        return float(np.average(yt, weights=sample_weight))

    def mean_prediction(yt, yp, sample_weight=None):
        return float(np.average(yp, weights=sample_weight))

    def bias(yt, yp, sample_weight=None):  # signed mean error: > 0 over-predicts the group
        return float(np.average(np.asarray(yp, dtype="float64") - np.asarray(yt, dtype="float64"), weights=sample_weight))

    if task == "regression":
        return {"count": count, "mae": skm.mean_absolute_error, "rmse": skm.root_mean_squared_error, "bias": bias,
                "mean_prediction": mean_prediction, "mean_actual": mean_actual}
    if task == "binary":
        return {"count": count, "selection_rate": selection_rate, "accuracy": skm.accuracy_score,
                "tpr": true_positive_rate, "fpr": false_positive_rate, "precision": precision, "base_rate": mean_actual}

    # multiclass: one call per group returns every class's one-vs-rest value (MetricFrame keeps the vectors)
    labels = np.arange(n_classes)

    def _w(y, sample_weight):
        return np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype="float64")

    def selection_rates(yt, yp, sample_weight=None):
        w = _w(yp, sample_weight)
        return np.bincount(yp, weights=w, minlength=n_classes) / w.sum()

    def base_rates(yt, yp, sample_weight=None):
        w = _w(yt, sample_weight)
        return np.bincount(yt, weights=w, minlength=n_classes) / w.sum()

    def precisions(yt, yp, sample_weight=None):
        return skm.precision_recall_fscore_support(yt, yp, labels=labels, average=None, sample_weight=sample_weight,
                                                   zero_division=np.nan)[0]

    def recalls(yt, yp, sample_weight=None):
        return skm.precision_recall_fscore_support(yt, yp, labels=labels, average=None, sample_weight=sample_weight,
                                                   zero_division=np.nan)[1]

    def false_positive_rates(yt, yp, sample_weight=None):
        mcm = skm.multilabel_confusion_matrix(yt, yp, labels=labels, sample_weight=sample_weight)
        fp, tn = mcm[:, 0, 1].astype("float64"), mcm[:, 0, 0].astype("float64")
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(fp + tn > 0, fp / np.where(fp + tn > 0, fp + tn, 1), np.nan)

    return {"count": count, "accuracy": skm.accuracy_score, "selection_rate": selection_rates, "tpr": recalls,
            "fpr": false_positive_rates, "precision": precisions, "base_rate": base_rates}


def _frequency_rows(task: str, table: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(group, y_true, y_pred, weight) for each non-empty confusion cell of each group."""
    k = 2 if task == "binary" else n_classes
    flat = table.reshape(-1)
    nz = np.flatnonzero(flat)
    cells = table.shape[-1]
    group, cell = nz // cells, nz % cells
    return group, cell // k, cell % k, flat[nz]


def _metricframe_point(task, feature: GroupedFeature, yt, yp, funcs, n_classes: int, table: np.ndarray):
    """Per-group values from fairlearn's MetricFrame, shaped like ``metrics_from_table`` (plus its overall).

    Why a frequency table for classification: fairlearn 0.15 copies every
    argument element by element (``np.stack`` over a 1-D column) on every
    metric call, about a microsecond per row, metric and group: 8 s for a
    50,000-row report with intersections.  Every classification metric here
    depends only on the (group, y_true, y_pred) counts, so MetricFrame gets one
    row per non-empty cell with its count as ``sample_weight``: the same
    numbers, exactly, in milliseconds.  Regression metrics depend on every
    value, so MetricFrame sees every row.
    """
    from fairlearn.metrics import MetricFrame

    if task == "regression":
        labels, y_t, y_p, params = feature.label_array(), yt, yp, None
    else:
        group, y_t, y_p, weight = _frequency_rows(task, table, n_classes)
        labels = np.asarray(feature.labels, dtype=object)[group]
        params = {name: {"sample_weight": weight} for name in funcs}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mf = MetricFrame(metrics=funcs, y_true=y_t, y_pred=y_p, sample_params=params,
                         sensitive_features=pd.Series(labels, name=feature.name))
    by_group = mf.by_group.reindex(feature.labels)
    out = {name: np.asarray(by_group[name].tolist(), dtype="float64") for name in funcs}  # (G,) or (G, K)
    overall = {name: np.asarray(mf.overall[name], dtype="float64") for name in funcs}
    return out, overall


def _group_auc(scores, yt, codes, n_groups) -> np.ndarray:
    from sklearn.metrics import roc_auc_score

    out = np.full(n_groups, np.nan)
    for g in range(n_groups):
        m = codes == g
        if m.any() and 0 < yt[m].sum() < m.sum():
            out[g] = roc_auc_score(yt[m], scores[m])
    return out


# ---------------------------------------------------------------------- main
def fairness_report(
    task: str,
    y_true,
    y_pred,
    sensitive: pd.DataFrame,
    *,
    proba=None,
    classes: list | None = None,
    positive_label=None,
    min_group_size: int = 30,
    n_bootstrap: int = 200,
    seed: int = 0,
    max_groups: int = 50,
    n_bins: int = 4,
    intersections: bool = True,
    columns: list[str] | None = None,
    confidence: float = 0.95,
    favourable_label=None,
    min_selection_rate: float = MIN_SELECTION_RATE,
    min_tpr: float = MIN_TPR,
) -> FairnessReport:
    """Per-group metrics with intervals, disparities and findings for each sensitive column.

    ``y_true`` / ``y_pred`` are original labels (classification) or numbers
    (regression); rows are matched by position with ``sensitive`` (its index is
    ignored).  ``classes`` is the label order (a CanvasModel's ``classes``);
    the positive label defaults to the last class ('yes' of no/yes, 1 of 0/1).
    ``columns`` picks the sensitive columns out of a wider frame.  ``proba``
    (binary: positive-class scores, or one column per class) adds a per-group
    ROC AUC without an interval: AUC is a rank statistic, not a ratio of
    counts, so it does not bootstrap cheaply.  ``favourable_label`` (binary)
    is the outcome that is good for the person, which the four-fifths rule
    compares; ``min_selection_rate`` / ``min_tpr`` are the floors below which
    a group's decisions are degenerate (see ``verdicts.py``).
    """
    prep = prepare_inputs(task, y_true, y_pred, sensitive, proba=proba, classes=classes, positive_label=positive_label,
                          min_group_size=min_group_size, n_bootstrap=n_bootstrap, confidence=confidence,
                          max_groups=max_groups, n_bins=n_bins, intersections=intersections, columns=columns)
    yt, yp, n, k = prep.yt, prep.yp, prep.n, prep.n_classes
    favourable = None
    if favourable_label is not None and task == "binary":
        favourable = favourable_class(prep.classes, favourable_label)
        if favourable is None:
            raise ValidationError(f"The favourable outcome {favourable_label!r} is not one of the labels {prep.classes}.")
    # regression: thresholds that are a fraction of the overall MAE become numbers in the target's units
    scale = {m: RULES[m][0] * float(np.mean(np.abs(yp - yt))) for m in RELATIVE_TO_MAE} if task == "regression" else {}
    overall = GroupedFeature(OVERALL, "overall", [], np.zeros(n, dtype=np.int64), [OVERALL])
    groupings = [*prep.features, overall]
    values = np.column_stack([np.abs(yp - yt), (yp - yt) ** 2, yp, yt]) if task == "regression" else None
    keys, cells = [], 1
    for f in groupings:
        key, cells = cell_keys(task, f.codes, yt, yp, k)
        keys.append(key)
    sizes = [f.n_groups * cells for f in groupings]
    if n_bootstrap * sum(sizes) > MAX_BOOTSTRAP_CELLS:
        raise ValidationError(
            f"The bootstrap would need {n_bootstrap * sum(sizes) / 1e6:.0f} million counters ({sum(sizes):,} group × "
            f"outcome cells × {n_bootstrap} resamples), more than this service allows ({MAX_BOOTSTRAP_CELLS / 1e6:.0f} million). "
            f"Lower n_bootstrap, turn intersections off, or group rare classes or sensitive values together.",
            details={"cells": sum(sizes), "n_bootstrap": n_bootstrap},
        )
    boot = bootstrap_tables(keys, sizes, n, n_bootstrap, seed, values) if n_bootstrap else None

    funcs = _metric_functions(task, k)
    label_of = (lambda i: str(prep.classes[i])) if task == "multiclass" else (lambda i: None)
    metric_rows, overall_rows, disparity_rows, feature_rows = [], [], [], []
    overall_point: dict[str, np.ndarray] = {}
    for i, f in enumerate(groupings):
        table = point_table(keys[i], f.n_groups, cells, values)
        counted = metrics_from_table(task, table, k)
        if f is overall:
            point = overall_point
        else:
            point, overall_point = _metricframe_point(task, f, yt, yp, funcs, k, table)
            # fairlearn reports an undefined rate (zero denominator) as 0; it is NaN here.
            point = {m: np.where(np.isnan(counted[m]), np.nan, point[m]) for m in point}
        point = {m: np.reshape(v, counted[m].shape) for m, v in point.items()}
        if prep.scores is not None:
            point["roc_auc"] = _group_auc(prep.scores, yt, f.codes, f.n_groups)
        boot_metrics = None
        if boot is not None:
            shape = (n_bootstrap, f.n_groups, 5 if task == "regression" else cells)
            boot_metrics = metrics_from_table(task, boot[i].reshape(shape), k)
        rows = _metric_rows(task, f, point, boot_metrics, confidence, k, label_of)
        if f is overall:
            overall_rows = rows
            continue
        metric_rows += rows
        counts = counted["count"].astype(int)
        feature_rows.append(FeatureGroups(
            f.name, f.kind, f.columns,
            [GroupInfo(lab, int(c), bool(c < min_group_size), MISSING in lab.split(AND)) for lab, c in zip(f.labels, counts)],
            {b: [float(x) for x in r] for b, r in f.band_ranges.items()},
        ))
        disparity_rows += _disparities(task, f, point, boot_metrics, counts >= min_group_size, confidence, k, label_of, scale)

    report = FairnessReport(
        task=task, n_rows=n, sensitive_columns=[f.name for f in prep.features if f.kind != "intersection"],
        positive_label=jsonable(prep.positive_label),
        classes=jsonable([c if isinstance(c, (str, int, float, bool, np.generic)) else str(c) for c in prep.classes]),
        min_group_size=min_group_size, n_bootstrap=n_bootstrap, confidence=confidence, seed=seed,
        features=feature_rows, metrics=metric_rows, overall=overall_rows, disparities=disparity_rows, versions=_versions(),
        favourable_label=jsonable(favourable), min_selection_rate=float(min_selection_rate), min_tpr=float(min_tpr),
    )
    report.findings = build_findings(report)
    return report


def _metric_rows(task, f: GroupedFeature, point, boot_metrics, confidence, n_classes, label_of) -> list[MetricValue]:
    """One MetricValue per (group, metric[, class]) in display order, with its percentile interval."""
    names = (*(REGRESSION_METRICS if task == "regression" else CLASSIFICATION_METRICS), "roc_auc")
    rows = []
    for m in names:
        if m not in point:
            continue
        v = point[m]
        if boot_metrics is not None and m in boot_metrics:
            lo, hi = percentile_interval(boot_metrics[m], confidence)
        else:
            lo = hi = np.full(v.shape, np.nan)
        for g, label in enumerate(f.labels):
            if v.ndim == 2:
                rows += [MetricValue(f.name, label, m, label_of(c), float(v[g, c]), float(lo[g, c]), float(hi[g, c]))
                         for c in range(n_classes)]
            else:
                rows.append(MetricValue(f.name, label, m, None, float(v[g]), float(lo[g]), float(hi[g])))
    return rows


#: The per-group metric behind each disparity measure (equalized odds: whichever of TPR / FPR is wider);
#: "~m" is the other outcome's rate, 1 − m.
_SOURCE = {"demographic_parity_difference": "selection_rate", "demographic_parity_ratio": "selection_rate",
           "tpr_difference": "tpr", "fpr_difference": "fpr", "base_rate_difference": "base_rate",
           "base_rate_ratio": "base_rate", "other_parity_ratio": "~selection_rate", "other_base_rate_ratio": "~base_rate",
           "mae_difference": "mae", "mae_ratio": "mae", "bias_difference": "bias",
           "mean_prediction_difference": "mean_prediction"}


def _values(metrics: dict[str, np.ndarray], src: str) -> np.ndarray:
    return 1 - metrics[src[1:]] if src.startswith("~") else metrics[src]


def _disparities(task, f: GroupedFeature, point, boot_metrics, eligible, confidence, n_classes, labels_of,
                 scale: dict[str, float] | None = None) -> list[Disparity]:
    """Disparity rows with intervals for the gap between the two extreme groups.

    Why the interval is for that fixed pair (found on all rows) and not for a
    bootstrapped max − min: the maximum of many noisy group rates is biased
    upward in every resample, so with more than two groups the percentile
    interval of max − min drifts away from, and can exclude, the estimate it
    is meant to qualify.  With two groups the two are the same.
    """
    compared = [lab for lab, ok in zip(f.labels, eligible) if ok]
    enough = len(compared) >= 2
    out = []
    point_d = disparities(task, point, eligible, 0)
    for measure, value in point_d.items():
        per_class = np.ndim(value) == 1
        for k in range(n_classes if per_class else 1):
            v = float(value[k]) if per_class else float(value)
            src = _SOURCE.get(measure)
            if measure == "equalized_odds_difference":  # the wider of the two gaps names the groups
                tv, fv = (np.nan_to_num(np.atleast_1d(point_d[m])[k], nan=-1.0) for m in ("tpr_difference", "fpr_difference"))
                src = "fpr" if fv >= tv else "tpr"
            lo = hi = float("nan")
            low_group = high_group = None
            low_value = high_value = float("nan")
            if enough:
                lo_i, hi_i, low_value, high_value = _extremes(_values(point, src), eligible, k, per_class)
                if lo_i is not None:
                    low_group, high_group = f.labels[lo_i], f.labels[hi_i]
                    if boot_metrics is not None:
                        b = _values(boot_metrics, src)[..., k] if per_class else _values(boot_metrics, src)
                        lo, hi = (float(x) for x in percentile_interval(pair_gap(measure, b[:, hi_i], b[:, lo_i]), confidence))
            else:
                v = float("nan")
            threshold, direction = RULES.get(measure, (float("nan"), 0))
            threshold = (scale or {}).get(measure, threshold)
            flagged = bool(enough and np.isfinite(v) and direction and (v < threshold if direction < 0 else v > threshold))
            out.append(Disparity(f.name, measure, labels_of(k) if per_class else None, v, lo, hi, compared,
                                 low_group, high_group, low_value, high_value, float(threshold), flagged))
    return out


def _extremes(values: np.ndarray, eligible: np.ndarray, k: int, per_class: bool):
    """(index of lowest, index of highest, lowest, highest) among eligible groups with a defined value."""
    vals = np.where(eligible, values[:, k] if per_class else values, np.nan)
    if np.isnan(vals).all():
        return None, None, float("nan"), float("nan")
    lo_i, hi_i = int(np.nanargmin(vals)), int(np.nanargmax(vals))
    return lo_i, hi_i, float(vals[lo_i]), float(vals[hi_i])


def _versions() -> dict[str, str]:
    out = {}
    for dist in ("fairlearn", "scikit-learn", "numpy", "pandas"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out
