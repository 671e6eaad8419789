"""The leakage probe itself (pure): which columns give the answer away for one target.

It fits small models (one depth-5 tree per column, out of fold), so it is the one expensive part of a
target check.  What it flags: a column that on its own predicts the target almost perfectly (balanced
accuracy >= 0.97, or R² >= 0.95, out of fold), and, for a number target, pairs of columns that add up
exactly to it.  Each suspect comes with a plain reason that the training plan reuses when it leaves the
column out.  The stored record per (dataset, target) is ``leakage.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .profile_types import _SAMPLE, Finding, _Col, _numeric_values, _pct

__all__ = ["PROBE_VERSION", "ProbeResult", "run_probe"]

#: Bumped when the probe's rules change, so records made by older rules are recomputed, not trusted.
PROBE_VERSION = 1
_LEAK_CLASSIFICATION = 0.97  # balanced accuracy of one feature alone
_LEAK_REGRESSION = 0.95  # R² of one feature alone
_FIX = ("If you will really know it at the moment you make a prediction, put it back on the Build page "
        "(advanced settings) and say why: the reviewer sees your reason.")


@dataclass
class ProbeResult:
    """Findings, suspect columns (in column order) and a plain reason per suspect."""

    findings: list[Finding] = field(default_factory=list)
    suspects: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- the probe (pure)
def _fold_ids(y: np.ndarray, classification: bool, seed: int) -> np.ndarray:
    from sklearn.model_selection import KFold, StratifiedKFold

    counts = np.bincount(y) if classification else None
    splitter = (StratifiedKFold(3, shuffle=True, random_state=seed) if classification and counts.min() >= 3
                else KFold(3, shuffle=True, random_state=seed))
    folds = np.empty(len(y), dtype=int)
    for i, (_, test) in enumerate(splitter.split(np.zeros(len(y)), y if classification else None)):
        folds[test] = i
    return folds


def _oof_tree(x: np.ndarray, y: np.ndarray, folds: np.ndarray, classification: bool, seed: int) -> np.ndarray:
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    model = (DecisionTreeClassifier if classification else DecisionTreeRegressor)(
        max_depth=5, min_samples_leaf=5, random_state=seed)
    pred = np.empty(len(y), dtype=float)
    for k in range(3):
        test = folds == k
        pred[test] = model.fit(x[~test, None], y[~test]).predict(x[test, None])
    return pred


def _oof_categories(codes: np.ndarray, y: np.ndarray, folds: np.ndarray, classification: bool) -> np.ndarray:
    """Out-of-fold prediction by each category's majority class (or mean); unseen categories get the fold's."""
    codes = codes + 1  # missing (-1) becomes its own category 0
    n_codes = int(codes.max()) + 1
    pred = np.empty(len(y), dtype=float)
    for k in range(3):
        test, train = folds == k, folds != k
        if classification:
            table = np.zeros((n_codes, int(y.max()) + 1))
            np.add.at(table, (codes[train], y[train]), 1)
            lookup = np.where(table.sum(1) > 0, table.argmax(1), np.bincount(y[train]).argmax())
        else:
            counts = np.bincount(codes[train], minlength=n_codes)
            sums = np.bincount(codes[train], weights=y[train], minlength=n_codes)
            lookup = np.where(counts > 0, sums / np.maximum(counts, 1), y[train].mean())
        pred[test] = lookup[codes[test]]
    return pred


def _exact_sums(names: list[str], X: np.ndarray, y: np.ndarray) -> list[tuple[str, str, float]]:
    """Pairs of columns whose sum equals the target on >= 99% of rows."""
    if X.shape[1] > 100:  # keep the pairwise search small: the 100 columns most correlated with the target
        with np.errstate(all="ignore"):
            corr = np.nan_to_num(np.abs([np.corrcoef(np.nan_to_num(X[:, j]), y)[0, 1] for j in range(X.shape[1])]))
        keep = np.sort(np.argsort(-corr)[:100])
        names, X = [names[j] for j in keep], X[:, keep]
    tol = 1e-6 * max(1.0, float(np.nanmax(np.abs(y))))
    mostly_zero = (np.abs(X) <= tol).mean(axis=0) >= 0.99  # x + 0 == y is a copy, not a sum
    pairs = []
    for i in np.flatnonzero(~mostly_zero):
        with np.errstate(invalid="ignore"):
            share = (np.abs(X - (y - X[:, i])[:, None]) <= tol).mean(axis=0)
        for j in np.flatnonzero((share >= 0.99) & ~mostly_zero):
            if j > i:
                pairs.append((names[i], names[int(j)], float(share[j])))
    return pairs


def _sample_rows(df: pd.DataFrame, target: str, classification: bool, cols: dict[str, _Col], n_candidates: int,
                 seed: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The rows the probe looks at (<= 5,000 labelled ones) and the target there as numbers, or None."""
    y_raw = df[target]
    if classification:
        valid = y_raw.notna().to_numpy()
    else:
        y_num = cols[target].numeric if cols[target].numeric is not None else \
            _numeric_values(pd.to_numeric(y_raw, errors="coerce"))
        valid = np.isfinite(y_num)
    idx = np.flatnonzero(valid)
    if len(idx) < 30 or not n_candidates:
        return None
    n_sample = min(len(idx), _SAMPLE, max(1_000, 400_000 // n_candidates))
    rows = np.sort(np.random.default_rng(seed).choice(idx, n_sample, replace=False))
    if classification:
        y = pd.factorize(y_raw.iloc[rows])[0]
        return None if y.max() < 1 else (rows, y)
    y = y_num[rows]
    return None if np.nanstd(y) == 0 else (rows, y)


def run_probe(df: pd.DataFrame, target: str, task: str, cols: dict[str, _Col], seed: int) -> ProbeResult:
    """Probe every usable column of ``df`` against ``target`` (``cols``: the profiler's per-column views)."""
    classification = task != "regression"
    candidates = [n for n, c in cols.items() if n != target and not c.skip_leakage]
    sampled = _sample_rows(df, target, classification, cols, len(candidates), seed)
    if sampled is None:
        return ProbeResult()
    rows, y = sampled
    folds = _fold_ids(y, classification, seed)
    out = ProbeResult()
    if not classification:
        names = [n for n in candidates if cols[n].numeric is not None and cols[n].profile.semantic_type != "datetime"]
        if names:
            X = np.column_stack([cols[n].numeric[rows] for n in names])
            for a, b, share in _exact_sums(names, X, y):
                for col, other in ((a, b), (b, a)):
                    if col in out.reasons:
                        continue
                    out.reasons[col] = (f"adds up with `{other}` exactly to `{target}` in {_pct(share)} of rows: "
                                        "together they give the answer away")
                    out.findings.append(Finding(
                        "leakage", "warning", f"`{a}` and `{b}` add up exactly to the target `{target}` in "
                        f"{_pct(share)} of rows, so together they give the answer away; `{col}` will be left out "
                        "of the model.", _FIX, col, share))
    from sklearn.metrics import balanced_accuracy_score, r2_score

    for name in candidates:
        if name in out.reasons:
            continue
        col = cols[name]
        if col.numeric is not None:
            x = col.numeric[rows]
            if np.isnan(x).all():
                continue
            pred = _oof_tree(np.where(np.isinf(x), np.nan, x), y, folds, classification, seed)
        else:
            codes = pd.factorize(df[name].iloc[rows])[0]
            pred = _oof_categories(codes, y, folds, classification)
        if classification:
            score, label, threshold = balanced_accuracy_score(y, pred.astype(int)), "balanced accuracy", \
                _LEAK_CLASSIFICATION
        else:
            score, label, threshold = r2_score(y, pred), "R²", _LEAK_REGRESSION
        if score >= threshold:
            out.reasons[name] = (f"predicts `{target}` almost perfectly on its own: it is probably only known after "
                                 "the fact, or computed from the answer")
            out.findings.append(Finding(
                "leakage", "warning", f"`{name}` predicts `{target}` almost perfectly on its own ({label} "
                f"{score:.2f}): it is probably only known after the fact, or computed from the answer, so it will "
                "be left out of the model.", _FIX, name, round(float(score), 4)))
    order = {n: i for i, n in enumerate(cols)}
    out.suspects = sorted(out.reasons, key=order.get)
    return out
