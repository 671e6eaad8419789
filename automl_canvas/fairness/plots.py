"""Figures drawn from a stored fairness report (its data only, never the model).

Why ``matplotlib.figure.Figure`` and not ``pyplot``: pyplot keeps every figure
in a global registry (a leak in a long-running service) and may pick an
interactive backend; a bare ``Figure`` renders with Agg, needs no
``plt.show()`` and is freed with its last reference.  Callers save it
(``fig.savefig(buf, format="png")``) or hand it to Streamlit (``st.pyplot(fig)``).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .result import FairnessReport

__all__ = ["METRIC_TITLES", "plot_disparities", "plot_group_metric"]

METRIC_TITLES = {
    "selection_rate": "Selection rate",
    "accuracy": "Accuracy",
    "tpr": "True-positive rate (recall)",
    "fpr": "False-positive rate",
    "precision": "Precision",
    "base_rate": "Actual positive rate",
    "roc_auc": "ROC AUC",
    "count": "Rows",
    "mae": "Mean absolute error",
    "rmse": "RMSE",
    "bias": "Mean error (bias: prediction − truth)",
    "mean_prediction": "Mean prediction",
    "mean_actual": "Mean actual",
}
_SMALL = "#bbbbbb"
_BAR = "#3b75af"
_FLAG = "#c0392b"


def _errors(values, lows, highs) -> np.ndarray | None:
    v, lo, hi = (np.asarray(a, dtype="float64") for a in (values, lows, highs))
    if np.isnan(lo).all():
        return None
    return np.vstack([np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)]).astype("float64")


def plot_group_metric(
    report: FairnessReport,
    metric: str = "selection_rate",
    *,
    features: list[str] | None = None,
    label: str | None = None,
) -> Figure:
    """Horizontal bars per group with interval whiskers, one panel per feature.

    Small groups (left out of the disparities) are grey; the dashed line is the
    value on all rows.  ``label`` picks the class of a multiclass report.
    """
    frame = report.groups_frame()
    frame = frame[(frame["metric"] == metric) & (frame["label"].isna() if label is None else frame["label"] == label)]
    if frame.empty:
        known = sorted(set(report.groups_frame()["metric"]))
        raise KeyError(f"the report has no metric {metric!r} (label {label!r}); metrics: {', '.join(known)}")
    names = features or [f.name for f in report.features]
    heights = [max(1, int((frame["feature"] == n).sum())) for n in names]
    fig = Figure(figsize=(7, 1.2 + 0.32 * sum(heights) + 0.5 * len(names)), layout="constrained")
    axes = fig.subplots(len(names), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[:, 0]
    overall = next((m.value for m in report.overall if m.metric == metric and m.label == label), float("nan"))
    for ax, name in zip(axes, names):
        rows = frame[frame["feature"] == name]
        y = np.arange(len(rows))[::-1]
        colors = [_SMALL if s else _BAR for s in rows["small_group"]]
        ax.barh(y, rows["value"].fillna(0), color=colors, xerr=_errors(rows["value"], rows["ci_low"], rows["ci_high"]),
                error_kw={"ecolor": "#333333", "capsize": 3, "lw": 1})
        ax.set_yticks(y, [f"{g} (n={n:,})" for g, n in zip(rows["group"], rows["n"])], fontsize=8)
        if not np.isnan(overall):
            ax.axvline(overall, color="#555555", ls="--", lw=1)
        ax.set_title(name, fontsize=9, loc="left")
        ax.tick_params(axis="x", labelsize=8)
    title = METRIC_TITLES.get(metric, metric) + ("" if label is None else f" [{label}]")
    ci = f", {round(report.confidence * 100)}% bootstrap intervals" if report.n_bootstrap else ""
    fig.suptitle(f"{title} by group{ci}; grey: fewer than {report.min_group_size} rows", fontsize=10)
    return fig


def _ratio_panels(report: FairnessReport) -> list[tuple[str, str]]:
    if report.task != "binary":
        return [("demographic_parity_ratio", "Selection-rate ratio (four-fifths rule)")]
    pos = str(report.positive_label)
    other = next((str(c) for c in report.classes if str(c) != pos), f"not {pos}")
    panels = {pos: ("demographic_parity_ratio", f"Rate ratio of '{pos}' (four-fifths rule)"),
              other: ("other_parity_ratio", f"Rate ratio of '{other}' (four-fifths rule)")}
    if report.favourable_label is not None and str(report.favourable_label) in panels:
        return [panels[str(report.favourable_label)]]
    return [panels[pos], panels[other]]


def plot_disparities(report: FairnessReport, *, label: str | None = None) -> Figure:
    """Each feature's disparities with intervals and the rule-of-thumb lines (red: flagged).

    Classification: demographic parity difference, equalized odds difference
    and the parity ratio against the four-fifths line (binary: of the
    favourable outcome; both outcomes while it is undeclared); regression:
    the MAE ratio, the bias gap (signed mean error) and the mean-prediction gap.
    """
    if report.task == "regression":
        measures = [("mae_ratio", "MAE ratio (max / min)"), ("bias_difference", "Bias gap (mean error, max − min)"),
                    ("mean_prediction_difference", "Mean prediction gap")]
    else:
        measures = [("demographic_parity_difference", "Demographic parity difference"),
                    ("equalized_odds_difference", "Equalized odds difference")]
        measures += _ratio_panels(report)
    frame = report.disparities_frame()
    frame = frame[frame["label"].isna() if label is None else frame["label"] == label]
    names = [f.name for f in report.features]
    fig = Figure(figsize=(4 * len(measures), 1.4 + 0.35 * len(names)), layout="constrained")
    axes = fig.subplots(1, len(measures), squeeze=False, sharey=True)[0]
    y = np.arange(len(names))[::-1]
    for ax, (measure, title) in zip(axes, measures):
        rows = frame[frame["measure"] == measure].set_index("feature").reindex(names)
        colors = [_FLAG if bool(f) else _BAR for f in rows["flagged"].fillna(False)]
        ax.barh(y, rows["value"].fillna(0), color=colors, xerr=_errors(rows["value"], rows["ci_low"], rows["ci_high"]),
                error_kw={"ecolor": "#333333", "capsize": 3, "lw": 1})
        threshold = rows["threshold"].dropna()
        if len(threshold):
            ax.axvline(float(threshold.iloc[0]), color=_FLAG, ls=":", lw=1)
        for yi, v in zip(y, rows["value"]):
            if np.isnan(v):
                ax.text(0, yi, " not measured", va="center", fontsize=7, color="#777777")
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=8)
    axes[0].set_yticks(y, names, fontsize=8)
    fig.suptitle("Disparities between groups" + ("" if label is None else f" [{label}]"), fontsize=10)
    return fig
