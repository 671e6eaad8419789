"""What the fitted library model actually sees and returns (no shap here).

A :class:`~automl_canvas.training.pipeline.CanvasModel` wraps one estimator
behind our preprocessor.  For FLAML's learners the estimator is a FLAML wrapper
that preprocesses the encoded frame once more before the library model sees it
(``SKLearnEstimator._preprocess`` turns pandas categories into their integer
codes for XGBoost, random forest, extra trees and logistic regression; LightGBM
gets the categorical frame unchanged and maps categories itself).  An explainer
must read the same matrix the library model reads, or its numbers explain a
different model; :class:`LibraryView` is the one place that knows this, and the
output space an explanation is in.

Output spaces (what the values add up to):

- ``log_odds``: binary boosted models (LightGBM, XGBoost, HistGradientBoosting)
  and logistic regression, for the positive class ``classes[1]``;
- ``margin``: the same models on multiclass problems, one raw score per class
  (the input of the softmax);
- ``probability``: random forest and extra trees classifiers (their trees
  average probabilities), and any classifier without a raw score;
- ``raw``: regression, the predicted value itself (every regressor here uses
  the squared error, whose raw score is the prediction).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .hgb_trees import hgb_raw_scores

if TYPE_CHECKING:
    from ..training.pipeline import CanvasModel

#: ``training.trainer.DEFAULT_LEARNER``, spelled out so that loading a stored
#: explanation does not import scikit-learn (a test checks they agree).
DEFAULT_LEARNER = "hist_gradient_boosting_default"

__all__ = ["DEFAULT_LEARNER", "ENSEMBLE_LEARNER", "OUTPUT_SPACES", "TREE_LEARNERS", "LibraryView", "hgb_has_categorical", "library_view"]

#: FLAML learners explained with shap's TreeExplainer.
TREE_LEARNERS = frozenset({"lgbm", "xgboost", "xgb_limitdepth", "catboost", "rf", "extra_tree"})
_LINEAR_LEARNERS = frozenset({"lrl1", "lrl2"})
#: ``training.ensemble.ENSEMBLE_LEARNER``, spelled out for the same reason as DEFAULT_LEARNER.
ENSEMBLE_LEARNER = "weighted_ensemble"
_MARGIN_LEARNERS = frozenset({"lgbm", "xgboost", "xgb_limitdepth", "catboost", DEFAULT_LEARNER, "lrl1", "lrl2", ENSEMBLE_LEARNER})

OUTPUT_SPACES = {
    "log_odds": "log-odds of the positive class",
    "margin": "raw score of each class (before the softmax)",
    "probability": "predicted probability",
    "raw": "predicted value",
}


def hgb_has_categorical(est: Any) -> bool:
    """Whether a HistGradientBoosting model has native categorical features."""
    flags = getattr(est, "is_categorical_", None)
    return flags is not None and bool(np.asarray(flags).any())


@dataclass(frozen=True)
class LibraryView:
    """The library model behind a CanvasModel, its input matrix and its output space."""

    model: CanvasModel
    #: The fitted library object an explainer reads (LGBMClassifier, XGBRegressor, ...).
    library_model: Any
    #: "tree", "linear", "permutation" or "ensemble" (the weighted sum of its members' explanations).
    explainer: str
    output_space: str
    #: Names of the explained outputs: class labels, or the target for regression.
    output_names: list[Any]
    #: Why this explainer was chosen, in one sentence (stored with the explanation).
    reason: str

    @property
    def family(self) -> str:
        """lgbm, xgboost, catboost, forest, linear, hgb, ensemble or other: how outputs are read from the library."""
        learner = self.model.learner
        if learner == "lgbm":
            return "lgbm"
        if learner == "catboost":
            return "catboost"
        if learner == ENSEMBLE_LEARNER:
            return "ensemble"
        if learner in ("xgboost", "xgb_limitdepth"):
            return "xgboost"
        if learner in ("rf", "extra_tree"):
            return "forest"
        if learner in _LINEAR_LEARNERS:
            return "linear"
        if learner == DEFAULT_LEARNER:
            return "hgb"
        return "other"

    def matrix(self, X_encoded: pd.DataFrame) -> pd.DataFrame:
        """The encoded frame exactly as the library model receives it at predict time."""
        if self.family in ("lgbm", "xgboost", "catboost", "forest", "linear"):
            return self.model.estimator.preprocess(X_encoded)
        return X_encoded

    def raw_output(self, M: pd.DataFrame) -> np.ndarray:
        """Library output on the library matrix, in :attr:`output_space`, shaped as the library returns it."""
        lib, family, task = self.library_model, self.family, self.model.task
        if family == "other":  # the estimator's own predict path, on encoded rows
            if task == "regression":
                return self.model.predict_encoded(M)[1]
            return self.model.predict_proba_encoded(M)
        if family == "lgbm":
            return np.asarray(lib.predict(M, raw_score=True), dtype="float64")
        if family == "ensemble":  # the weighted sum of the members' raw scores, on the encoded rows
            return np.asarray(lib.margin(M), dtype="float64")
        if family == "catboost" and task != "regression":
            return np.asarray(lib.predict(M, prediction_type="RawFormulaVal"), dtype="float64")
        if family == "hgb":  # decision_function / predict, on one thread (see hgb_raw_scores)
            return hgb_raw_scores(lib, M)
        if task == "regression":
            return np.asarray(lib.predict(M), dtype="float64")
        if family == "xgboost":
            return np.asarray(lib.predict(M, output_margin=True), dtype="float64")
        if family == "forest":
            return np.asarray(lib.predict_proba(M), dtype="float64")
        return np.asarray(lib.decision_function(M), dtype="float64")  # linear

    def output(self, X_encoded: pd.DataFrame) -> np.ndarray:
        """Model output on encoded rows, shape (n_rows, n_outputs), in :attr:`output_space`."""
        return self.select_outputs(self.raw_output(self.matrix(X_encoded)), ndim=2)

    def select_outputs(self, arr: np.ndarray, ndim: int) -> np.ndarray:
        """Keep the explained outputs on the last axis, adding that axis when a library left it out.

        ``ndim`` is the wanted rank with the output axis (2 for outputs or base
        values per row, 3 for SHAP values).  Binary classifiers are explained
        for the positive class only: libraries return either one score
        (log-odds) or two probabilities, whose second column is that class.
        """
        arr = np.asarray(arr, dtype="float64")
        if arr.ndim == ndim - 1:
            arr = arr[..., None]
        if self.model.task == "binary" and arr.shape[-1] == 2:
            arr = arr[..., 1:]
        return arr


def library_view(model: CanvasModel) -> LibraryView:
    """Decide, once, how ``model`` is explained (the one place for that rule)."""
    est, learner, task = model.estimator, model.learner, model.task
    lib = getattr(est, "model", None) if learner != DEFAULT_LEARNER else est
    if lib is None:
        lib = est
    if task == "regression":
        space, names = "raw", [model.target]
    else:
        names = list(model.classes[1:2]) if task == "binary" else list(model.classes)
        space = ("log_odds" if task == "binary" else "margin") if learner in _MARGIN_LEARNERS else "probability"
    if learner == ENSEMBLE_LEARNER:
        kind, reason = "ensemble", ("exact: the weighted sum of the members' SHAP values in the raw-score space the "
                                    "ensemble adds (TreeSHAP for tree members, linear SHAP for the linear member)")
    elif learner in TREE_LEARNERS:
        kind, reason = "tree", "TreeSHAP (exact, fast) on the fitted tree ensemble"
    elif learner in _LINEAR_LEARNERS:
        kind, reason = "linear", "exact SHAP of a linear model against the background rows' mean"
    elif learner == DEFAULT_LEARNER and not hgb_has_categorical(est):
        kind, reason = "tree", "TreeSHAP on HistGradientBoosting (numeric features only)"
    elif learner == DEFAULT_LEARNER:
        kind = "tree"
        reason = (
            "TreeSHAP on an exact LightGBM copy of the HistGradientBoosting trees (shap reads their "
            "categorical splits as numeric thresholds); the copy's predictions are checked on every explained row"
        )
    else:
        kind, reason = "permutation", f"no exact explainer for learner '{learner}': sampled permutation SHAP"
    return LibraryView(model=model, library_model=lib, explainer=kind, output_space=space, output_names=names, reason=reason)
