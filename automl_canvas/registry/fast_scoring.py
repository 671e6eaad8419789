"""One record straight into a numpy row and through the fitted booster: the hot path's scorer.

Why: a predict request carries one record, and building pandas frames for it (the
preprocessor's frame, FLAML's copy with category codes, the learner's own checks)
costs milliseconds, while the trees themselves answer in tens of microseconds.
:class:`FastScorer` pins, from the :class:`~automl_canvas.training.pipeline.CanvasModel`,
the same encoding the preprocessor applies (category codes into the pinned levels,
unseen and missing values as ``MISSING_READ_AS``/``__other__``, numeric and date-part
medians for missing values) and calls the learner's predictor on a float row.

It covers the learners the product trains: LightGBM, XGBoost (both FLAML learners),
random forest and extra trees, and scikit-learn's HistGradientBoosting (the default
model).  :func:`build_scorer` returns None for anything else (an L1 logistic
regression, an ensemble with a CatBoost or linear member, a model pickled by a future version), and the caller uses
the frame path, so every model is still served, only not all of them fast.
tests/api/test_hot_path_parity.py checks both paths give identical answers per learner.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..training.margins import as_columns, link, scaled
from ..training.pipeline import CanvasModel
from ..training.preprocess import MISSING_READ_AS, OTHER, parse_date

__all__ = ["FastScorer", "build_scorer"]

Predictor = Callable[[np.ndarray], np.ndarray]


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


class _RowEncoder:
    """The preprocessor's encoding of one validated record, into a float64 row (categories as level codes)."""

    def __init__(self, pre):
        self.width = len(pre.output_columns)
        position = {name: i for i, name in enumerate(pre.output_columns)}
        self.slots: list[tuple] = []
        for col, kind in pre.plan.kinds.items():
            if kind == "categorical":
                levels = {level: float(i) for i, level in enumerate(pre.categories[col])}
                self.slots.append((col, "c", position[pre._names[(col, "")]], levels, levels[OTHER], levels[MISSING_READ_AS]))
            elif kind == "numeric":
                self.slots.append((col, "n", position[pre._names[(col, "")]], pre.fill[col]))
            else:
                parts = [(p, position[pre._names[(col, p)]], pre.fill[f"{col}__{p}"]) for p in pre.date_parts[col]]
                self.slots.append((col, "d", parts))

    def encode(self, record: dict[str, Any]) -> np.ndarray:
        row = np.empty((1, self.width), dtype="float64")
        out = row[0]
        for slot in self.slots:
            v = record[slot[0]]
            if slot[1] == "c":
                _, _, i, levels, other, missing = slot
                out[i] = missing if _missing(v) else levels.get(str(v), other)
            elif slot[1] == "n":
                _, _, i, fill = slot
                out[i] = fill if v is None else float(v)
            else:
                ts = _timestamp(v)
                for part, i, fill in slot[2]:
                    out[i] = fill if ts is None else float(getattr(ts, part))
        return row


def _timestamp(v: Any):
    """The frame path's date rule (``_parse_dates``) for one value: parsed as UTC, then naive."""
    return None if v is None else parse_date(v)


def _two_columns(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype="float64")
    return np.vstack((1.0 - p, p)).transpose() if p.ndim == 1 else p


def _lightgbm(inner, classification: bool) -> Predictor:
    booster = inner.booster_
    if classification:
        return lambda X: _two_columns(booster.predict(X))
    return lambda X: booster.predict(X)


def _xgb_inplace(inner, kind: str) -> Predictor:
    """What XGBoost's scikit-learn ``predict`` runs on a numpy row (its booster's ``inplace_predict`` over the same
    trees: every tree, or up to the best iteration of an early-stopped model), without the wrapper's per-call
    global-configuration context, which was most of a one-row call."""
    booster, rng, missing = inner.get_booster(), inner._get_iteration_range(None), inner.missing
    return lambda X: booster.inplace_predict(X, iteration_range=rng, predict_type=kind, missing=missing,
                                             validate_features=False)


def _xgboost(inner, classification: bool) -> Predictor:
    value = _xgb_inplace(inner, "value")
    if not classification:
        return value
    if getattr(inner, "n_classes_", 2) > 2:
        return value  # the class probabilities, as predict_proba returns them
    # binary: predict_proba's two columns, computed in the booster's own float32 as it does
    return lambda X: (lambda p: np.vstack((1 - p, p)).transpose())(value(X))


def _forest(inner, classification: bool) -> Predictor:
    """The forest's own sum over trees, in tree order (what it does with one thread), without its checks."""
    trees = list(inner.estimators_)
    n = len(trees)

    def predict(X):
        X32 = np.ascontiguousarray(X, dtype="float32")
        if classification:
            total = trees[0].predict_proba(X32, check_input=False).copy()
            for t in trees[1:]:
                total += t.predict_proba(X32, check_input=False)
        else:
            total = trees[0].predict(X32, check_input=False).astype("float64")
            for t in trees[1:]:
                total += t.predict(X32, check_input=False)
        total /= n
        return total

    return predict


def _hist_gradient_boosting(inner, classification: bool, pre) -> Predictor | None:
    """scikit-learn's own prediction steps after its column encoder (whose codes count only training's levels)."""
    raw = _hgb_raw(inner, pre)
    if raw is None:
        return None
    if classification:
        return lambda X: inner._loss.predict_proba(raw(X))
    return lambda X: inner._loss.link.inverse(raw(X).ravel())


