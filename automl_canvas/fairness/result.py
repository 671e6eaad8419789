"""The fairness report as plain data (no fairlearn, no plotting).

A report is stored with a model version as evidence and read back by the apps,
so it must survive JSON: every number is a float or None (JSON has no NaN),
labels are strings, and ``from_dict(to_dict(r))`` gives an equal report.
Rendering (tables, plots, findings text) only reads these fields.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MIN_SELECTION_RATE", "MIN_TPR", "SEVERITIES", "Disparity", "FairnessReport", "FeatureGroups", "Finding", "GroupInfo", "MetricValue", "jsonable"]

#: Finding severities, least to most serious.
SEVERITIES = ("info", "warning", "high")

#: Default floors below which a group's decisions are degenerate (binary): a model that says 'yes' to
#: under 1 % of a group (or to over 99 %), or finds under 10 % of its actual 'yes' cases, shows a small
#: parity gap because it barely decides, not because it treats groups alike.  The approval policy reads
#: its own copies from the settings (``fairness_min_selection_rate``, ``fairness_min_tpr``).
MIN_SELECTION_RATE = 0.01
MIN_TPR = 0.10


def jsonable(value: Any) -> Any:
    """numpy scalars -> Python, NaN/inf -> None, tuples -> lists (recursively)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _num(value: Any) -> float:
    return float("nan") if value is None else float(value)


@dataclass
class GroupInfo:
    group: str
    n: int
    #: fewer rows than ``min_group_size``: shown, but left out of the disparities.
    small_group: bool
    #: the explicit group of rows with no value (or, for an intersection, a part of it).
    missing: bool = False


@dataclass
class FeatureGroups:
    """One sensitive column, numeric column cut into bands, or intersection of two columns."""

    name: str
    kind: str  # categorical | numeric_bands | intersection
    columns: list[str]
    groups: list[GroupInfo]
    #: numeric bands: label -> [lowest, highest] value in the band.
    band_ranges: dict[str, list[float]] = field(default_factory=dict)

    @property
    def compared_groups(self) -> list[str]:
        return [g.group for g in self.groups if not g.small_group]


@dataclass
class MetricValue:
    feature: str
    group: str
    metric: str
    #: the class of a one-vs-rest metric (multiclass); None otherwise.
    label: str | None
    value: float
    ci_low: float = float("nan")
    ci_high: float = float("nan")


@dataclass
class Disparity:
    feature: str
    measure: str
    label: str | None
    value: float
    ci_low: float
    ci_high: float
    #: the groups that were compared (those with at least ``min_group_size`` rows).
    groups_compared: list[str]
    low_group: str | None = None
    high_group: str | None = None
    low_value: float = float("nan")
    high_value: float = float("nan")
    #: the rule of thumb the value is judged against (0.8 for a ratio: the four-fifths rule).
    threshold: float = float("nan")
    flagged: bool = False


@dataclass
class Finding:
    severity: str  # one of SEVERITIES
    message: str
    feature: str | None = None
    measure: str | None = None
    numbers: dict[str, Any] = field(default_factory=dict)


_FLOAT_FIELDS = {"value", "ci_low", "ci_high", "low_value", "high_value", "threshold"}


def _load(cls, data: dict[str, Any]):
    names = {f.name for f in fields(cls)}
    kwargs = {k: (_num(v) if k in _FLOAT_FIELDS else v) for k, v in data.items() if k in names}
    return cls(**kwargs)


