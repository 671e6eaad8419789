"""Checking and encoding the inputs of a fairness report, before any work is done.

Why separate: a report must fail on a bad request with a message naming the
problem (length mismatch, unknown label, missing sensitive column, too many
groups) and never half-way through, so every check runs here first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ValidationError
from .groups import GroupedFeature, encode_sensitive

__all__ = ["TASKS", "Prepared", "prepare_inputs"]

TASKS = ("binary", "multiclass", "regression")


@dataclass
class Prepared:
    """Validated inputs: encoded outcomes and the groupings to report on."""

    task: str
    yt: np.ndarray  # binary: 0/1 for the positive label; multiclass: class index; regression: float
    yp: np.ndarray
    classes: list[Any]
    positive_label: Any
    n_classes: int  # 2 for binary, K for multiclass, 1 for regression
    scores: np.ndarray | None  # binary positive-class probabilities, when given
    features: list[GroupedFeature]

    @property
    def n(self) -> int:
        return len(self.yt)


def _as_1d(values: Any, name: str) -> np.ndarray:
    if isinstance(values, (pd.Series, pd.Index)):
        arr = values.to_numpy()
    elif isinstance(values, np.ndarray):
        arr = values
    else:
        arr = np.asarray(list(values), dtype=object)
    if arr.ndim != 1:
        raise ValidationError(f"{name} must be one value per row (1-dimensional), got shape {arr.shape}.")
    return arr


def _check_settings(task: str, min_group_size: int, n_bootstrap: int, confidence: float, max_groups: int) -> None:
    if task not in TASKS:
        raise ValidationError(f"Unknown task '{task}'; a fairness report needs one of: {', '.join(TASKS)}.")
    if min_group_size < 1:
        raise ValidationError(f"min_group_size must be at least 1, got {min_group_size}.")
    if n_bootstrap < 0:
        raise ValidationError(f"n_bootstrap must be 0 (no intervals) or more, got {n_bootstrap}.")
    if not 0 < confidence < 1:
        raise ValidationError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence}.")
    if max_groups < 2:
        raise ValidationError(f"max_groups must be at least 2, got {max_groups}.")


def _encode_labels(task, y_true, y_pred, classes, positive_label):
    """Integer codes of y_true / y_pred in ``classes`` order, the class list and the positive label."""
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if pd.isna(pd.Series(y, dtype=object)).any():
            raise ValidationError(f"{name} has missing labels; drop the unlabelled rows before asking for a fairness report.")
    if classes is None:
        uniq = pd.unique(np.concatenate([y_true, y_pred]).astype(object)).tolist()
        try:
            classes = sorted(uniq)
        except TypeError:
            classes = sorted(uniq, key=str)
    classes = list(classes)
    index = pd.Index(classes)
    yt, yp = index.get_indexer(y_true), index.get_indexer(y_pred)
    for name, y, codes in (("y_true", y_true, yt), ("y_pred", y_pred, yp)):
        if (codes < 0).any():
            bad = pd.unique(pd.Series(y[codes < 0], dtype=object)).tolist()[:5]
            raise ValidationError(f"{name} holds labels that are not among the classes {classes}: {bad}.")
    if task == "binary":
        if len(classes) > 2:
            raise ValidationError(f"A binary report needs at most two labels, but found {len(classes)}: {classes[:10]}.")
        if positive_label is None:
            if len(classes) < 2:
                raise ValidationError("Only one label occurs, so the positive label cannot be guessed; pass positive_label or classes.")
            positive_label = classes[-1]
        if positive_label not in classes:
            raise ValidationError(f"The positive label {positive_label!r} is not one of the labels {classes}.")
        pos = classes.index(positive_label)
        return (yt == pos).astype(np.int64), (yp == pos).astype(np.int64), classes, positive_label
    return yt.astype(np.int64), yp.astype(np.int64), classes, None


def _positive_scores(proba, n: int, classes: list, positive_label) -> np.ndarray:
    p = np.asarray(proba, dtype="float64")
    if p.shape[0] != n:
        raise ValidationError(f"proba has {p.shape[0]} rows but the predictions have {n}.")
    if p.ndim == 1:
        return p
    if p.ndim != 2 or p.shape[1] != len(classes):
        raise ValidationError(f"proba must have one column per class ({len(classes)}), got shape {p.shape}.")
    return p[:, classes.index(positive_label)]


def _numbers(yt_raw: np.ndarray, yp_raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    try:
        yt = np.asarray(yt_raw, dtype="float64")
        yp = np.asarray(yp_raw, dtype="float64")
    except (TypeError, ValueError):
        raise ValidationError("A regression report needs numeric y_true and y_pred.") from None
    if not (np.isfinite(yt).all() and np.isfinite(yp).all()):
        raise ValidationError("y_true and y_pred must be finite numbers (no missing values) for a regression report.")
    return yt, yp


def prepare_inputs(task, y_true, y_pred, sensitive, *, proba, classes, positive_label, min_group_size, n_bootstrap,
                   confidence, max_groups, n_bins, intersections, columns) -> Prepared:
    """Every check of ``fairness_report``'s arguments, then the encoded outcomes and groupings."""
    _check_settings(task, min_group_size, n_bootstrap, confidence, max_groups)
    yt_raw, yp_raw = _as_1d(y_true, "y_true"), _as_1d(y_pred, "y_pred")
    if len(yt_raw) != len(yp_raw):
        raise ValidationError(f"y_true has {len(yt_raw)} rows but y_pred has {len(yp_raw)}: they must describe the same rows.")
    if len(yt_raw) == 0:
        raise ValidationError("There are no rows to assess: y_true and y_pred are empty.")
    if isinstance(sensitive, pd.Series):
        sensitive = sensitive.to_frame()
    if isinstance(sensitive, pd.DataFrame):
        if len(sensitive) != len(yt_raw):
            raise ValidationError(f"The sensitive features have {len(sensitive)} rows but the predictions have {len(yt_raw)}.")
        sensitive = sensitive.reset_index(drop=True)  # rows are matched by position
    if task == "regression":
        yt, yp = _numbers(yt_raw, yp_raw)
        class_list, pos_label, n_classes = [], None, 1
    else:
        yt, yp, class_list, pos_label = _encode_labels(task, yt_raw, yp_raw, classes, positive_label)
        n_classes = 2 if task == "binary" else len(class_list)
    scores = None if proba is None or task != "binary" else _positive_scores(proba, len(yt), class_list, pos_label)
    features = encode_sensitive(sensitive, columns, n_bins=n_bins, max_groups=max_groups, intersections=intersections)
    return Prepared(task, yt, yp, class_list, pos_label, n_classes, scores, features)
