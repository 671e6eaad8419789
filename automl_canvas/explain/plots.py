"""Figures drawn from a stored :class:`~automl_canvas.explain.result.Explanation`.

Rendering is kept apart from computing: these functions read only the stored
values and data (no model, no shap), so an app can draw an explanation that a
worker computed hours ago.  They are drawn with matplotlib directly rather than
with shap's plots, which draw on pyplot's global current figure and need
``show=False`` tricks; here every function returns a fresh
:class:`matplotlib.figure.Figure` on the Agg canvas and never touches pyplot's
state, so a server can draw from several threads and nothing pops up.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from .library import OUTPUT_SPACES
from .result import Explanation

__all__ = ["beeswarm", "dependence", "importance_bar", "waterfall"]

_POS, _NEG, _CMAP = "#d6404e", "#2f7bbf", "coolwarm"


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _space_label(expl: Explanation) -> str:
    return OUTPUT_SPACES.get(expl.output_space, expl.output_space)


def _output_title(expl: Explanation, k: int) -> str:
    if expl.task in ("binary", "multiclass"):
        return f"class {expl.output_names[k]!s}"
    return str(expl.output_names[k])


def _numeric_values(expl: Explanation, column: str) -> tuple[np.ndarray | None, str]:
    """A column's values as numbers for colouring and axes, and its kind.

    Dates become timestamps; categorical and text columns return ``None``.
    """
    kind = expl.meta.get("column_kinds", {}).get(column)
    s = expl.data[column]
    if kind == "categorical":
        return None, kind
    if kind == "datetime" or pd.api.types.is_datetime64_any_dtype(s):
        d = pd.to_datetime(s, errors="coerce", format="mixed", utc=True)
        return d.map(lambda t: t.timestamp() if pd.notna(t) else np.nan).to_numpy("float64"), "datetime"
    num = pd.to_numeric(s, errors="coerce")
    if kind == "numeric" or (s.notna().sum() and num.notna().sum() >= 0.9 * s.notna().sum()):
        return num.to_numpy("float64"), "numeric"
    return None, "categorical"


def _top_columns(expl: Explanation, output: Any, max_display: int) -> pd.DataFrame:
    return expl.global_importance(output).head(max_display)


def importance_bar(expl: Explanation, output: Any = None, max_display: int = 15) -> Figure:
    """Mean |SHAP| per column, largest on top.

    With ``output=None`` on a multiclass model the bar is split by class (the
    total is the sum over classes of each class's mean |SHAP|).
    """
    k = None if output is None else expl.output_position(output)
    top = _top_columns(expl, k, max_display)
    names = top["column"].tolist()[::-1]
    fig = _figure(7, 0.45 * len(names) + 1.4)
    ax = fig.add_subplot()
    y = np.arange(len(names))
    if k is None and expl.n_outputs > 1:
        cols = [expl.column_position(c) for c in names]
        left = np.zeros(len(names))
        for o in range(expl.n_outputs):
            width = np.abs(expl.values[:, cols, o]).mean(axis=0) if expl.n_rows else np.zeros(len(cols))
            ax.barh(y, width, left=left, label=_output_title(expl, o))
            left += width
        ax.legend(loc="lower right", fontsize="small")
    else:
        ax.barh(y, top["mean_abs_shap"].to_numpy()[::-1], color=_POS)
    ax.set_yticks(y, names)
    ax.set_xlabel(f"mean |SHAP value| ({_space_label(expl)})")
    title = "Which columns matter most"
    if k is not None and expl.n_outputs > 1:
        title += f" ({_output_title(expl, k)})"
    ax.set_title(title)
    return fig


def _swarm_offsets(x: np.ndarray, nbins: int = 80, width: float = 0.38) -> np.ndarray:
    """Vertical offsets that spread points with similar x values (a simple beeswarm)."""
    if len(x) == 0:
        return np.zeros(0)
    lo, hi = float(np.min(x)), float(np.max(x))
    bins = np.round((x - lo) / ((hi - lo) or 1.0) * nbins).astype(int)
    offsets = np.zeros(len(x))
    counts: dict[int, int] = {}
    for i in np.argsort(x, kind="stable"):
        c = counts.get(bins[i], 0)
        counts[bins[i]] = c + 1
        offsets[i] = ((c + 1) // 2) * (1 if c % 2 else -1)
    peak = np.abs(offsets).max()
    return offsets / peak * width if peak else offsets


def beeswarm(expl: Explanation, output: Any = 0, max_display: int = 15) -> Figure:
    """One dot per row and column: where it pushes the output, coloured by the column's value.

    Categorical and text columns have no low/high, so their dots are grey.
    """
    k = expl.output_position(output)
    names = _top_columns(expl, k, max_display)["column"].tolist()[::-1]
    fig = _figure(8, 0.5 * len(names) + 1.6)
    ax = fig.add_subplot()
    norm = Normalize(0, 1)
    for pos, col in enumerate(names):
        j = expl.column_position(col)
        x = expl.values[:, j, k]
        y = pos + _swarm_offsets(x)
        nums, _ = _numeric_values(expl, col)
        if nums is None or np.all(np.isnan(nums)):
            ax.scatter(x, y, s=10, color="#9a9a9a", alpha=0.8, linewidths=0)
            continue
        ranks = pd.Series(nums).rank(pct=True).to_numpy()
        missing = np.isnan(ranks)
        ax.scatter(x[missing], y[missing], s=10, color="#9a9a9a", alpha=0.8, linewidths=0)
        ax.scatter(x[~missing], y[~missing], s=10, c=ranks[~missing], cmap=_CMAP, norm=norm, alpha=0.9, linewidths=0)
    ax.axvline(0, color="#555555", lw=0.8)
    ax.set_yticks(np.arange(len(names)), names)
    ax.set_xlabel(f"SHAP value ({_space_label(expl)})")
    ax.set_title(f"How each column pushes the prediction ({_output_title(expl, k)})")
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=_CMAP), ax=ax, ticks=[0, 1], aspect=40)
    bar.ax.set_yticklabels(["low", "high"])
    bar.set_label("column value (grey: category or missing)")
    return fig


def dependence(expl: Explanation, column: str, output: Any = 0, max_categories: int = 30) -> Figure:
    """A column's value against its SHAP value, one dot per explained row."""
    k = expl.output_position(output)
    table = expl.dependence(column, k)
    shap_vals = table["shap_value"].to_numpy()
    nums, kind = _numeric_values(expl, column)
    fig = _figure(7, 4.5)
    ax = fig.add_subplot()
    if nums is not None:
        if kind == "datetime":
            x = pd.to_datetime(nums, unit="s")
            ax.scatter(x, shap_vals, s=12, color=_NEG, alpha=0.7, linewidths=0)
            fig.autofmt_xdate()
        else:
            ax.scatter(nums, shap_vals, s=12, color=_NEG, alpha=0.7, linewidths=0)
    else:
        labels = table["feature_value"].map(lambda v: "(missing)" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
        order = pd.Series(shap_vals).groupby(labels.to_numpy()).mean().sort_values()
        shown = list(order.index)
        if len(shown) > max_categories:
            counts = labels.value_counts()
            keep = set(counts.index[: max_categories - 1])
            labels = labels.where(labels.isin(keep), "(other)")
            shown = [c for c in shown if c in keep] + ["(other)"]
        position = {c: i for i, c in enumerate(shown)}
        x = labels.map(position).to_numpy("float64")
        jitter = np.random.default_rng(0).uniform(-0.2, 0.2, len(x))
        ax.scatter(x + jitter, shap_vals, s=12, color=_NEG, alpha=0.7, linewidths=0)
        ax.set_xticks(np.arange(len(shown)), shown, rotation=45 if len(shown) > 5 else 0, ha="right" if len(shown) > 5 else "center")
    ax.axhline(0, color="#555555", lw=0.8)
    ax.set_xlabel(column)
    ax.set_ylabel(f"SHAP value ({_space_label(expl)})")
    ax.set_title(f"Effect of {column} ({_output_title(expl, k)})")
    return fig


def _short(v: Any, width: int = 18) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "(missing)"
    text = f"{v:.4g}" if isinstance(v, (float, np.floating)) else str(v)
    return text if len(text) <= width else text[: width - 1] + "…"


def waterfall(expl: Explanation, i: int = 0, output: Any = 0, max_display: int = 10) -> Figure:
    """From the expected output to this row's output, one column at a time (largest first)."""
    table = expl.row(i, output)
    base, final = table.attrs["base_value"], table.attrs["output_value"]
    shown = table.head(max_display - 1 if len(table) > max_display else max_display)
    labels = [f"{c} = {_short(v)}" for c, v in zip(shown["column"], shown["feature_value"])]
    contrib = shown["contribution"].to_numpy()
    rest = table["contribution"].iloc[len(shown):]
    if len(rest):
        labels.append(f"{len(rest)} other columns")
        contrib = np.append(contrib, rest.sum())
    # bottom-up drawing: the largest contribution at the top, the rest at the bottom
    labels, contrib = labels[::-1], contrib[::-1]
    starts = base + np.concatenate([[0.0], np.cumsum(contrib)[:-1]])
    fig = _figure(8, 0.45 * len(labels) + 1.8)
    ax = fig.add_subplot()
    y = np.arange(len(labels))
    ax.barh(y, contrib, left=starts, color=[_POS if c >= 0 else _NEG for c in contrib], height=0.6)
    span = max(np.ptp(np.concatenate([starts, starts + contrib, [base, final]])), 1e-12)
    for yy, s, c in zip(y, starts, contrib):
        ax.text(s + c + (0.01 * span if c >= 0 else -0.01 * span), yy, f"{c:+.3g}", va="center",
                ha="left" if c >= 0 else "right", fontsize="small")
    ax.axvline(base, color="#777777", lw=0.8, ls="--")
    ax.axvline(final, color="#333333", lw=0.8)
    ax.set_yticks(y, labels)
    ax.set_xlabel(f"{_space_label(expl)}: expected {base:.4g} → this row {final:.4g}")
    ax.set_title(f"Why row {table.attrs['row']!s} gets this prediction ({_output_title(expl, expl.output_position(output))})")
    ax.use_sticky_edges = False  # bars stick the axis to their ends; leave room for the labels
    ax.margins(x=0.15)
    return fig
