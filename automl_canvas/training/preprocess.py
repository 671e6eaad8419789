"""Turning an analyst's table into model input, identically at fit and predict time.

Every decision (which columns, which categories, which fill values) is made in
:meth:`TabularPreprocessor.fit` and pinned on the object, so a prediction made a
year later sees exactly the encoding the model was trained with.  Unseen
categories become ``__other__`` instead of crashing; missing values become
``__missing__`` (categorical) or the training median (numeric).

The output has no missing values and lists categorical columns first, then
numeric ones: this is the shape FLAML's own data transformer would produce, so
the search and our refit see the same data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ValidationError

__all__ = ["MAX_LEVELS", "MISSING", "OTHER", "FeaturePlan", "TabularPreprocessor", "plan_features"]

MISSING = "__missing__"
OTHER = "__other__"
#: Levels kept per categorical column (rarer ones share ``__other__``).  With the
#: two reserved levels this stays within HistGradientBoosting's 255-bin limit.
MAX_LEVELS = 250
_DATE_PARTS = ("year", "month", "day", "dayofweek", "hour")


@dataclass
class FeaturePlan:
    """Which input columns feed the model, as what kind, and which are left out (and why)."""

    kinds: dict[str, str] = field(default_factory=dict)  # column -> numeric|categorical|datetime
    dropped: dict[str, str] = field(default_factory=dict)  # column -> reason

    def to_dict(self) -> dict[str, Any]:
        return {"kinds": dict(self.kinds), "dropped": dict(self.dropped)}


def plan_features(
    profile: dict[str, Any], target: str, excluded: list[str] | tuple[str, ...] = (), sensitive=()
) -> FeaturePlan:
    """Decide each column's role from the dataset profile (one place for that rule)."""
    plan = FeaturePlan()
    for col in profile["columns"]:
        name, sem = col["name"], col["semantic_type"]
        if name == target:
            continue
        if name in excluded:
            plan.dropped[name] = "excluded by you"
        elif name in sensitive:
            plan.dropped[name] = "sensitive: kept aside for the fairness check, not used to predict"
        elif sem == "id":
            plan.dropped[name] = "looks like an identifier"
        elif col.get("n_unique", 2) <= 1:
            plan.dropped[name] = "has a single value"
        elif sem == "text" and not col.get("numeric_coercible"):
            plan.dropped[name] = "free text is not used yet"
        elif sem == "numeric" or col.get("numeric_coercible"):
            plan.kinds[name] = "numeric"
        elif sem == "datetime":
            plan.kinds[name] = "datetime"
        else:  # categorical, boolean
            plan.kinds[name] = "categorical"
    return plan


def _safe_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^0-9A-Za-z_]+", "_", str(name)).strip("_") or "col"
    out, i = base, 1
    while out in taken:
        i += 1
        out = f"{base}_{i}"
    taken.add(out)
    return out


def _as_text(s: pd.Series) -> pd.Series:
    """Values as strings with missing kept missing (True/1/'yes' stay distinguishable)."""
    out = s.astype("object").where(s.notna(), None)
    return out.map(lambda v: None if v is None else str(v))