@dataclass
class FairnessReport:
    task: str
    n_rows: int
    sensitive_columns: list[str]
    positive_label: Any
    classes: list[Any]
    min_group_size: int
    n_bootstrap: int
    confidence: float
    seed: int
    features: list[FeatureGroups]
    metrics: list[MetricValue]
    overall: list[MetricValue]
    disparities: list[Disparity]
    findings: list[Finding] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    #: binary: the label that is good for the person (declared with the sensitive columns); None = not declared.
    favourable_label: Any = None
    #: floors of the degenerate-decision check the findings used (see MIN_SELECTION_RATE).
    min_selection_rate: float = MIN_SELECTION_RATE
    min_tpr: float = MIN_TPR

    # ----- serialisation
    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return jsonable(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FairnessReport:
        features = [
            FeatureGroups(
                name=f["name"], kind=f["kind"], columns=list(f["columns"]),
                groups=[GroupInfo(**g) for g in f["groups"]], band_ranges=dict(f.get("band_ranges") or {}),
            )
            for f in data["features"]
        ]
        return cls(
            task=data["task"], n_rows=int(data["n_rows"]), sensitive_columns=list(data["sensitive_columns"]),
            positive_label=data.get("positive_label"), classes=list(data.get("classes") or []),
            min_group_size=int(data["min_group_size"]), n_bootstrap=int(data["n_bootstrap"]),
            confidence=float(data["confidence"]), seed=int(data["seed"]), features=features,
            metrics=[_load(MetricValue, m) for m in data["metrics"]],
            overall=[_load(MetricValue, m) for m in data["overall"]],
            disparities=[_load(Disparity, d) for d in data["disparities"]],
            findings=[Finding(**f) for f in data.get("findings", [])],
            versions=dict(data.get("versions") or {}),
            favourable_label=data.get("favourable_label"),
            min_selection_rate=float(data.get("min_selection_rate", MIN_SELECTION_RATE)),
            min_tpr=float(data.get("min_tpr", MIN_TPR)),
        )

    # ----- lookups
    def feature(self, name: str) -> FeatureGroups:
        for f in self.features:
            if f.name == name:
                return f
        raise KeyError(f"no feature '{name}' in this report; features: {', '.join(f.name for f in self.features)}")

    def metric(self, feature: str, group: str, metric: str, label: str | None = None) -> MetricValue:
        for m in self.metrics:
            if (m.feature, m.group, m.metric, m.label) == (feature, group, metric, label):
                return m
        raise KeyError(f"no metric {metric!r} (label {label!r}) for {feature} = {group}")

    def disparity(self, feature: str, measure: str, label: str | None = None) -> Disparity:
        for d in self.disparities:
            if (d.feature, d.measure, d.label) == (feature, measure, label):
                return d
        raise KeyError(f"no disparity {measure!r} (label {label!r}) for {feature}")

    # ----- tidy frames
    def groups_frame(self, *, wide: bool = False) -> pd.DataFrame:
        """One row per (feature, group, metric, label) with its interval; ``wide=True``: one row per group."""
        info = {(f.name, g.group): g for f in self.features for g in f.groups}
        rows = []
        for m in self.metrics:
            g = info[(m.feature, m.group)]
            rows.append({"feature": m.feature, "group": m.group, "n": g.n, "small_group": g.small_group,
                         "missing": g.missing, "metric": m.metric, "label": m.label,
                         "value": m.value, "ci_low": m.ci_low, "ci_high": m.ci_high})
        long = pd.DataFrame(rows, columns=["feature", "group", "n", "small_group", "missing", "metric", "label",
                                           "value", "ci_low", "ci_high"])
        if not wide:
            return long
        long = long.assign(column=[m if pd.isna(lab) else f"{m}[{lab}]" for m, lab in zip(long["metric"], long["label"])])
        wide_df = long.pivot_table(index=["feature", "group"], columns="column", values="value", sort=False, dropna=False)
        wide_df.columns.name = None
        meta = long.drop_duplicates(["feature", "group"]).set_index(["feature", "group"])[["n", "small_group", "missing"]]
        return meta.join(wide_df).reset_index()

    def disparities_frame(self) -> pd.DataFrame:
        cols = [f.name for f in fields(Disparity)]
        df = pd.DataFrame([asdict(d) for d in self.disparities], columns=cols)
        df["groups_compared"] = df["groups_compared"].map(lambda g: ", ".join(g))
        return df

    def findings_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(f) for f in self.findings], columns=[f.name for f in fields(Finding)])
