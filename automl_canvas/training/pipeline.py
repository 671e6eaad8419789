"""The delivered model: pinned preprocessing + one fitted estimator + the label map.

This object is what is pickled into a model artifact.  It depends only on our
preprocessor and a plain fitted estimator, so predictions never need FLAML's
search state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .preprocess import TabularPreprocessor

__all__ = ["CanvasModel", "make_baseline", "make_default_model"]


def make_default_model(task: str, seed: int):
    """The strong one-liner a data scientist would try first."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    cls = HistGradientBoostingRegressor if task == "regression" else HistGradientBoostingClassifier
    return cls(random_state=seed, categorical_features="from_dtype")


def make_baseline(task: str):
    """The naive answer every model must beat: the majority class or the mean."""
    from sklearn.dummy import DummyClassifier, DummyRegressor

    return DummyRegressor(strategy="mean") if task == "regression" else DummyClassifier(strategy="prior")


@dataclass
class CanvasModel:
    task: str
    target: str
    learner: str
    preprocessor: TabularPreprocessor
    estimator: Any
    #: Original class labels in encoded order (classification); empty for regression.
    classes: list[Any]
    #: Binary only: say the second class when its probability is >= this (the version's operating point).
    #: None decides by the larger probability (models pickled before operating points existed).
    threshold: float | None = None

    @property
    def input_columns(self) -> list[str]:
        return self.preprocessor.input_columns

    def transform(self, df: pd.DataFrame) -> pd.DataFrame:
        return self.preprocessor.transform(df)

    def predict_proba_encoded(self, X: pd.DataFrame) -> np.ndarray:
        proba = np.asarray(self.estimator.predict_proba(X), dtype="float64")
        if proba.ndim == 1:
            proba = np.column_stack([1 - proba, proba])
        return proba

    def predict_encoded(self, X: pd.DataFrame) -> tuple[np.ndarray | None, np.ndarray]:
        """(probabilities or None, encoded predictions) on already-transformed rows."""
        if self.task == "regression":
            return None, np.asarray(self.estimator.predict(X), dtype="float64")
        proba = self.predict_proba_encoded(X)
        cut = getattr(self, "threshold", None)
        if cut is not None and self.task == "binary":
            return proba, (proba[:, 1] >= cut).astype("int64")
        return proba, proba.argmax(axis=1)

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        _, pred = self.predict_encoded(self.transform(df))
        if self.task == "regression":
            return pred
        return np.asarray(self.classes, dtype=object)[pred]

    def predict_frame(self, df: pd.DataFrame) -> pd.DataFrame:
        """Predictions in analyst-friendly columns: prediction, confidence, one probability per class."""
        proba, pred = self.predict_encoded(self.transform(df))
        out = pd.DataFrame(index=df.index)
        if self.task == "regression":
            out["prediction"] = pred
            return out
        out["prediction"] = np.asarray(self.classes, dtype=object)[pred]
        # the probability of the outcome it says (at a cut-off below 0.5 that can be under one half)
        out["confidence"] = proba[np.arange(len(pred)), pred]
        for i, c in enumerate(self.classes):
            out[f"probability_{c}"] = proba[:, i]
        return out
