"""What a profile is made of (findings, column and dataset profiles) and the small helpers that the column
analysis (``profiling.py``) and the leakage probe (``leak_probe.py``) share.

Apart from ``profiling.py`` so the probe can build findings without importing the profiler that runs it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime

import numpy as np
import pandas as pd

__all__ = ["DROPPED_CODES", "FINDING_CODES", "SEMANTIC_TYPES", "SEVERITIES", "ColumnProfile", "DatasetProfile", "Finding"]

SEVERITIES = ("critical", "warning", "info")
SEMANTIC_TYPES = ("numeric", "categorical", "boolean", "datetime", "text", "id")
FINDING_CODES = (
    "id_like", "constant", "high_missing", "duplicate_rows", "disguised_missing", "numeric_coercible",
    "mixed_types", "inf_values", "high_cardinality", "free_text", "datetime_detected",
    "target_missing", "class_imbalance", "single_class", "too_many_classes", "leakage",
)
#: Columns with these findings are left out of the model automatically.
DROPPED_CODES = ("id_like", "constant")

_SAMPLE = 5_000


def _jsonable(v):
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, (datetime, date, pd.Timestamp)):
        return v.isoformat()
    return str(v)


@dataclass
class Finding:
    code: str
    severity: str
    message: str
    fix: str
    column: str | None = None
    value: float | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")

    def to_dict(self) -> dict:
        return _jsonable(asdict(self))

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass
class ColumnProfile:
    name: str
    dtype: str
    semantic_type: str
    missing_ratio: float
    n_missing: int
    n_unique: int
    unique_ratio: float
    examples: list[str] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    numeric_coercible: bool = False

    def to_dict(self) -> dict:
        return _jsonable(asdict(self))

    @classmethod
    def from_dict(cls, data: dict) -> ColumnProfile:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass
class DatasetProfile:
    n_rows: int
    n_columns: int
    columns: list[ColumnProfile]
    n_duplicate_rows: int
    findings: list[Finding]
    target: str | None = None
    task: str | None = None
    class_balance: dict | None = None
    leakage_suspects: list[str] = field(default_factory=list)

    def column(self, name: str) -> ColumnProfile:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def dropped_columns(self) -> list[str]:
        """Identifier-like and constant columns, which the model leaves out, in column order."""
        flagged = {f.column for f in self.findings if f.code in DROPPED_CODES}
        return [c.name for c in self.columns if c.name in flagged]

    def findings_by_severity(self) -> dict[str, list[Finding]]:
        return {sev: [f for f in self.findings if f.severity == sev] for sev in SEVERITIES}

    def to_dict(self) -> dict:
        data = _jsonable({f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("columns", "findings")})
        data["columns"] = [c.to_dict() for c in self.columns]
        data["findings"] = [f.to_dict() for f in self.findings]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> DatasetProfile:
        kwargs = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        kwargs["columns"] = [ColumnProfile.from_dict(c) for c in data.get("columns", [])]
        kwargs["findings"] = [Finding.from_dict(f) for f in data.get("findings", [])]
        return cls(**kwargs)


def _pct(ratio: float) -> str:
    pct = 100 * ratio
    return f"{pct:.0f}%" if pct >= 1 or pct == 0 else f"{pct:.1g}%"


def _numeric_values(s: pd.Series) -> np.ndarray:
    return s.to_numpy(dtype="float64", na_value=np.nan)


@dataclass
class _Col:
    profile: ColumnProfile
    findings: list[Finding]
    numeric: np.ndarray | None  # float view for leakage checks (None: compare as categories)
    skip_leakage: bool = False