def _hgb_raw(inner, pre) -> Predictor | None:
    """The raw scores (n_rows, n_trees_per_iteration) of a HistGradientBoosting model on encoded float rows."""
    prep = getattr(inner, "_preprocessor", None)
    remap: list[tuple[int, np.ndarray]] = []
    if prep is not None:
        encoder = prep.named_transformers_["encoder"]
        cat_positions = list(np.flatnonzero(inner.is_categorical_))
        if cat_positions != list(range(len(cat_positions))):
            return None  # our frames list categories first; anything else is not a model we built
        for pos, known in zip(cat_positions, encoder.categories_):
            col = pre.source[pre.output_columns[pos]]
            index = {str(v): float(i) for i, v in enumerate(known)}
            remap.append((pos, np.array([index.get(level, np.nan) for level in pre.categories[col]], dtype="float64")))
    bitsets = inner._bin_mapper.make_known_categories_bitsets()

    def raw(X):
        if remap:
            X = X.copy()
            for pos, table in remap:
                X[:, pos] = table[X[:, pos].astype("int64")]
        out = np.zeros((X.shape[0], inner.n_trees_per_iteration_), dtype=inner._baseline_prediction.dtype, order="F")
        out += inner._baseline_prediction
        for trees in inner._predictors:
            for k, predictor in enumerate(trees):
                out[:, k] += predictor.predict(X, known_cat_bitsets=bitsets[0], f_idx_map=bitsets[1], n_threads=1)
        return out

    return raw


def _margin(task: str, learner: str, est, pre, scale=None) -> Predictor | None:
    """An ensemble member's raw score (training/margins.py) on encoded float rows, for the learners covered here."""
    inner = getattr(est, "_model", None) or est
    module, name = type(inner).__module__, type(inner).__name__
    if task == "regression":
        predictor = _single(task, inner, module, name, pre)
        return None if predictor is None else (lambda X: np.asarray(predictor(X), dtype="float64").reshape(-1))
    if scale is not None:  # a binary forest: its Platt line of the positive-class probability
        predictor = _single(task, inner, module, name, pre)
        return None if predictor is None else (lambda X: scaled(np.asarray(predictor(X), dtype="float64")[:, -1], scale))
    if module.startswith("lightgbm") and name == "LGBMClassifier":
        booster = inner.booster_
        return lambda X: as_columns(booster.predict(X, raw_score=True), task)
    if module.startswith("xgboost") and name == "XGBClassifier":
        margin = _xgb_inplace(inner, "margin")
        return lambda X: as_columns(margin(X), task)
    if module.startswith("sklearn.ensemble") and name == "HistGradientBoostingClassifier":
        raw = _hgb_raw(inner, pre)
        return None if raw is None else (lambda X: as_columns(raw(X), task))
    return None  # CatBoost reads category labels and the linear model FLAML's frame: the frame path serves them


def _ensemble(model) -> Predictor | None:
    """The members' raw scores, weighted and summed as the ensemble does, then linked (training/ensemble.py)."""
    parts = []
    for m in model.estimator.members:
        margin = _margin(model.task, m.learner, m.estimator, model.preprocessor, getattr(m, "scale", None))
        if margin is None:
            return None
        parts.append((float(m.weight), margin))
    task = model.task

    def predict(X):
        total = None
        for w, margin in parts:
            total = w * margin(X) if total is None else total + w * margin(X)
        return link(task, total)

    return predict


def _single(task: str, inner, module: str, name: str, pre) -> Predictor | None:
    classification = task != "regression"
    if module.startswith("lightgbm") and name in ("LGBMClassifier", "LGBMRegressor"):
        return _lightgbm(inner, classification)
    if module.startswith("xgboost") and name in ("XGBClassifier", "XGBRegressor"):
        return _xgboost(inner, classification)
    if module.startswith("sklearn.ensemble") and name in ("RandomForestClassifier", "RandomForestRegressor",
                                                         "ExtraTreesClassifier", "ExtraTreesRegressor"):
        return _forest(inner, classification)
    if module.startswith("sklearn.ensemble") and name.startswith("HistGradientBoosting"):
        return _hist_gradient_boosting(inner, classification, pre)
    return None


def _predictor(model) -> Predictor | None:
    if type(model.estimator).__name__ == "WeightedEnsemble":
        return _ensemble(model)
    inner = getattr(model.estimator, "_model", None) or model.estimator  # FLAML's estimators wrap the library's model
    return _single(model.task, inner, type(inner).__module__, type(inner).__name__, model.preprocessor)


class FastScorer:
    """Scores one validated record like ``CanvasModel.predict_frame`` does, without frames."""

    def __init__(self, model, predictor: Predictor):
        self.model = model
        self.encoder = _RowEncoder(model.preprocessor)
        self.predictor = predictor
        self.classification = model.task != "regression"
        self.classes = list(model.classes)
        self.threshold = getattr(model, "threshold", None) if model.task == "binary" else None

    def score(self, record: dict[str, Any]) -> tuple[Any, np.ndarray | None, int | None]:
        """(the prediction, the class probabilities or None, the said class's index or None), decided as
        ``CanvasModel.predict_encoded`` does."""
        out = self.predictor(self.encoder.encode(record))
        if not self.classification:
            return float(np.asarray(out, dtype="float64").reshape(-1)[0]), None, None
        proba = np.asarray(out, dtype="float64").reshape(1, -1)[0]
        if self.threshold is not None:
            k = int(proba[1] >= self.threshold)
        else:
            k = int(proba.argmax())
        return self.classes[k], proba, k


def build_scorer(model) -> FastScorer | None:
    """A fast scorer for ``model``, or None when its learner is not covered (the caller uses the frame path)."""
    if not isinstance(model, CanvasModel):
        return None
    try:
        predictor = _predictor(model)
        return FastScorer(model, predictor) if predictor is not None else None
    except (AttributeError, KeyError, TypeError, ValueError):  # a library version whose internals moved
        return None
