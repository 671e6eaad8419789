"""Drift between the training data and what production sends: plain numbers in, plain results out.

Per feature, two complementary measures (as SageMaker Model Monitor and
Evidently do):

- **Population stability index** over bins fixed by the reference: numeric
  values in ten quantile bins of the training data, categories as the twenty
  most frequent training values plus "(other)"; missing values are a bin of
  their own, so a feature that suddenly arrives empty drifts too.  PSI says
  *how much* the distribution moved (0.1: a little, 0.2+: a lot) and does not
  grow with the sample size.
- **A distribution test**: two-sample Kolmogorov-Smirnov for numbers,
  chi-square on the binned counts for categories.  With 100k rows any tiny
  shift is "significant", so the test alone would cry wolf; a feature is
  flagged only when PSI crosses its threshold *and* the test rejects.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["DriftResult", "categorical_drift", "numeric_drift", "psi", "to_numeric"]

_EPS = 1e-4
MISSING, OTHER = "(missing)", "(other)"


@dataclass
class DriftResult:
    kind: str  # numeric | categorical
    psi: float
    test: str
    statistic: float
    p_value: float
    n_reference: int
    n_live: int
    drifted: bool = False
    #: The binned distributions, for charts: [{"bin": label, "reference": share, "live": share}]
    bins: list[dict[str, Any]] = field(default_factory=list)

    def judge(self, psi_threshold: float, p_value: float) -> DriftResult:
        self.drifted = bool(self.psi >= psi_threshold and self.p_value < p_value)
        return self

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["psi"], out["statistic"] = round(self.psi, 6), round(self.statistic, 6)
        out["p_value"] = float(f"{self.p_value:.6g}")
        return out


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index of two count (or share) vectors over the same bins."""
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    e = np.clip(e / max(e.sum(), 1.0), _EPS, None)
    a = np.clip(a / max(a.sum(), 1.0), _EPS, None)
    return float(np.sum((a - e) * np.log(a / e)))


def to_numeric(values: pd.Series | np.ndarray, kind: str = "numeric") -> np.ndarray:
    """Floats with NaN for missing; dates become seconds since 1970."""
    s = pd.Series(values)
    if kind == "datetime":
        parsed = pd.to_datetime(s, errors="coerce", utc=True, format="mixed")
        # Division by a Timedelta, not astype(int64): pandas 3 keeps s/ms/us resolutions, not always ns.
        return ((parsed - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)).to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)


def _shares(counts: np.ndarray) -> np.ndarray:
    return counts / max(counts.sum(), 1)


def numeric_drift(reference: np.ndarray, live: np.ndarray, bins: int = 10) -> DriftResult:
    ref, cur = np.asarray(reference, dtype=float), np.asarray(live, dtype=float)
    ref_ok, cur_ok = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
    edges = np.unique(np.quantile(ref_ok, np.linspace(0, 1, bins + 1)[1:-1])) if len(ref_ok) else np.array([])
    ref_counts = np.bincount(np.searchsorted(edges, ref_ok, side="right"), minlength=len(edges) + 1)
    cur_counts = np.bincount(np.searchsorted(edges, cur_ok, side="right"), minlength=len(edges) + 1)
    ref_all = np.append(ref_counts, len(ref) - len(ref_ok))
    cur_all = np.append(cur_counts, len(cur) - len(cur_ok))
    if len(ref_ok) and len(cur_ok):
        ks = stats.ks_2samp(ref_ok, cur_ok)
        statistic, p = float(ks.statistic), float(ks.pvalue)
    else:
        statistic, p = 0.0, 1.0
    missing_p = _missing_test(ref_all[-1], len(ref), cur_all[-1], len(cur))
    labels = _edge_labels(edges) + [MISSING]
    return DriftResult("numeric", psi(ref_all, cur_all), "kolmogorov_smirnov", statistic, min(p, missing_p),
                       len(ref), len(cur), bins=_bins(labels, ref_all, cur_all))


def _missing_test(ref_missing: int, n_ref: int, cur_missing: int, n_cur: int) -> float:
    """A column that starts arriving empty has drifted even if its present values look the same."""
    if not n_ref or not n_cur or (ref_missing == 0 and cur_missing == 0):
        return 1.0
    table = np.array([[ref_missing, n_ref - ref_missing], [cur_missing, n_cur - cur_missing]])
    if (table.sum(axis=0) == 0).any():
        return 1.0
    return float(stats.chi2_contingency(table)[1])


def _edge_labels(edges: np.ndarray) -> list[str]:
    if not len(edges):
        return ["all values"]
    f = [f"{x:.4g}" for x in edges]
    return [f"< {f[0]}"] + [f"{a} to {b}" for a, b in pairwise(f)] + [f">= {f[-1]}"]


def _bins(labels: list[str], ref: np.ndarray, cur: np.ndarray) -> list[dict[str, Any]]:
    r, c = _shares(ref), _shares(cur)
    return [{"bin": lab, "reference": round(float(a), 4), "live": round(float(b), 4)} for lab, a, b in zip(labels, r, c)]


def _labels(values) -> pd.Series:
    s = pd.Series(values, dtype=object).reset_index(drop=True)
    return s.astype(str).where(s.notna(), MISSING)


def categorical_drift(reference: pd.Series, live: pd.Series, top: int = 20) -> DriftResult:
    ref, cur = _labels(reference), _labels(live)
    kept = [c for c in ref[ref != MISSING].value_counts().index[:top]]
    labels = kept + [OTHER, MISSING]
    index = {c: i for i, c in enumerate(kept)}

    def counts(s: pd.Series) -> np.ndarray:
        codes = s.map(index).fillna(len(kept)).to_numpy(dtype=int).copy()  # copy-on-write arrays are read-only
        codes[(s == MISSING).to_numpy()] = len(kept) + 1
        return np.bincount(codes, minlength=len(labels))

    ref_counts, cur_counts = counts(ref), counts(cur)
    table = np.vstack([ref_counts, cur_counts])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] >= 2 and len(ref) and len(cur):
        chi = stats.chi2_contingency(table)
        statistic, p = float(chi[0]), float(chi[1])
    else:
        statistic, p = 0.0, 1.0
    return DriftResult("categorical", psi(ref_counts, cur_counts), "chi_square", statistic, p, len(ref), len(cur),
                       bins=_bins(labels, ref_counts, cur_counts))
