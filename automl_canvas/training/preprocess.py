"""Turning an analyst's table into model input, identically at fit and predict time.

Every decision (which columns, which categories, which fill values) is made in
:meth:`TabularPreprocessor.fit` and pinned on the object, so a prediction made a
year later sees exactly the encoding the model was trained with.  Unseen
categories become ``__other__`` instead of crashing; missing values become
``__other__`` too (categorical; see ``MISSING_READ_AS``) or the training median (numeric).

The output has no missing values and lists categorical columns first, then
numeric ones: this is the shape FLAML's own data transformer would produce, so
the search and our refit see the same data.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from ..datasets.profiling import id_reason
from ..errors import ValidationError

__all__ = ["MAX_LEVELS", "MISSING", "OTHER", "FeaturePlan", "TabularPreprocessor", "left_out_sentence", "parse_date",
           "plan_features"]

MISSING = "__missing__"
OTHER = "__other__"
#: Levels kept per categorical column (rarer ones share ``__other__``).  With the
#: two reserved levels this stays within HistGradientBoosting's 255-bin limit.
MAX_LEVELS = 250
_DATE_PARTS = ("year", "month", "day", "dayofweek", "hour")
#: The level a missing category value is encoded as.  Every model so far was trained with missing
#: values read as ``__other__`` (pandas 3's ``Series.map`` turned the None meant for ``__missing__``
#: into NaN whenever the column also had values), so that is what prediction must do too; a model that
#: keeps missing apart needs a versioned preprocessor.
MISSING_READ_AS = OTHER
#: Frames up to this many rows (predict requests, what-if rows) take the value-by-value path.
SMALL_ROWS = 64


@dataclass
class FeaturePlan:
    """Which input columns feed the model, as what kind, and which are left out (and why)."""

    kinds: dict[str, str] = field(default_factory=dict)  # column -> numeric|categorical|datetime
    dropped: dict[str, str] = field(default_factory=dict)  # column -> reason
    #: Columns the product would leave out (an ID, a suspected leak) that the analyst put back -> their reason.
    kept: dict[str, str] = field(default_factory=dict)
    #: Every suspected leak for the target -> why it is suspected (whether it was left out or put back).
    leakage: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        # getattr: plans pickled inside older model artifacts have no kept/leakage attributes
        return {"kinds": dict(self.kinds), "dropped": dict(self.dropped), "kept": dict(getattr(self, "kept", {})),
                "leakage": dict(getattr(self, "leakage", {}))}


def plan_features(
    profile: dict[str, Any], target: str, excluded: list[str] | tuple[str, ...] = (), sensitive=(), *,
    leaks: dict[str, str] | None = None, keep: dict[str, str] | None = None,
) -> FeaturePlan:
    """Decide each column's role from the dataset profile (one place for that rule).

    ``leaks``: suspected leaks for ``target`` -> reason (from the leakage probe); they are left out
    like ID-like columns, unless ``keep`` (column -> the analyst's reason) puts them back.  Why
    leaving out is the default: a leak makes a model look perfect in testing and fail in use, while
    leaving out a harmless column costs little.
    """
    plan = FeaturePlan()
    leaks, keep = leaks or {}, keep or {}
    for col in profile["columns"]:
        name, sem = col["name"], col["semantic_type"]
        if name == target:
            continue
        if name in leaks:
            plan.leakage[name] = leaks[name]
        if name in excluded:
            plan.dropped[name] = "excluded by you"
        elif name in sensitive:
            plan.dropped[name] = "sensitive: kept aside for the fairness check, not used to predict"
        elif name in leaks and name not in keep:
            plan.dropped[name] = leaks[name]
        elif sem == "id" and name not in keep:
            plan.dropped[name] = id_reason(col)
        elif col.get("n_unique", 2) <= 1:
            plan.dropped[name] = "has a single value"
        elif sem == "text" and not col.get("numeric_coercible"):
            plan.dropped[name] = "free text is not used yet"
        elif sem == "numeric" or col.get("numeric_coercible") or (sem == "id" and "mean" in (col.get("stats") or {})):
            plan.kinds[name] = "numeric"
        elif sem == "datetime":
            plan.kinds[name] = "datetime"
        else:  # categorical, boolean, and an ID-like text column put back
            plan.kinds[name] = "categorical"
        if name in keep and name in plan.kinds and (name in leaks or sem == "id"):
            plan.kept[name] = keep[name]
    return plan


def left_out_sentence(column: str, reason: str) -> str:
    """One plain sentence for a column the product left out ("`EmployeeNumber` has ... like an ID, so it was left out.")."""
    return f"`{column}` {reason}, so it was left out."


def _safe_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^0-9A-Za-z_]+", "_", str(name)).strip("_") or "col"
    out, i = base, 1
    while out in taken:
        i += 1
        out = f"{base}_{i}"
    taken.add(out)
    return out


def _as_text(s: pd.Series) -> pd.Series:
    """Values as strings with missing kept missing (True/1/'yes' stay distinguishable); a missing value may
    come out as None or NaN (``Series.map`` infers the result's dtype), so readers test with ``_is_missing``."""
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


#: ISO 8601 dates and times that ``datetime.fromisoformat`` and pandas read the same way.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?(?:Z|[+-]\d{2}:\d{2})?")


def parse_date(value: Any) -> pd.Timestamp | None:
    """One value by :func:`_parse_dates`' rule (parsed as UTC, then naive); unreadable -> None.

    For one record at a time (the predict hot path, record checks): pandas parses a scalar in ~0.3 ms, and a
    one-record request paid that twice per date column.  ISO strings go through ``datetime.fromisoformat``
    (microseconds; the pattern admits only forms both read alike) and every string is cached, so repeated
    dates cost a lookup; anything else takes pandas' own parser, so the frame path and this one agree."""
    if isinstance(value, str):
        return _parse_date_text(value)
    return _pandas_date(value)


@functools.lru_cache(maxsize=4096)
def _parse_date_text(value: str) -> pd.Timestamp | None:
    if _ISO_DATE.fullmatch(value):
        try:
            dt = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
        except ValueError:
            return None  # e.g. 2024-02-30: pandas coerces it to NaT too
        if dt.tzinfo is not None:
            dt = dt.astimezone(UTC).replace(tzinfo=None)
        return pd.Timestamp(dt)
    return _pandas_date(value)


def _pandas_date(value: Any) -> pd.Timestamp | None:
    ts = pd.to_datetime(value, errors="coerce", format="mixed", utc=True)
    if ts is pd.NaT or ts is None or (isinstance(ts, float) and ts != ts):
        return None
    return ts.tz_convert("UTC").tz_localize(None)


def _is_missing(v: Any) -> bool:
    """What ``Series.notna`` calls missing, for one value (None, NaN, NaT, pd.NA)."""
    if v is None or isinstance(v, str):
        return v is None
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):  # a list-like value is not missing
        return False


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
        if len(df) <= SMALL_ROWS:
            return self._transform_small(df)
        return self._transform_frame(df)

    def _transform_frame(self, df: pd.DataFrame) -> pd.DataFrame:
        out: dict[str, Any] = {}
        for col, kind in self.plan.kinds.items():
            out.update(self._transform_frame_columns(df, col, kind))
        frame = pd.DataFrame({k: (v.values if isinstance(v, pd.Series) else v) for k, v in out.items()}, index=df.index)
        return frame[self.output_columns]

    def _transform_frame_columns(self, df: pd.DataFrame, col: str, kind: str) -> dict[str, Any]:
        """Output column(s) of one input column, vectorised over the frame."""
        s = df[col]
        if kind == "categorical":
            levels = self.categories[col]
            known = set(levels[:-2])
            mapped = [MISSING_READ_AS if _is_missing(v) else (v if v in known else OTHER) for v in _as_text(s).tolist()]
            return {self._names[(col, "")]: pd.Categorical(mapped, categories=levels)}
        if kind == "numeric":
            return {self._names[(col, "")]: _numeric(s).fillna(self.fill[col])}
        d = _parse_dates(s)
        return {self._names[(col, p)]: getattr(d.dt, p).astype("float64").fillna(self.fill[f"{col}__{p}"])
                for p in self.date_parts[col]}

    def _transform_small(self, df: pd.DataFrame) -> pd.DataFrame:
        """The same encoding as :meth:`_transform_frame`, value by value in Python.

        Why: for the few rows of a predict request, pandas' per-column machinery (map, astype,
        Categorical's hashing) costs milliseconds per column; plain Python on a handful of values
        costs microseconds.  Categories become codes into the pinned levels (``from_codes`` with the
        pinned dtype), numbers stay numpy.  Columns of other kinds (dates; numbers sent as text) take
        the frame path, so every rule has one implementation.  tests/test_preprocess_small.py checks
        both paths give identical frames.
        """
        out: dict[str, Any] = {}
        index = df.index
        for col, kind in self.plan.kinds.items():
            s = df[col]
            if kind == "categorical":
                codes = self._level_codes(col)
                other, missing = codes[OTHER], codes[MISSING_READ_AS]
                values = s.astype("object").tolist()
                out[self._names[(col, "")]] = pd.Categorical.from_codes(
                    [missing if _is_missing(v) else codes.get(str(v), other) for v in values], dtype=self._dtype(col))
            elif kind == "numeric" and s.dtype.kind in "biuf":
                arr = s.to_numpy(dtype="float64", na_value=np.nan, copy=True)
                arr[~np.isfinite(arr)] = self.fill[col]
                out[self._names[(col, "")]] = arr
            else:  # the frame path's rules, for this column only
                out.update({k: (v.values if isinstance(v, pd.Series) else v)
                            for k, v in self._transform_frame_columns(df, col, kind).items()})
        return pd.DataFrame({name: out[name] for name in self.output_columns}, index=index)

    def _level_codes(self, col: str) -> dict[str, int]:
        cache = self.__dict__.setdefault("_codes_cache", {})
        if col not in cache:
            cache[col] = {level: i for i, level in enumerate(self.categories[col])}
        return cache[col]

    def _dtype(self, col: str) -> pd.CategoricalDtype:
        cache = self.__dict__.setdefault("_dtype_cache", {})
        if col not in cache:
            cache[col] = pd.Categorical([], categories=self.categories[col]).dtype
        return cache[col]

    def __getstate__(self) -> dict[str, Any]:
        """Caches are rebuilt on first use; they never go into a model artifact."""
        return {k: v for k, v in self.__dict__.items() if k not in ("_codes_cache", "_dtype_cache")}

    def fit_transform(self, df: pd.DataFrame) -> pd.DataFrame:
        return self.fit(df).transform(df)
