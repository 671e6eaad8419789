"""A training request, and its check against the dataset before any work is queued.

Every mistake an analyst can make in the build form is caught here, with a
message that names the column and says what to do, so a job is only queued
when it can succeed.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from ..config import BUDGET_PRESETS
from ..datasets.leakage import leak_reasons
from ..datasets.profiling import detect_task
from ..errors import TrainingConfigError
from ..messages import quoted
from .metrics import MetricInfo, resolve_metric
from .preprocess import FeaturePlan, left_out_sentence, plan_features

__all__ = ["MIN_LABELLED_ROWS", "TASKS", "ResolvedSpec", "TrainingRequest", "parse_budget", "resolve_spec"]

TASKS = ("binary", "multiclass", "regression")
MIN_LABELLED_ROWS = 20
#: Classes rarer than this cannot be split into train/validation/holdout.
MIN_CLASS_ROWS = 3


class TrainingRequest(BaseModel):
    """What the analyst (or a script) asks for."""

    target: str
    task: str | None = Field(default=None, description="binary, multiclass or regression; detected when empty")
    metric: str | None = None
    budget: str | float = "quick"
    excluded_columns: list[str] = Field(default_factory=list)
    #: Columns the product would leave out (ID-like, suspected leaks) that the analyst puts back -> why.
    #: The reason is recorded in the recipe and shown to the reviewer.
    keep_columns: dict[str, str] = Field(default_factory=dict)
    sensitive_columns: list[str] = Field(default_factory=list)
    #: The target value that is good for the person (e.g. "approved"): the four-fifths rule compares its rates.
    favourable_outcome: str | None = None
    #: Let the model see the sensitive columns too (off by default: they are kept aside for the fairness
    #: check). Some uses need it (e.g. age in insurance pricing); the approval policy still checks fairness.
    use_sensitive_as_features: bool = False
    seed: int | None = None
    learners: list[str] | None = None
    #: A repeatable build (like H2O AutoML's ``max_models``): the search runs exactly this many trials and every
    #: portfolio candidate and check runs whatever the clock says; the time budget is then only a safety cap.
    #: Same data, seed and trials give the same model on a quiet or a busy machine.
    max_trials: int | None = Field(default=None, ge=1, le=10_000)


def parse_budget(budget: str | float) -> float:
    if isinstance(budget, str):
        key = budget.strip().lower()
        if key in BUDGET_PRESETS:
            return float(BUDGET_PRESETS[key])
        try:
            budget = float(key)
        except ValueError:
            raise TrainingConfigError(
                f"The time budget '{budget}' is not understood; use {' or '.join(BUDGET_PRESETS)} or a number of seconds."
            ) from None
    if not np.isfinite(budget) or budget < 1 or budget > 24 * 3600:
        raise TrainingConfigError("The time budget must be between 1 second and 24 hours.")
    return float(budget)


@dataclass
class ResolvedSpec:
    target: str
    task: str
    metric: MetricInfo
    budget_seconds: float
    seed: int
    plan: FeaturePlan
    excluded: list[str]
    sensitive: list[str]
    favourable: str | None = None
    learners: list[str] | None = None
    max_trials: int | None = None
    notes: list[dict[str, Any]] = field(default_factory=list)
    #: Suspected leaks the model uses because the analyst put them back (the version's ``leakage_suspects``).
    leaks_kept: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "task": self.task,
            "metric": self.metric.name,
            "budget_seconds": self.budget_seconds,
            "seed": self.seed,
            "excluded_columns": self.excluded,
            "sensitive_columns": self.sensitive,
            "favourable_outcome": self.favourable,
            "learners": self.learners,
            "max_trials": self.max_trials,
            "keep_columns": dict(self.plan.kept),
        }


#: Most groups a categorical sensitive column may have (numeric ones are banded).
MAX_SENSITIVE_GROUPS = 50


def _unknown_column(kind: str, name: str, columns: list[str]) -> TrainingConfigError:
    close = difflib.get_close_matches(name, columns, n=3)
    if close:
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?"
    else:
        shown = ", ".join(repr(c) for c in columns[:8]) + (f" and {len(columns) - 8} more" if len(columns) > 8 else "")
        hint = f" Its columns are {shown}."
    return TrainingConfigError(f"The {kind} column '{name}' does not exist in this dataset.{hint}")


def _check_keep(req: TrainingRequest, columns: list[str]) -> None:
    """Every column put back exists, is not the target or also excluded, and comes with a reason."""
    for name, reason in req.keep_columns.items():
        if name not in columns:
            raise _unknown_column("kept", name, columns)
        if name == req.target:
            raise TrainingConfigError(f"The target '{name}' cannot also be a column put back into the model.")
        if name in req.excluded_columns:
            raise TrainingConfigError(f"'{name}' is both left out (excluded) and put back (kept); choose one.")
        if not str(reason or "").strip():
            raise TrainingConfigError(f"Say why '{name}' should be put back into the model: the reviewer reads "
                                      "your reason.")


def _plan(req: TrainingRequest, profile: dict[str, Any], leakage: dict[str, Any] | None,
          notes: list[dict[str, Any]]) -> tuple[FeaturePlan, list[str]]:
    """The feature plan with suspected leaks and ID-like columns left out (unless kept), each said in words."""
    if leakage is not None:
        leaks = {c: leakage.get("reasons", {}).get(c, f"gives `{req.target}` away") for c in leakage.get("suspects", [])}
    else:
        leaks = leak_reasons(profile, req.target) or {}
    keep = {c: str(r).strip() for c, r in req.keep_columns.items()}
    sensitive = () if req.use_sensitive_as_features else req.sensitive_columns
    plan = plan_features(profile, req.target, req.excluded_columns, sensitive, leaks=leaks, keep=keep)
    for name in keep:
        if name in plan.dropped:
            raise TrainingConfigError(f"'{name}' cannot be put back into the model: {plan.dropped[name]}.")
    kinds = {c["name"]: c["semantic_type"] for c in profile["columns"]}
    for name, why in plan.dropped.items():
        if name in leaks and name not in req.excluded_columns:
            notes.append({"severity": "warning", "message": left_out_sentence(name, why) +
                          " If you will know it when you make a prediction, put it back with a reason."})
        elif kinds.get(name) == "id" and name not in req.excluded_columns:
            notes.append({"severity": "info", "message": left_out_sentence(name, why)})
    for name, reason in plan.kept.items():
        what = plan.leakage.get(name) or "looks like an ID"
        notes.append({"severity": "warning" if name in plan.leakage else "info",
                      "message": f"`{name}` {what}, but you put it back in the model: \"{reason}\"."})
    return plan, [c for c in plan.kept if c in plan.leakage]


def _favourable(req: TrainingRequest, task: str, y: pd.Series) -> str | None:
    """The declared favourable outcome, checked to be one of the target's values (matched as text)."""
    if req.favourable_outcome is None or not str(req.favourable_outcome).strip():
        return None
    wanted = str(req.favourable_outcome).strip()
    if task == "regression":
        raise TrainingConfigError(f"A favourable outcome ('{wanted}') applies to a target with categories; "
                                  f"'{req.target}' is predicted as a number, so leave it empty.")
    values = sorted(y.astype("string").str.strip().unique().tolist())
    if wanted not in values:
        shown = ", ".join(quoted(v) for v in values[:10]) + (" …" if len(values) > 10 else "")
        raise TrainingConfigError(f"The favourable outcome '{wanted}' is not a value of the target '{req.target}'; "
                                  f"choose one of {shown}.")
    return wanted


