"""Profile a parsed table: column types, data-quality findings (ID-like columns among them), target checks.

:func:`profile_frame` returns plain result objects (:class:`DatasetProfile`,
:class:`ColumnProfile`, :class:`Finding`) that serialise with ``to_dict()``; it
renders nothing.  Every finding carries a stable ``code``, a severity, one
plain sentence for an analyst without ML training and a suggested fix.

The work is vectorised; only the expensive checks look at samples (numbers
stored as text, dates, mixed types: 5,000 rows).  With a target, the leakage
probe of :mod:`automl_canvas.datasets.leakage` runs too (it fits small models,
so the product stores its result per target instead of re-running it).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from automl_canvas.datasets.idlike import code_like, has_id_hint, id_reason, integer_id_like
from automl_canvas.datasets.parsing import INF_COUNTS_ATTR
from automl_canvas.errors import DatasetValidationError, TrainingConfigError
from automl_canvas.messages import plain

from .leak_probe import run_probe  # the probe lives in its own module (it fits models)
from .profile_types import (
    _SAMPLE,
    DROPPED_CODES,
    FINDING_CODES,
    SEMANTIC_TYPES,
    SEVERITIES,
    ColumnProfile,
    DatasetProfile,
    Finding,
    _Col,
    _jsonable,
    _numeric_values,
    _pct,
)

__all__ = [
    "DROPPED_CODES",
    "FINDING_CODES",
    "SEMANTIC_TYPES",
    "SEVERITIES",
    "ColumnProfile",
    "DatasetProfile",
    "Finding",
    "analyse_columns",
    "detect_task",
    "id_reason",
    "profile_frame",
    "target_checks",
]

_BOOL_WORDS = {"yes", "no", "y", "n", "true", "false", "t", "f"}
_HIGH_CARDINALITY = 50


# --------------------------------------------------------------------------- helpers
def _fmt(v) -> str:
    return plain(v)  # one rule for values in messages (automl_canvas/messages.py)


def _sample(s: pd.Series, n: int, seed: int) -> pd.Series:
    return s if len(s) <= n else s.sample(n=n, random_state=seed)


def _top(vc: pd.Series, k: int = 10) -> list[dict]:
    return [{"value": _fmt(v), "count": int(c)} for v, c in vc.head(k).items()]


def detect_task(series: pd.Series) -> str:
    """``"binary"`` (<= 2 values), ``"multiclass"`` (labels, or few integer codes) or ``"regression"``."""
    s = series.dropna()
    if pd.api.types.is_bool_dtype(s.dtype):
        return "binary"
    if not pd.api.types.is_numeric_dtype(s.dtype) and len(s):
        coerced = pd.to_numeric(s.astype(str), errors="coerce")
        if coerced.notna().mean() >= 0.95:
            s = coerced.dropna()
    n_unique = s.nunique()
    if n_unique <= 2:
        return "binary"
    if not pd.api.types.is_numeric_dtype(s.dtype):
        return "multiclass"
    x = _numeric_values(s)
    x = x[np.isfinite(x)]
    if np.all(x == np.round(x)) and n_unique <= 20 and (n_unique <= 5 or n_unique < 0.05 * len(x)):
        return "multiclass"
    return "regression"


# --------------------------------------------------------------------------- one column
def _numeric_part(name: str, x: np.ndarray, integer: bool, n_inf: int, findings: list[Finding],
                  is_target: bool) -> tuple[str, int, dict]:
    finite = x[np.isfinite(x)]
    n_inf += int(np.isinf(x).sum())
    uniques = pd.unique(finite)
    n_unique = len(uniques)
    semantic = "boolean" if n_unique == 2 and set(uniques.tolist()) <= {0.0, 1.0} else "numeric"
    stats = {"n_zero": int((finite == 0).sum()), "n_inf": n_inf}
    if len(finite):
        stats.update(min=float(finite.min()), max=float(finite.max()), mean=float(finite.mean()),
                     std=float(finite.std(ddof=1)) if len(finite) > 1 else 0.0, median=float(np.median(finite)))
    else:
        stats.update(min=None, max=None, mean=None, std=None, median=None)
    if n_inf:
        findings.append(Finding("inf_values", "warning", f"`{name}` contained {n_inf:,} infinite value"
                                f"{'s' if n_inf > 1 else ''} (inf), which cannot be used as numbers.",
                                "They are treated as missing values.", name, n_inf))
    if not is_target and semantic == "numeric" and integer and integer_id_like(name, finite, n_unique):
        semantic = "id"
    zero_gap = _zero_gap(finite) if semantic == "numeric" else None
    if zero_gap is not None:
        nz = stats["n_zero"]
        findings.append(Finding(
            "disguised_missing", "warning",
            f"`{name}` is 0 in {nz:,} rows although its other values start at {_fmt(zero_gap)}, so these zeros "
            "probably stand for measurements that were not taken.",
            "If 0 is impossible here, replace those zeros with empty cells so they are treated as missing; "
            "if 0 is a real value, ignore this warning.", name, nz))
    return semantic, n_unique, stats


def _zero_gap(x: np.ndarray) -> float | None:
    """Smallest non-zero value when zeros sit far below the rest of a non-negative column, else None."""
    n_zero = int((x == 0).sum())
    if n_zero < 2 or len(x) == 0 or x.min() < 0 or n_zero > 0.6 * len(x):
        return None
    pos = x[x > 0]
    if len(pos) < 10:
        return None
    k = min(len(pos), _SAMPLE)
    small = np.unique(np.partition(pos, k - 1)[:k]) if k < len(pos) else np.unique(pos)
    if len(small) < 11 and k < len(pos):
        small = np.unique(pos)
    if len(small) < 10:
        return None
    typical_gap = float(np.median(np.diff(small[:11])))  # spacing of the lowest non-zero values
    return float(small[0]) if small[0] >= 5 * typical_gap else None


def _looks_like_dates(sample: pd.Series) -> bool:
    values = sample.head(1000)
    if not len(values) or values.str.contains(r"\d", regex=True).mean() < 0.95 or values.str.len().min() < 6:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = pd.to_datetime(values, errors="coerce", format="mixed", utc=True)
        except (ValueError, TypeError, OverflowError):
            return False
    return parsed.notna().mean() >= 0.95


def _text_part(name: str, s: pd.Series, nonnull: pd.Series, findings: list[Finding], is_target: bool,
               seed: int) -> tuple[str, int, dict, np.ndarray | None, bool]:
    """Semantic type, n_unique, stats, numeric view (if coercible) and coercible flag of a text column."""
    sample = _sample(nonnull, _SAMPLE, seed).astype(str)
    as_num = pd.to_numeric(sample, errors="coerce")
    num_share = float(as_num.notna().mean()) if len(sample) else 0.0
    if num_share >= 0.95:
        x = _numeric_values(pd.to_numeric(s, errors="coerce"))
        n_bad = int(np.isnan(x).sum()) - (len(s) - len(nonnull))
        finite = x[np.isfinite(x)]
        integer = bool(np.all(finite == np.round(finite)))
        semantic, n_unique, stats = _numeric_part(name, x, integer, 0, findings, is_target)
        bad = nonnull[pd.to_numeric(nonnull, errors="coerce").isna()].head(1).tolist() if n_bad else []
        n_missing = len(s) - len(nonnull)
        findings.append(Finding(
            "numeric_coercible", "warning" if (n_missing or n_bad) else "info",
            f"`{name}` holds numbers stored as text" + (f" and is blank or missing in {n_missing:,} "
                                                       f"row{'s' if n_missing > 1 else ''}" if n_missing else "")
            + (f"; {n_bad:,} value{'s are' if n_bad > 1 else ' is'} not a number (for example '{bad[0]}')"
               if n_bad else "") + ".",
            "It will be converted to numbers for training, with blank and non-numeric cells treated as missing; "
            "check that blanks really mean 'unknown'.", name, n_missing + n_bad))
        return semantic, n_unique, stats, x, True
    vc = nonnull.value_counts()
    n_unique = len(vc)
    n = len(nonnull)
    stats: dict = {"top_values": _top(vc)}
    if n_unique == 2 and {str(v).lower() for v in vc.index} <= _BOOL_WORDS:
        return "boolean", n_unique, stats, None, False
    if n_unique > 1 and _looks_like_dates(sample):
        findings.append(Finding("datetime_detected", "info", f"`{name}` contains dates or times.",
                                "Check it was recognised correctly; dates are most useful split into parts such as "
                                "year, month and weekday, and a time-ordered split gives honest scores.", name))
        return "datetime", n_unique, stats, None, False
    lengths = sample.str.len()
    stats["mean_length"] = float(lengths.mean()) if len(lengths) else 0.0
    words = sample.str.count(r"\s+") + 1
    if n_unique > _HIGH_CARDINALITY and n_unique >= 0.5 * n and lengths.mean() >= 30 and words.mean() >= 5:
        findings.append(Finding("free_text", "warning", f"`{name}` looks like free text (long sentences that are "
                                "mostly different from row to row), which the model cannot use as it is.",
                                "Turn the useful information into categories or numbers if it matters; otherwise it "
                                "is left unused.", name))
        return "text", n_unique, stats, None, False
    if not is_target and n >= 10 and n_unique > 1 and (
            n_unique >= 0.95 * n or ((has_id_hint(name) or code_like(sample)) and n_unique >= 0.9 * n)):
        return "id", n_unique, stats, None, False
    numeric_words = sample[as_num.notna()]
    words_only = sample[as_num.isna() & sample.str.contains(r"[^\W\d_]", regex=True)]
    if len(numeric_words) >= 2 and num_share >= 0.01 and len(words_only):
        findings.append(Finding(
            "mixed_types", "warning",
            f"`{name}` mixes numbers and words (for example '{numeric_words.iloc[0]}' and '{words_only.iloc[0]}'), "
            "so it is treated as categories rather than as a number.",
            "If it should be a number, correct the entries that are words; otherwise no action is needed.",
            name, round(num_share, 4)))
    if n_unique > _HIGH_CARDINALITY and not is_target:
        findings.append(Finding("high_cardinality", "warning", f"`{name}` has {n_unique:,} different values, so "
                                "many of them appear only a few times.",
                                "Rare values are grouped together during training; merge similar values if you can.",
                                name, n_unique))
    return "categorical", n_unique, stats, None, False


def _analyse(name: str, s: pd.Series, n_inf: int, is_target: bool, seed: int) -> _Col:
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(s.cat.categories.dtype if len(s.cat.categories) else object)
    n = len(s)
    nonnull = s.dropna()
    n_missing = n - len(nonnull)
    findings: list[Finding] = []
    numeric, coercible = None, False
    if pd.api.types.is_bool_dtype(s.dtype):
        vc = nonnull.value_counts()
        semantic, n_unique, stats = "boolean", len(vc), {"top_values": _top(vc)}
        numeric = _numeric_values(s.astype("float64"))
    elif pd.api.types.is_datetime64_any_dtype(s.dtype):
        semantic, n_unique = "datetime", int(nonnull.nunique())
        stats = {"min": nonnull.min() if len(nonnull) else None, "max": nonnull.max() if len(nonnull) else None}
        numeric = _numeric_values((s - nonnull.min()).dt.total_seconds()) if len(nonnull) else None
        findings.append(Finding("datetime_detected", "info", f"`{name}` contains dates or times.",
                                "Dates are most useful split into parts such as year, month and weekday, and a "
                                "time-ordered split gives honest scores.", name))
    elif pd.api.types.is_numeric_dtype(s.dtype):
        numeric = _numeric_values(s)
        finite = numeric[np.isfinite(numeric)]
        integer = pd.api.types.is_integer_dtype(s.dtype) or bool(np.all(finite == np.round(finite)))
        semantic, n_unique, stats = _numeric_part(name, numeric, integer, n_inf, findings, is_target)
        if semantic == "boolean":
            stats["top_values"] = _top(nonnull.value_counts())
    else:
        semantic, n_unique, stats, numeric, coercible = _text_part(name, s, nonnull, findings, is_target, seed)
    unique_ratio = n_unique / len(nonnull) if len(nonnull) else 0.0
    head = pd.unique(nonnull.iloc[:1000].to_numpy())[:5]
    profile = ColumnProfile(name, str(s.dtype), semantic, n_missing / n if n else 0.0, n_missing, int(n_unique),
                            unique_ratio, [_fmt(v) for v in head], _jsonable(stats), coercible)
    skip = False
    if not is_target:
        if n_unique <= 1 and (n_missing == 0 or n_unique == 0):
            what = "is empty in every row" if n_unique == 0 else f"has the same value ({profile.examples[0]}) in every row"
            findings.insert(0, Finding("constant", "warning", f"`{name}` {what}, so it cannot help predict anything.",
                                       "It will be left out of the model automatically.", name))
            skip = True
        elif semantic == "id":
            findings.insert(0, Finding("id_like", "warning", f"`{name}` {id_reason(profile.to_dict())}, so it "
                                       "cannot help predict anything and will be left out of the model.",
                                       "If it is really a measurement, put it back on the Build page (advanced "
                                       "settings) and say why.", name, round(unique_ratio, 4)))
            skip = True
        ratio = profile.missing_ratio
        if ratio > 0.4 and n_unique > 0:
            findings.append(Finding(
                "high_missing", "critical" if ratio > 0.9 else "warning", f"`{name}` is empty in {_pct(ratio)} of rows.",
                "It carries almost no information; consider removing it." if ratio > 0.9 else
                "Missing values are filled in automatically, but check why so much is missing.", name, round(ratio, 4)))
    return _Col(profile, findings, numeric, skip or semantic == "text")


# --------------------------------------------------------------------------- target (its leakage probe: leakage.py)
def target_checks(df: pd.DataFrame, target: str, max_classes: int) -> tuple[str, dict | None, list[Finding]]:
    y = df[target]
    findings: list[Finding] = []
    n_missing = int(y.isna().sum())
    if n_missing:
        everything = n_missing == len(y)
        findings.append(Finding(
            "target_missing", "critical" if everything else "warning",
            f"The target `{target}` is empty in {n_missing:,} row{'s' if n_missing > 1 else ''} "
            f"({_pct(n_missing / len(y))}).", "Those rows cannot be learned from and will be left out of training."
            if not everything else "Choose another target column.", target, n_missing))
    task = detect_task(y)
    if task == "regression":
        return task, None, findings
    vc = y.dropna().value_counts()
    balance = {_fmt(k): int(v) for k, v in vc.head(max_classes).items()}
    if len(vc) <= 1:
        only = f" ({_fmt(vc.index[0])})" if len(vc) else ""
        findings.append(Finding("single_class", "critical", f"The target `{target}` has only one value{only}, so "
                                "there is nothing to predict.", "Choose another target or add rows with other "
                                "outcomes.", target, len(vc)))
    elif len(vc) > max_classes and not pd.api.types.is_numeric_dtype(y.dtype):
        findings.append(Finding("too_many_classes", "critical", f"The target `{target}` has {len(vc):,} different "
                                f"values, more than the {max_classes} classes a model can sensibly predict.",
                                "Group the values into fewer classes or choose another target.", target, len(vc)))
    else:
        share = float(vc.iloc[-1] / vc.sum())
        if share < 0.10:
            findings.append(Finding(
                "class_imbalance", "warning", f"The target `{target}` is imbalanced: its rarest class "
                f"'{_fmt(vc.index[-1])}' is only {_pct(share)} of rows ({int(vc.iloc[-1]):,}).",
                "Judge the model by balanced metrics (such as balanced accuracy or F1), not plain accuracy, and "
                "collect more examples of the rare class if you can.", target, round(share, 4)))
    return task, balance, findings


# --------------------------------------------------------------------------- the profile
def _duplicate_rows(df: pd.DataFrame) -> int:
    if df.shape[1] == 0:
        return 0
    try:
        hashes = pd.util.hash_pandas_object(df, index=False)
    except TypeError:  # unhashable cells (lists...): compare their text
        hashes = pd.util.hash_pandas_object(df.astype(str), index=False)
    return int(hashes.duplicated().sum())


def analyse_columns(df: pd.DataFrame, target: str | None, seed: int = 0) -> dict[str, _Col]:
    """Per-column profile, findings and numeric view (what the leakage probe looks at), in column order."""
    inf_counts = df.attrs.get(INF_COUNTS_ATTR) or {}
    return {name: _analyse(name, df[name], int(inf_counts.get(name, 0)), name == target, seed) for name in df.columns}


def profile_frame(df: pd.DataFrame, target: str | None = None, *, max_classes: int = 100,
                  seed: int = 0) -> DatasetProfile:
    """Profile ``df`` (as returned by :func:`read_table`); with ``target``, also check the target and leakage."""
    if not df.columns.is_unique:
        dups = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise DatasetValidationError(f"Column names must be unique, but {', '.join(dups)} appear more than once; "
                                     "rename the duplicate columns.", details={"duplicate_columns": dups})
    if any(not isinstance(c, str) for c in df.columns):
        df = df.rename(columns=str)
    if target is not None and target not in df.columns:
        raise TrainingConfigError(f"The target column '{target}' is not in the dataset; pick one of its columns.",
                                  details={"target": target})
    cols = analyse_columns(df, target, seed)
    findings = [f for c in cols.values() for f in c.findings]
    n_dup = _duplicate_rows(df)
    if n_dup:
        share = n_dup / len(df)
        findings.append(Finding(
            "duplicate_rows", "warning" if share > 0.05 else "info",
            f"{n_dup:,} row{'s are exact copies' if n_dup > 1 else ' is an exact copy'} of other rows "
            f"({_pct(share)}).", "Copies can make the model look better than it is when they land in both the "
            "training and the test rows; remove them unless they are genuine repeats.", None, n_dup))
    task = balance = None
    suspects: list[str] = []
    if target is not None:
        task, balance, target_findings = target_checks(df, target, max_classes)
        findings.extend(target_findings)
        if not any(f.code in ("single_class", "too_many_classes") for f in target_findings):
            probe = run_probe(df, target, task, cols, seed)
            findings.extend(probe.findings)
            suspects = probe.suspects
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: rank[f.severity])
    return DatasetProfile(len(df), df.shape[1], [c.profile for c in cols.values()], n_dup, findings, target, task,
                          balance, suspects)
