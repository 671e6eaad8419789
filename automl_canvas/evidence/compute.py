"""What the evidence job computes for one model (no database here).

Three kinds of evidence, each a small summary plus documents (JSON objects or
DataFrames) to be stored as files:

- performance: curves, confusion matrix, per-class metrics or residuals of the
  *evaluation* model (fit on train + validation) on the untouched holdout;
- explanations: SHAP values of the *delivered* model on a capped sample of
  holdout rows, mapped back to the original columns, and a background sample
  for what-if explanations;
- fairness: group metrics and disparities of the evaluation model on the
  holdout for every sensitive column (kept out of the features but still in
  the data) and their intersections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..explain import explain
from ..fairness import fairness_report
from ..training.metrics import evaluate
from ..training.refit import EvaluationSetting
from .performance import performance_detail

__all__ = ["EvidenceItem", "EvidenceOptions", "compute_evidence", "predict_original"]

#: Rows kept as the background sample for what-if explanations.
BACKGROUND_ROWS = 100


@dataclass
class EvidenceOptions:
    shap_max_rows: int = 2000
    min_group_size: int = 30
    n_bootstrap: int = 200
    seed: int = 0
    #: The answer that is good for the person (declared with the sensitive columns); None: both directions shown.
    favourable_outcome: Any = None
    min_selection_rate: float = 0.01
    min_tpr: float = 0.10
    kinds: tuple[str, ...] = ("performance", "explanations", "fairness")


@dataclass
class EvidenceItem:
    kind: str
    summary: dict[str, Any]
    documents: dict[str, Any] = field(default_factory=dict)  # name -> JSON-able object or DataFrame


def predict_original(model, rows: pd.DataFrame) -> tuple[np.ndarray | None, np.ndarray]:
    """(probabilities or None, encoded predictions) for rows in their original columns.

    Works for a plain model and for a mitigated one (which needs the sensitive
    column and decides from its own thresholds).
    """
    if getattr(model, "requires_sensitive_features", None):
        proba = np.asarray(model.predict_proba(rows), dtype="float64")
        pred = pd.Index(model.classes).get_indexer(model.predict(rows))
        return proba, pred
    return model.predict_encoded(model.transform(rows))


def _performance(task: str, y: np.ndarray, proba: np.ndarray | None, pred: np.ndarray, classes: list[Any]) -> EvidenceItem:
    detail = performance_detail(task, y, proba, pred, classes)
    metrics = evaluate(task, y, proba, pred)
    return EvidenceItem("performance", {"n_rows": len(y), "holdout_metrics": metrics}, {"detail": detail})


def _explanations(explained_model, setting: EvaluationSetting, opts: EvidenceOptions) -> EvidenceItem:
    rows = setting.original("holdout")
    features = rows[explained_model.input_columns]
    result = explain(explained_model, features, max_rows=opts.shap_max_rows, seed=opts.seed)
    importance = result.global_importance()
    background = features.sample(n=min(BACKGROUND_ROWS, len(features)), random_state=opts.seed)
    values, data, meta = result.to_frames()
    documents: dict[str, Any] = {"values": values, "data": data, "meta": meta, "background": background}
    summary = {
        "explainer": result.explainer,
        "output_space": result.output_space,
        "n_rows": len(result.row_index),
        "top_features": importance.head(10).to_dict(orient="records"),
    }
    return EvidenceItem("explanations", summary, documents)


def _fairness(task: str, rows: pd.DataFrame, y: np.ndarray, proba: np.ndarray | None, pred: np.ndarray,
              sensitive: list[str], classes: list[Any], opts: EvidenceOptions) -> EvidenceItem | None:
    if not sensitive:
        return None
    if task == "regression":
        y_true, y_pred, positive = y, pred, None
    else:
        labels = np.asarray(classes, dtype=object)
        y_true, y_pred = labels[y], labels[pred]
        positive = classes[1] if task == "binary" else None
    report = fairness_report(
        task, y_true, y_pred, rows[sensitive].reset_index(drop=True), proba=proba, classes=list(classes),
        positive_label=positive, min_group_size=opts.min_group_size, n_bootstrap=opts.n_bootstrap, seed=opts.seed,
        favourable_label=next((c for c in classes if str(c) == str(opts.favourable_outcome)), None)
        if opts.favourable_outcome is not None else None, min_selection_rate=opts.min_selection_rate, min_tpr=opts.min_tpr,
    )
    data = report.to_dict()
    summary = {"sensitive_columns": sensitive, "findings": data.get("findings", [])}
    return EvidenceItem("fairness", summary, {"report": data})


def compute_evidence(task: str, setting: EvaluationSetting, *, eval_model, explained_model, sensitive: list[str],
                     classes: list[Any], options: EvidenceOptions, progress=lambda **_: None) -> list[EvidenceItem]:
    items: list[EvidenceItem] = []
    rows = setting.original("holdout")
    _, y = setting.encoded("holdout")
    proba, pred = predict_original(eval_model, rows)  # once, for performance and fairness
    if "performance" in options.kinds:
        progress(stage="performance on the holdout")
        items.append(_performance(task, y, proba, pred, classes))
    if "explanations" in options.kinds and explained_model is not None:
        progress(stage="SHAP explanations")
        items.append(_explanations(explained_model, setting, options))
    if "fairness" in options.kinds:
        progress(stage="fairness across groups")
        item = _fairness(task, rows, y, proba, pred, sensitive, classes, options)
        if item is not None:
            items.append(item)
    return items