def _labelled_target(y: pd.Series) -> pd.Series:
    if y.dtype == object or pd.api.types.is_string_dtype(y):
        y = y.where(y.astype("string").str.strip().ne(""), None)
    return y.dropna()


def resolve_spec(
    req: TrainingRequest,
    profile: dict[str, Any],
    load_target: Callable[[str], pd.Series],
    *,
    max_classes: int,
    default_seed: int,
    leakage: dict[str, Any] | None = None,
) -> ResolvedSpec:
    """Check ``req`` against the dataset's profile and target values.

    ``load_target(name)`` returns the target column; only that column is read,
    so a door can validate a request on a large dataset cheaply.  ``leakage``: the
    stored leakage probe for the target (``datasets.leakage.ensure_probe``); without
    it the probe stored in ``profile`` is used, if any.  Its suspects are left out
    unless ``req.keep_columns`` puts them back.
    """
    columns = [c["name"] for c in profile["columns"]]
    if req.target not in columns:
        raise _unknown_column("target", req.target, columns)
    _check_keep(req, columns)
    for kind, names in (("excluded", req.excluded_columns), ("sensitive", req.sensitive_columns)):
        for name in names:
            if name not in columns:
                raise _unknown_column(kind, name, columns)
            if name == req.target:
                raise TrainingConfigError(f"The target '{name}' cannot also be a {kind} column.")
    by_name = {c["name"]: c for c in profile["columns"]}
    for name in req.sensitive_columns:
        col = by_name[name]
        numeric = col["semantic_type"] == "numeric" or col.get("numeric_coercible")
        if not numeric and col.get("n_unique", 0) > MAX_SENSITIVE_GROUPS:
            raise TrainingConfigError(
                f"The sensitive column '{name}' has {col['n_unique']:,} different values; fairness can be compared "
                f"across at most {MAX_SENSITIVE_GROUPS} groups. Group rare values together (for example into 'other') "
                "or bin it into bands, then upload the data again."
            )

    y = _labelled_target(load_target(req.target))
    if y.empty:
        raise TrainingConfigError(f"The target '{req.target}' has no values: every row is empty, so there is nothing to learn from.")
    n_classes = int(y.astype("string").nunique())
    if n_classes < 2:
        raise TrainingConfigError(
            f"The target '{req.target}' has a single value ({quoted(y.iloc[0])}) in every row; a model needs at least two different outcomes to learn."
        )
    detected = detect_task(y)
    task = (req.task or detected).strip().lower()
    if task not in TASKS:
        raise TrainingConfigError(f"Unknown problem type '{task}'; choose binary, multiclass or regression.")
    numeric = pd.to_numeric(y, errors="coerce")
    if task == "regression" and numeric.isna().any():
        raise TrainingConfigError(
            f"The target '{req.target}' holds text (e.g. {quoted(y[numeric.isna()].iloc[0])}), so it cannot be predicted as a number; choose binary or multiclass."
        )
    if task == "binary" and n_classes != 2:
        raise TrainingConfigError(f"The target '{req.target}' has {n_classes} different values; a binary problem needs exactly 2. Choose multiclass or regression.")
    if task == "multiclass" and n_classes > max_classes:
        raise TrainingConfigError(
            f"The target '{req.target}' has {n_classes} different values; at most {max_classes} classes are supported. "
            "If it is a quantity, choose regression; otherwise group rare values together."
        )
    if task == "multiclass" and n_classes == 2:
        task = "binary"
    if len(y) < MIN_LABELLED_ROWS:
        raise TrainingConfigError(f"Only {len(y)} rows have a value for '{req.target}'; at least {MIN_LABELLED_ROWS} are needed to train and test a model.")

    notes: list[dict[str, Any]] = []
    n_total = int(profile.get("n_rows", len(y)))
    if len(y) < n_total:
        notes.append({"severity": "info", "message": f"{n_total - len(y)} rows without a value for '{req.target}' were left out."})
    if task != "regression":
        counts = y.astype("string").value_counts()
        rare = counts[counts < MIN_CLASS_ROWS]
        if len(counts) - len(rare) < 2:
            raise TrainingConfigError(f"The target '{req.target}' needs at least two outcomes with {MIN_CLASS_ROWS} or more rows each.")
        if len(rare):
            notes.append(
                {
                    "severity": "warning",
                    "message": f"{len(rare)} outcome(s) of '{req.target}' have fewer than {MIN_CLASS_ROWS} rows "
                    f"({', '.join(map(str, rare.index[:5]))}); those rows were left out and the model will never predict them.",
                }
            )

    metric = resolve_metric(task, req.metric)
    plan, leaks_kept = _plan(req, profile, leakage, notes)
    if not plan.kinds:
        raise TrainingConfigError(
            "No usable feature columns are left after leaving out the target, identifiers, constant, excluded and sensitive columns "
            "and suspected leaks."
        )
    return ResolvedSpec(
        target=req.target,
        task=task,
        metric=metric,
        budget_seconds=parse_budget(req.budget),
        seed=req.seed if req.seed is not None else default_seed,
        plan=plan,
        excluded=list(req.excluded_columns),
        sensitive=list(req.sensitive_columns),
        favourable=_favourable(req, task, y),
        learners=req.learners,
        max_trials=req.max_trials,
        notes=notes,
        leaks_kept=leaks_kept,
    )
