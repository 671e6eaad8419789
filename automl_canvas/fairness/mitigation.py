"""Post-processing mitigation: group-specific thresholds on a trained model's scores.

Why ThresholdOptimizer (Hardt et al., 2016) with ``prefit=True``: the model
already exists, was chosen on evidence and has been reviewed; re-training it
under a constraint would be a different model.  Thresholding its probabilities
per group changes only the decision rule, and the trade-off (accuracy lost,
disparity narrowed -- or widened: thresholds fitted on one sample can make the
holdout gap worse) can be shown side by side with ``compare``.

What a reviewer must know, and the code enforces:
* the mitigated model needs the sensitive column *at prediction time*
  (``requires_sensitive_features``); without it there is no decision, only a
  ``ValidationError``;
* fairlearn silently predicts the negative class for a group it never saw when
  fitting; here an unseen group is refused by name;
* decisions are randomised between two thresholds for some groups; the draw is
  seeded (``random_state=seed``), so the same rows in the same order always get
  the same decisions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from ..errors import ValidationError
from ..training.pipeline import CanvasModel
from .groups import CROSS, GroupedFeature, encode_column, labels_for
from .result import FairnessReport, jsonable
from .verdicts import describe_change

__all__ = ["CONSTRAINTS", "MitigatedModel", "compare", "evaluate_predictions", "mitigate"]

CONSTRAINTS = ("demographic_parity", "equalized_odds")


class ScorePassthrough(BaseEstimator):
    """A 'fitted estimator' whose prediction is the score already in column 0.

    ThresholdOptimizer validates and reshapes ``X`` as a numeric matrix, which
    would mangle the raw columns a CanvasModel expects; giving it the model's
    positive-class probabilities instead keeps the preprocessing where it
    belongs and the thresholder free of our column types.
    """

    def fit(self, X, y=None):
        return self

    def predict(self, X):
        return np.asarray(X, dtype="float64")[:, 0]

    def __sklearn_is_fitted__(self) -> bool:
        return True


@dataclass
class MitigatedModel:
    """A CanvasModel's scores, thresholded per group of one sensitive column."""

    parent: CanvasModel
    thresholder: Any  # fitted fairlearn ThresholdOptimizer
    sensitive_column: str
    constraint: str
    seed: int
    positive_label: Any
    encoding: GroupedFeature  # how the sensitive column maps to groups (codes dropped)
    groups_seen: list[str]

    task = "binary"

    @property
    def requires_sensitive_features(self) -> list[str]:
        return [self.sensitive_column]

    @property
    def parent_learner(self) -> str:
        return self.parent.learner

    @property
    def learner(self) -> str:
        return f"{self.parent.learner}+threshold_optimizer({self.constraint})"

    @property
    def target(self) -> str:
        return self.parent.target

    @property
    def classes(self) -> list[Any]:
        return self.parent.classes

    @property
    def input_columns(self) -> list[str]:
        cols = list(self.parent.input_columns)
        return cols if self.sensitive_column in cols else [*cols, self.sensitive_column]

    def _scores_and_groups(self, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        if self.sensitive_column not in df.columns:
            raise ValidationError(
                f"This mitigated model needs the sensitive column '{self.sensitive_column}' to decide: its thresholds "
                f"differ by group. Add the column to the rows to score.",
                details={"missing_columns": [self.sensitive_column]},
            )
        groups = labels_for(df[self.sensitive_column], self.encoding)
        unseen = sorted(set(groups.tolist()) - set(self.groups_seen))
        if unseen:
            raise ValidationError(
                f"'{self.sensitive_column}' holds values the thresholds were not fitted for: {', '.join(map(repr, unseen[:5]))}; "
                f"known groups: {', '.join(self.groups_seen)}.",
                details={"unseen_groups": unseen[:20]},
            )
        proba = self.parent.predict_proba_encoded(self.parent.transform(df))
        pos = self.classes.index(self.positive_label)
        return proba[:, pos][:, None], groups

    def predict_proba(self, df: pd.DataFrame) -> np.ndarray:
        """Probability of each class *under the randomised decision rule*, in ``classes`` order.

        These are the chances that the mitigated model says each label (for
        most rows 0 or 1), not calibrated probabilities of the outcome.
        """
        return self._decide(df)[1]

    def _decide(self, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        scores, groups = self._scores_and_groups(df)
        pmf = self.thresholder._pmf_predict(scores, sensitive_features=groups)
        decided = np.asarray(self.thresholder.predict(scores, sensitive_features=groups, random_state=self.seed))
        pos = self.classes.index(self.positive_label)
        labels = np.asarray(self.classes, dtype=object)[np.where(decided == 1, pos, 1 - pos)]
        proba = np.empty((len(df), 2))
        proba[:, pos], proba[:, 1 - pos] = pmf[:, 1], pmf[:, 0]
        return labels, proba

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        """Original labels, seeded: the same rows in the same order get the same decisions."""
        return self._decide(df)[0]

    def predict_frame(self, df: pd.DataFrame) -> pd.DataFrame:
        """Like ``CanvasModel.predict_frame``: prediction, confidence, probability_<class> (see ``predict_proba``)."""
        labels, proba = self._decide(df)
        out = pd.DataFrame(index=df.index)
        out["prediction"] = labels
        out["confidence"] = proba.max(axis=1)
        for i, c in enumerate(self.classes):
            out[f"probability_{c}"] = proba[:, i]
        return out


def mitigate(
    model: CanvasModel,
    X_fit: pd.DataFrame,
    y_fit,
    sensitive_column: str,
    constraint: str = "demographic_parity",
    seed: int = 0,
    *,
    positive_label=None,
    objective: str = "accuracy_score",
    grid_size: int = 1000,
    n_bins: int = 4,
    max_groups: int = 50,
) -> MitigatedModel:
    """Fit group thresholds on ``model``'s probabilities for rows ``X_fit`` (original columns, with the sensitive one).

    Use rows the model did not learn from when you can (a validation split):
    thresholds fitted on training rows see over-confident scores.
    """
    from fairlearn.postprocessing import ThresholdOptimizer

    if model.task != "binary":
        raise ValidationError(
            f"Threshold mitigation works for binary classification only; this model is {model.task}. "
            f"Report the disparities instead, or reframe the problem as a yes/no decision."
        )
    if constraint not in CONSTRAINTS:
        raise ValidationError(f"Unknown fairness constraint '{constraint}'; choose one of: {', '.join(CONSTRAINTS)}.")
    if not isinstance(X_fit, pd.DataFrame):
        raise ValidationError("X_fit must be a pandas DataFrame with the model's original columns and the sensitive column.")
    if sensitive_column not in X_fit.columns:
        raise ValidationError(f"The sensitive column '{sensitive_column}' is not in X_fit; its columns are: {', '.join(map(str, X_fit.columns))}.")
    y = y_fit.to_numpy() if isinstance(y_fit, (pd.Series, pd.Index)) else np.asarray(y_fit, dtype=object)
    if len(y) != len(X_fit):
        raise ValidationError(f"X_fit has {len(X_fit)} rows but y_fit has {len(y)}.")
    classes = list(model.classes)
    positive_label = classes[1] if positive_label is None else positive_label
    if positive_label not in classes:
        raise ValidationError(f"The positive label {positive_label!r} is not one of the model's classes {classes}.")
    codes = pd.Index(classes).get_indexer(y)
    if (codes < 0).any():
        bad = pd.unique(pd.Series(y[codes < 0], dtype=object)).tolist()[:5]
        raise ValidationError(f"y_fit holds labels the model does not know (or missing labels): {bad}; classes are {classes}.")
    y01 = (codes == classes.index(positive_label)).astype(int)
    if y01.min() == y01.max():
        raise ValidationError("y_fit holds a single label; thresholds cannot be fitted without both outcomes.")

    encoding = encode_column(X_fit[sensitive_column].reset_index(drop=True), name=sensitive_column, n_bins=n_bins, max_groups=max_groups)
    groups = encoding.label_array()
    proba = model.predict_proba_encoded(model.transform(X_fit))
    scores = proba[:, classes.index(positive_label)][:, None]
    thresholder = ThresholdOptimizer(estimator=ScorePassthrough(), constraints=constraint, objective=objective,
                                     grid_size=grid_size, prefit=True, predict_method="predict")
    try:
        thresholder.fit(scores, y01, sensitive_features=groups)
    except ValueError as exc:  # fairlearn's own refusal, e.g. a group with one outcome only
        raise ValidationError(f"Thresholds could not be fitted for '{sensitive_column}': {exc}") from exc
    stored = replace(encoding, codes=np.empty(0, dtype=np.int64))
    return MitigatedModel(model, thresholder, sensitive_column, constraint, seed, positive_label, stored, list(encoding.labels))


def evaluate_predictions(y_true, y_pred, proba=None, *, positive_label=None, classes=None) -> dict[str, float]:
    """Accuracy and balanced accuracy, plus ROC AUC when probabilities are given and both outcomes occur."""
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, roc_auc_score

    yt = np.asarray(y_true, dtype=object)
    yp = np.asarray(y_pred, dtype=object)
    out = {"accuracy": float(accuracy_score(yt, yp)), "balanced_accuracy": float(balanced_accuracy_score(yt, yp))}
    if proba is not None and positive_label is not None:
        p = np.asarray(proba, dtype="float64")
        score = p if p.ndim == 1 else p[:, list(classes).index(positive_label)]
        truth = (yt == positive_label).astype(int)
        if 0 < truth.sum() < len(truth):
            out["roc_auc"] = float(roc_auc_score(truth, score))
    return out


def compare(
    parent_report: FairnessReport,
    mitigated_report: FairnessReport,
    parent_metrics: dict[str, float],
    mitigated_metrics: dict[str, float],
) -> dict[str, Any]:
    """What mitigation cost and bought: metrics lost, and each disparity narrowed or widened.

    Returns ``{"performance": [...], "fairness": [...], "summary": str}``; each
    list is rows for a table (``pd.DataFrame(result["fairness"])``).  A
    fairness row says ``direction`` ("narrowed", "widened", "unchanged",
    "unknown") and ``in_words`` ("**widened** from 0.060 to 0.084"), both from
    ``verdicts.describe_change``: a share "removed" reads as a gain even when
    it is negative, so it is not given.  Only metrics present in both dicts
    are compared (AUC is left out when the mitigated side has none).
    """
    performance = [
        {"metric": m, "parent": float(parent_metrics[m]), "mitigated": float(mitigated_metrics[m]),
         "change": float(mitigated_metrics[m]) - float(parent_metrics[m])}
        for m in parent_metrics if m in mitigated_metrics
    ]
    after = {(d.feature, d.measure, d.label): d for d in mitigated_report.disparities}
    fairness = []
    for d in parent_report.disparities:
        m = after.get((d.feature, d.measure, d.label))
        if m is None:
            continue
        direction, words = describe_change(d.measure, d.value, m.value)
        fairness.append({"feature": d.feature, "measure": d.measure, "label": d.label, "parent": d.value,
                         "mitigated": m.value, "change": m.value - d.value, "direction": direction, "in_words": words,
                         "parent_flagged": d.flagged, "mitigated_flagged": m.flagged})
    parts = [f"{p['metric']} {p['parent']:.3f} → {p['mitigated']:.3f} ({p['change']:+.3f})" for p in performance]
    for r in fairness:
        if r["measure"] not in ("demographic_parity_difference", "equalized_odds_difference") or CROSS in r["feature"]:
            continue
        if math.isnan(r["parent"]):
            continue
        label = "" if r["label"] is None else f" [{r['label']}]"
        parts.append(f"{r['measure'].replace('_', ' ')} on {r['feature']}{label} {r['in_words']}")
    return jsonable({"performance": performance, "fairness": fairness, "summary": "; ".join(parts) + "."})
