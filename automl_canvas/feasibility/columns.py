"""One column, one simple rule: does any single column already give the answer?

Why every column, including those the leakage probe leaves out of the model:
``old = Age > 40`` is a rule, not a machine-learning problem, and dropping
``Age`` as a "leak" and modelling ``old`` through its proxies made the product
say Go.  So each column of the table (except the target) gets its own simple
rule — a two-level decision tree on that column alone (categories replaced by
their average outcome first), and for a number target also a straight line —
fit on the assessment's *training* rows and scored on its *validation* rows.
The held-out rows the scorecard reports stay untouched, and choosing the best
of many columns on them would flatter the winner.

Scores are in two units: a near-perfect check that reads the same for every
metric (ROC AUC for classes, R² for numbers) and the assessment's own metric as
normalised lift, to compare with the model's.  Each result also says whether the
column looks like an after-the-fact *copy* of the outcome (few values that map
onto the classes, or one outcome sitting on a single value), which together
with the leakage probe's suspicion tells "the data leaks" from "a rule does it".
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from ..training.metrics import MetricInfo, score
from .applicability import normalised_lift

__all__ = ["RULE_MAX_ROWS", "column_rules"]

#: At most this many training rows fit each column's rule (seeded sample): plenty for a 4-leaf tree.
RULE_MAX_ROWS = 50_000
#: Columns kept in the stored measurement (best first).
KEPT = 8
_MISSING = "(missing)"


def _numbers(s: pd.Series) -> np.ndarray | None:
    """A float view of a number, yes/no or date column; None for text and categories."""
    if pd.api.types.is_bool_dtype(s):
        return s.astype("float64").to_numpy()
    if pd.api.types.is_datetime64_any_dtype(s):
        values = s.astype("int64").to_numpy().astype("float64") / 1e9
        return np.where(s.isna().to_numpy(), np.nan, values)
    if pd.api.types.is_numeric_dtype(s):
        values = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
        return np.where(np.isinf(values), np.nan, values)
    return None


def _labels(s: pd.Series) -> np.ndarray:
    return s.astype("string").fillna(_MISSING).to_numpy(dtype=object)


def _is_copy(values: np.ndarray, y: np.ndarray, task: str, x: np.ndarray | None) -> bool:
    """Does the column look like the outcome written down again (not a cause of it)?"""
    if task == "regression":
        if x is None:
            return False
        ok = np.isfinite(x)
        if ok.sum() < 3 or np.std(x[ok]) == 0 or np.std(y[ok]) == 0:
            return False
        return abs(float(np.corrcoef(x[ok], y[ok])[0, 1])) >= 0.99
    n_classes = int(y.max()) + 1
    if len(pd.unique(values)) <= 2 * n_classes:  # e.g. "lost" / "kept" beside "Yes" / "No"
        return True
    for c in range(n_classes):  # e.g. days since leaving: empty or 0 for everyone who stayed
        inside = values[y == c]
        if len(inside) and pd.Series(inside).value_counts(normalize=True).iloc[0] >= 0.95:
            top = pd.Series(inside).value_counts().index[0]
            if np.mean(values[y != c] == top) < 0.05:
                return True
    return False


def _encode(values: np.ndarray, x: np.ndarray | None, y_tr: np.ndarray, tr: np.ndarray, task: str):
    """(feature for the tree, category -> average outcome or None): numbers as they are, categories by outcome."""
    if x is not None:
        return x.reshape(-1, 1), None
    target = y_tr.astype("float64") if task != "multiclass" else (y_tr == np.bincount(y_tr).argmax()).astype("float64")
    means = pd.Series(target).groupby(values[tr]).mean()
    mapped = pd.Series(values).map(means).astype("float64").fillna(float(target.mean())).to_numpy()
    return mapped.reshape(-1, 1), means


def _describe(tree, column: str, means: pd.Series | None, classes: list[Any], task: str) -> str:
    """The rule in words: which values of the column give which answer."""
    t = tree.tree_
    if t.node_count <= 1:
        return f"`{column}` does not split the rows (one answer for all)"
    cuts = sorted({float(v) for f, v in zip(t.feature, t.threshold) if f >= 0})
    edges = [-np.inf, *cuts, np.inf]
    mids = [(a + b) / 2 if np.isfinite(a) and np.isfinite(b) else (b - 1 if np.isfinite(b) else a + 1) for a, b in pairwise(edges)]
    outs = tree.predict(np.asarray(mids).reshape(-1, 1))
    if task == "regression":
        answers = [f"{v:.4g}" for v in outs]
    else:
        answers = [repr(classes[int(v)]) if classes else str(int(v)) for v in outs]
    parts = []
    for i, answer in enumerate(answers):  # merge neighbouring ranges with the same answer
        if parts and parts[-1][2] == answer:
            parts[-1][1] = edges[i + 1]
        else:
            parts.append([edges[i], edges[i + 1], answer])
    if means is not None:
        groups = []
        for lo, hi, answer in parts:
            names = [str(k) for k, v in means.items() if lo < v <= hi]
            shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
            groups.append(f"`{column}` in {{{shown}}} → {answer}")
        return "; ".join(groups)
    words = []
    for lo, hi, answer in parts:
        if not np.isfinite(lo):
            words.append(f"`{column}` up to {hi:.4g} → {answer}")
        elif not np.isfinite(hi):
            words.append(f"above {lo:.4g} → {answer}")
        else:
            words.append(f"{lo:.4g} to {hi:.4g} → {answer}")
    return "; ".join(words)


def _check(task: str, y_va: np.ndarray, proba: np.ndarray | None, pred: np.ndarray) -> float:
    """The near-perfect unit: ROC AUC (one-vs-rest for several classes) or R²."""
    from sklearn.metrics import r2_score, roc_auc_score

    try:
        if task == "regression":
            return float(r2_score(y_va, pred))
        if task == "binary":
            return float(roc_auc_score(y_va, proba[:, 1]))
        return float(roc_auc_score(y_va, proba, multi_class="ovr", labels=list(range(proba.shape[1]))))
    except ValueError:  # an outcome absent from the validation rows
        return float("nan")


def column_rules(X_raw: pd.DataFrame, y: np.ndarray, task: str, metric: MetricInfo, train_idx: np.ndarray,
                 val_idx: np.ndarray, *, classes: list[Any], suspects: list[str], used: list[str],
                 seed: int) -> dict[str, Any]:
    """The best simple rule of each column (train rows -> validation rows), best first."""
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    rng = np.random.default_rng(seed)
    tr = np.sort(rng.choice(train_idx, RULE_MAX_ROWS, replace=False)) if len(train_idx) > RULE_MAX_ROWS else train_idx
    y_tr, y_va = y[tr], y[val_idx]
    leaf = max(5, len(tr) // 200)
    if task == "regression":
        prior = None
        base_pred = np.full(len(y_va), float(y_tr.mean()))
        baseline = score(task, metric.name, y_va, None, base_pred)
    else:
        k = int(y.max()) + 1
        prior = np.bincount(y_tr, minlength=k) / len(y_tr)
        base_proba = np.tile(prior, (len(y_va), 1))
        baseline = score(task, metric.name, y_va, base_proba, base_proba.argmax(axis=1))
    results = []
    for column in X_raw.columns:
        s = X_raw[column]
        x, values = _numbers(s), _labels(s)
        if len(pd.unique(values[tr])) < 2:
            continue
        feature, means = _encode(values, x, y_tr, tr, task)
        cls = DecisionTreeRegressor if task == "regression" else DecisionTreeClassifier
        tree = cls(max_depth=2, min_samples_leaf=leaf, random_state=seed).fit(feature[tr], y_tr)
        kind, description = "two-level decision tree", _describe(tree, column, means, classes, task)
        if task == "regression":
            proba, pred = None, tree.predict(feature[val_idx])
            check = _check(task, y_va, None, pred)
            ok = np.isfinite(feature[tr, 0])
            if x is not None and ok.sum() >= 3 and np.std(feature[tr, 0][ok]) > 0:
                slope, intercept = np.polyfit(feature[tr, 0][ok], y_tr[ok], 1)
                line = np.where(np.isfinite(feature[val_idx, 0]), slope * feature[val_idx, 0] + intercept, y_tr.mean())
                line_check = _check(task, y_va, None, line)
                if line_check > check:
                    pred, check, kind = line, line_check, "straight line"
                    description = f"{slope:.4g} × `{column}` + {intercept:.4g}"
        else:
            proba = np.asarray(tree.predict_proba(feature[val_idx]), dtype="float64")
            proba = 0.99 * proba + 0.01 * prior  # a pure leaf would make log loss infinite
            pred = proba.argmax(axis=1)
            check = _check(task, y_va, proba, pred)
        try:
            value = score(task, metric.name, y_va, proba, pred)
        except ValueError:
            value = float("nan")
        fit_rows = np.concatenate([tr, val_idx])
        results.append({
            "column": column, "kind": kind, "description": description,
            "check": check, "check_label": "R²" if task == "regression" else "ROC AUC",
            "score": value, "normalised": normalised_lift(metric, value, baseline),
            "leak_suspect": column in suspects, "copy_like": _is_copy(values[fit_rows], y[fit_rows], task,
                                                                       None if x is None else x[fit_rows]),
            "used_by_model": column in used,
        })
    results.sort(key=lambda r: -r["check"] if np.isfinite(r["check"]) else np.inf)
    return {"checked": len(results), "train_rows": len(tr), "validation_rows": len(val_idx),
            "metric": metric.name, "baseline": baseline, "columns": results[:KEPT]}