def _parse_dates(s: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s
    else:
        out = pd.to_datetime(s, errors="coerce", format="mixed", utc=True)
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    return out


def _numeric(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        s = s.astype("float64")
    out = pd.to_numeric(s, errors="coerce").astype("float64")
    return out.replace([np.inf, -np.inf], np.nan)


class TabularPreprocessor:
    """Fit on training rows, then transform any rows with the same columns."""

    def __init__(self, plan: FeaturePlan):
        self.plan = plan
        self.input_columns: list[str] = list(plan.kinds)
        self.categories: dict[str, list[str]] = {}
        self.fill: dict[str, float] = {}
        self.date_parts: dict[str, list[str]] = {}
        self.output_columns: list[str] = []
        #: output column -> input column it came from (for explanations).
        self.source: dict[str, str] = {}
        self.schema: dict[str, dict[str, Any]] = {}
        self._names: dict[tuple[str, str], str] = {}

    # -- fit ---------------------------------------------------------------
    def fit(self, df: pd.DataFrame) -> TabularPreprocessor:
        taken: set[str] = set()
        cats, nums = [], []
        for col, kind in self.plan.kinds.items():
            s = df[col]
            if kind == "categorical":
                text = _as_text(s)
                counts = text.value_counts()
                levels = [str(v) for v in counts.index[:MAX_LEVELS]]
                self.categories[col] = sorted(levels) + [OTHER, MISSING]
                name = _safe_name(col, taken)
                self._names[(col, "")] = name
                cats.append(name)
                self.source[name] = col
                self.schema[col] = {
                    "kind": "categorical",
                    "values": sorted(levels)[:MAX_LEVELS],
                    "most_common": levels[0] if levels else None,
                }
            elif kind == "numeric":
                v = _numeric(s)
                med = float(v.median()) if v.notna().any() else 0.0
                self.fill[col] = med
                name = _safe_name(col, taken)
                self._names[(col, "")] = name
                nums.append(name)
                self.source[name] = col
                self.schema[col] = {
                    "kind": "numeric",
                    "median": med,
                    "min": float(v.min()) if v.notna().any() else None,
                    "max": float(v.max()) if v.notna().any() else None,
                    "integer": bool(v.dropna().eq(v.dropna().round()).all()),
                }
            else:  # datetime
                d = _parse_dates(s)
                parts = [p for p in _DATE_PARTS if p != "hour" or (d.dt.hour.fillna(0) != 0).any()]
                self.date_parts[col] = parts
                for p in parts:
                    vals = getattr(d.dt, p).astype("float64")
                    key = f"{col}__{p}"
                    self.fill[key] = float(vals.median()) if vals.notna().any() else 0.0
                    name = _safe_name(key, taken)
                    self._names[(col, p)] = name
                    nums.append(name)
                    self.source[name] = col
                valid = d.dropna()
                self.schema[col] = {
                    "kind": "datetime",
                    "min": valid.min().isoformat() if len(valid) else None,
                    "max": valid.max().isoformat() if len(valid) else None,
                    "median": valid.median().isoformat() if len(valid) else None,
                }
        self.output_columns = cats + nums
        return self

    # -- transform -----------------------------------------------------------
    def check_columns(self, df: pd.DataFrame) -> None:
        missing = [c for c in self.input_columns if c not in df.columns]
        if missing:
            shown = ", ".join(f"'{c}'" for c in missing[:10])
            more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
            raise ValidationError(
                f"The file is missing {len(missing)} column(s) the model needs: {shown}{more}. "
                "Add them (they may be empty) and try again.",
                details={"missing_columns": missing},
            )

    def transform(self, df: pd.DataFrame) -> pd.DataFrame:
        self.check_columns(df)
        out: dict[str, pd.Series] = {}
        index = df.index
        for col, kind in self.plan.kinds.items():
            s = df[col]
            if kind == "categorical":
                levels = self.categories[col]
                known = set(levels[:-2])
                text = _as_text(s)
                mapped = text.map(lambda v: MISSING if v is None else (v if v in known else OTHER))
                out[self._names[(col, "")]] = pd.Categorical(mapped, categories=levels)
            elif kind == "numeric":
                out[self._names[(col, "")]] = _numeric(s).fillna(self.fill[col])
            else:
                d = _parse_dates(s)
                for p in self.date_parts[col]:
                    vals = getattr(d.dt, p).astype("float64")
                    out[self._names[(col, p)]] = vals.fillna(self.fill[f"{col}__{p}"])
        frame = pd.DataFrame({k: (v.values if isinstance(v, pd.Series) else v) for k, v in out.items()}, index=index)
        return frame[self.output_columns]

    def fit_transform(self, df: pd.DataFrame) -> pd.DataFrame:
        return self.fit(df).transform(df)
