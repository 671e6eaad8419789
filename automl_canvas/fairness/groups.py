"""Turn sensitive columns into explicit, ordered groups (no fairlearn here).

Why this is its own step: fairlearn groups rows by whatever values it is given,
and older versions silently mishandle missing values (NaN is not equal to
itself, so missing rows vanish or split into many groups).  Here every row gets
a readable group label before any metric is computed:

* missing values (NaN, None, empty or blank text) become the explicit group
  ``"(missing)"``, always listed last;
* numeric columns with more than ``n_bins`` distinct values are cut into
  quantile bands labelled by the values they actually hold ("21–34");
* categorical columns with more than ``max_groups`` values are refused, since a
  per-group comparison over hundreds of tiny groups is noise;
* pairs of columns are crossed into intersections ("female & 18–29").

The same encoding is reused at prediction time by mitigated models, so a
threshold learned for a group is applied to exactly that group.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ValidationError

__all__ = [
    "MISSING",
    "GroupedFeature",
    "encode_column",
    "encode_sensitive",
    "format_number",
    "intersect",
    "labels_for",
    "missing_mask",
]

#: Label of the explicit group of rows whose sensitive value is missing.
MISSING = "(missing)"
#: Separator of the parts of an intersection label ("female & 18–29").
AND = " & "
#: Separator of column names in an intersection's name ("gender × age").
CROSS = " × "


@dataclass
class GroupedFeature:
    """One sensitive column (or intersection) as integer group codes and labels."""

    name: str
    kind: str  # "categorical" | "numeric_bands" | "intersection"
    columns: list[str]
    codes: np.ndarray  # int64, one per row, 0..len(labels)-1
    labels: list[str]  # group labels in display order
    #: numeric bands only: internal cut points (a value v goes to band searchsorted(cuts, v)).
    cuts: list[float] | None = None
    #: numeric bands only: label -> [lowest, highest] value observed in the band.
    band_ranges: dict[str, list[float]] = field(default_factory=dict)

    @property
    def n_groups(self) -> int:
        return len(self.labels)

    def label_array(self) -> np.ndarray:
        return np.asarray(self.labels, dtype=object)[self.codes]


def missing_mask(values: pd.Series) -> np.ndarray:
    """True where a value is missing: NaN/None/NA, or text that is empty or blank."""
    mask = values.isna().to_numpy(dtype=bool).copy()
    if not pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        text = values.astype("string")
        mask |= text.str.strip().fillna("").eq("").to_numpy(dtype=bool)
    return mask


def format_number(x: float, digits: int = 3) -> str:
    """Readable number: integers as integers (thousands separated from 10,000), others to ``digits`` significant digits."""
    x = float(x)
    if np.isfinite(x) and x == round(x) and abs(x) < 1e15:
        return f"{round(x):,}" if abs(x) >= 10_000 else str(round(x))
    if abs(x) >= 10 ** digits:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def _category_label(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return format_number(value, 6)
    return str(value).strip()


def _sort_key_values(values: list[Any]) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=lambda v: str(v).casefold())


def _is_banded(values: pd.Series, n_bins: int) -> bool:
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return False
    return values.dropna().nunique() > n_bins


def _band_cuts(x: np.ndarray, n_bins: int) -> np.ndarray:
    """Internal cut points at the quantiles of ``x`` (observed values, duplicates dropped)."""
    qs = np.quantile(x, np.linspace(0, 1, n_bins + 1)[1:-1], method="inverted_cdf")
    cuts = np.unique(qs)
    return cuts[cuts < x.max()]  # a cut at the maximum would leave the last band empty


def _range_labels(lows: list[float], highs: list[float]) -> list[str]:
    """'lo–hi' labels, with enough digits that no two bands read the same."""
    for digits in range(3, 10):
        labels = [
            format_number(lo, digits) if lo == hi else f"{format_number(lo, digits)}–{format_number(hi, digits)}"
            for lo, hi in zip(lows, highs)
        ]
        if len(set(labels)) == len(labels):
            return labels
    return [f"band {i + 1}" for i in range(len(lows))]


def _encode_bands(name: str, values: pd.Series, missing: np.ndarray, n_bins: int) -> GroupedFeature:
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
    present = ~missing & np.isfinite(x)
    xs = x[present]
    cuts = _band_cuts(xs, n_bins)
    # every band is non-empty: each cut is an observed value and the last cut is below the maximum
    band = np.searchsorted(cuts, xs, side="left")
    lows = [float(xs[band == b].min()) for b in range(len(cuts) + 1)]
    highs = [float(xs[band == b].max()) for b in range(len(cuts) + 1)]
    labels = _range_labels(lows, highs)
    codes = np.empty(len(x), dtype=np.int64)
    codes[present] = band
    if (~present).any():
        codes[~present] = len(labels)
        labels = [*labels, MISSING]
    ranges = {lab: [lo, hi] for lab, lo, hi in zip(labels, lows, highs)}
    return GroupedFeature(name, "numeric_bands", [name], codes, labels, [float(c) for c in cuts], ranges)


def encode_column(values: pd.Series, *, name: str, n_bins: int = 4, max_groups: int = 50) -> GroupedFeature:
    """Group labels for one sensitive column (see the module docstring for the rules)."""
    missing = missing_mask(values)
    if _is_banded(values, n_bins):
        return _encode_bands(name, values, missing, n_bins)
    present = values[~missing]
    if isinstance(values.dtype, pd.CategoricalDtype):  # the data's own order (e.g. an ordinal scale)
        seen = set(present.tolist())
        raw = [c for c in values.cat.categories.tolist() if c in seen]
    else:
        raw = _sort_key_values(pd.unique(present).tolist())
    labels: list[str] = []
    for v in raw:  # two raw values can print the same (1 and "1"): they are one group
        lab = _category_label(v)
        if lab not in labels:
            labels.append(lab)
    if len(labels) > max_groups:
        examples = ", ".join(repr(v) for v in labels[:5])
        raise ValidationError(
            f"The sensitive column '{name}' has {len(labels)} distinct values ({examples}, …), more than the limit of "
            f"{max_groups}: a comparison over that many small groups is mostly noise. Group rare values together "
            f"(for example into 'other'), bin the column, or raise max_groups.",
            details={"column": name, "distinct_values": len(labels), "max_groups": max_groups},
        )
    lookup = {lab: i for i, lab in enumerate(labels)}
    codes = np.full(len(values), len(labels), dtype=np.int64)
    if len(present):
        codes[~missing] = np.asarray([lookup[_category_label(v)] for v in present.tolist()], dtype=np.int64)
    if missing.any():
        labels = [*labels, MISSING]
    return GroupedFeature(name, "categorical", [name], codes, labels)


def intersect(a: GroupedFeature, b: GroupedFeature) -> GroupedFeature:
    """The observed combinations of two features, ordered by a's groups then b's."""
    combined = a.codes * b.n_groups + b.codes
    uniq, codes = np.unique(combined, return_inverse=True)
    labels = [f"{a.labels[u // b.n_groups]}{AND}{b.labels[u % b.n_groups]}" for u in uniq.tolist()]
    return GroupedFeature(f"{a.name}{CROSS}{b.name}", "intersection", [*a.columns, *b.columns], codes.astype(np.int64), labels)


def _unknown_columns(wanted: list[str], available: list[str]) -> ValidationError:
    parts = []
    for name in wanted:
        close = difflib.get_close_matches(str(name), [str(c) for c in available], n=1)
        parts.append(f"'{name}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    return ValidationError(
        f"Sensitive column{'s' if len(wanted) > 1 else ''} {', '.join(parts)} not found in the data; "
        f"available columns: {', '.join(map(str, available)) or 'none'}.",
        details={"missing_columns": list(wanted)},
    )


def encode_sensitive(
    frame: pd.DataFrame,
    columns: list[str] | None = None,
    *,
    n_bins: int = 4,
    max_groups: int = 50,
    intersections: bool = True,
) -> list[GroupedFeature]:
    """Every column of ``frame`` (or the named ``columns``), then each pairwise intersection.

    Everything is checked before anything is returned, so a bad column never
    leaves a half-built report behind.
    """
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError("The sensitive features must be a pandas DataFrame with one column per sensitive attribute.")
    if n_bins < 2:
        raise ValidationError(f"n_bins must be at least 2 to band a numeric column, got {n_bins}.")
    names = list(frame.columns) if columns is None else list(columns)
    if not names:
        raise ValidationError("No sensitive column was given: a fairness report needs at least one (for example 'gender').")
    absent = [c for c in names if c not in frame.columns]
    if absent:
        raise _unknown_columns(absent, list(frame.columns))
    if len(set(names)) != len(names):
        raise ValidationError(f"Sensitive columns are listed more than once: {', '.join(map(str, names))}.")
    features = [encode_column(frame[c], name=str(c), n_bins=n_bins, max_groups=max_groups) for c in names]
    if intersections and len(features) > 1:
        features += [intersect(a, b) for a, b in combinations(features[: len(names)], 2)]
    return features


def labels_for(values: pd.Series, feature: GroupedFeature) -> np.ndarray:
    """Group labels of new rows under an existing single-column encoding (prediction time).

    Categories are labelled as at fit time (a value never seen keeps its own
    label, so callers can refuse it); numbers use the stored band cuts.
    """
    missing = missing_mask(values)
    out = np.empty(len(values), dtype=object)
    out[missing] = MISSING
    if feature.kind == "numeric_bands":
        x = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
        bad = ~missing & ~np.isfinite(x)
        band = np.searchsorted(np.asarray(feature.cuts or [], dtype="float64"), x, side="left")
        band_labels = np.asarray([lab for lab in feature.labels if lab != MISSING], dtype=object)
        ok = ~missing & ~bad
        out[ok] = band_labels[np.minimum(band[ok], len(band_labels) - 1)]
        out[bad] = [str(v) for v in values[bad].tolist()]
        return out
    present = values[~missing].tolist()
    out[~missing] = [_category_label(v) for v in present]
    return out
