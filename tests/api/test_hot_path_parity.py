"""The hot path's scorer answers exactly as the frame path does, for every learner the product trains.

Real models: the churn sample's preprocessing and each learner fitted by the trainer's own
``fit_estimator`` (small configurations so the whole grid fits in seconds), for a binary task
deciding at a stored cut-off, a three-class task and a regression.  Records: real rows, and
awkward ones (everything missing, unseen categories, numbers sent for categories, booleans,
integers for floats, odd date formats).  Predictions, probabilities and the said class's
probability must be *equal*, not close.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from automl_canvas.datasets.profiling import profile_frame
from automl_canvas.registry.fast_scoring import build_scorer
from automl_canvas.training.leaderboard import DEFAULT_LEARNER
from automl_canvas.training.pipeline import CanvasModel
from automl_canvas.training.preprocess import TabularPreprocessor, plan_features
from automl_canvas.training.trainer import fit_estimator
from tests.conftest import SAMPLE_DATA

LEARNERS = {"lgbm": {"n_estimators": 20, "num_leaves": 8}, "xgboost": {"n_estimators": 20, "max_leaves": 8},
            "xgb_limitdepth": {"n_estimators": 20, "max_depth": 4}, "rf": {"n_estimators": 15},
            "extra_tree": {"n_estimators": 15}, DEFAULT_LEARNER: {},
            # an ensemble of the boosters the hot path covers: their raw scores weighted and summed, then linked
            "weighted_ensemble": {"members": [{"learner": "lgbm", "config": {"n_estimators": 20, "num_leaves": 8}, "weight": 0.5},
                                              {"learner": "xgboost", "config": {"n_estimators": 20, "max_leaves": 8}, "weight": 0.3},
                                              {"learner": DEFAULT_LEARNER, "config": {}, "weight": 0.2}]}}
TASKS = {"binary": "churned", "multiclass": "contract", "regression": "monthly_charges"}


@pytest.fixture(scope="module")
def churn() -> pd.DataFrame:
    return pd.read_csv(SAMPLE_DATA / "churn.csv", nrows=600).drop(columns=["customer_id"])


def _model(df: pd.DataFrame, task: str, learner: str) -> CanvasModel:
    target = TASKS[task]
    plan = plan_features(profile_frame(df, target).to_dict(), target)
    X_raw, y_raw = df.drop(columns=[target]), df[target]
    pre = TabularPreprocessor(plan).fit(X_raw)
    X = pre.transform(X_raw)
    if task == "regression":
        classes, y = [], y_raw.to_numpy(dtype="float64")
    else:
        classes = sorted(y_raw.unique().tolist())
        y = np.array([classes.index(v) for v in y_raw])
    flaml_task = "regression" if task == "regression" else ("binary" if task == "binary" else "multiclass")
    est = fit_estimator(flaml_task, learner, dict(LEARNERS[learner]), 0, 1, X, y)
    return CanvasModel(task=task, target=target, learner=learner, preprocessor=pre, estimator=est, classes=classes,
                       threshold=0.3 if task == "binary" else None)


def _awkward(real: list[dict]) -> list[dict]:
    base = real[0]
    cats = [k for k, v in base.items() if isinstance(v, str) and k != "signup_date"]
    nums = [k for k, v in base.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    yield_ = [{k: None for k in base},                                            # everything unknown
              {**base, **{c: "never seen before" for c in cats}},                  # unseen categories
              {**base, **{c: 3 for c in cats}},                                   # numbers for categories
              {**base, **{c: True for c in cats[:1]}, **{c: 2.5 for c in cats[1:2]}},
              {**base, **{n: round(float(base[n])) for n in nums}},           # integers for floats
              {**base, **{n: 0 for n in nums}},
              {**base, "signup_date": "2024-01-31T22:30:00+05:00"},                # a time and an offset
              {**base, "signup_date": "31 January 2023"},
              {**base, "signup_date": None}]
    return [r for r in yield_ if all(k in base for k in r)]


def _records(df: pd.DataFrame, target: str) -> list[dict]:
    rows = df.drop(columns=[target]).head(25)
    real = [{c: (None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)) for c, v in r.items()}
            for _, r in rows.iterrows()]
    return real + _awkward(real)


#: learners whose fits take tens of seconds (the default model's boosting, and an ensemble that includes it)
SLOW_LEARNERS = (DEFAULT_LEARNER, "weighted_ensemble")


@pytest.mark.parametrize("task", list(TASKS))
@pytest.mark.parametrize("learner", [pytest.param(lrn, marks=pytest.mark.slow) if lrn in SLOW_LEARNERS else lrn
                                     for lrn in LEARNERS])
def test_fast_scorer_equals_the_frame_path(churn, task, learner):
    model = _model(churn, task, learner)
    scorer = build_scorer(model)
    assert scorer is not None, f"{learner} should have a fast scorer"
    for record in _records(churn, TASKS[task]):
        frame = model.predict_frame(pd.DataFrame([record], columns=model.input_columns))
        prediction, proba, k = scorer.score(record)
        assert prediction == frame["prediction"].iat[0], record
        assert type(prediction) is type(frame["prediction"].tolist()[0])
        if task == "regression":
            assert proba is None
            continue
        expected = frame[[f"probability_{c}" for c in model.classes]].to_numpy()[0]
        np.testing.assert_array_equal(proba, expected, err_msg=str(record))
        assert float(proba[k]) == float(frame["confidence"].iat[0])


def test_a_binary_ensemble_with_a_forest_member_scores_as_the_frame_path(churn):
    """A forest joins a binary ensemble through its recorded Platt line: the hot path applies the same line."""
    model = _model(churn, "binary", "lgbm")
    X = model.transform(churn.drop(columns=["churned"]))
    y = (churn["churned"] == "Yes").to_numpy().astype(int)
    with_forest = {"members": [{"learner": "lgbm", "config": {"n_estimators": 20, "num_leaves": 8}, "weight": 0.6},
                               {"learner": "extra_tree", "config": {"n_estimators": 15}, "weight": 0.4,
                                "platt": [-3.0, 6.0]}]}
    ens = dataclasses.replace(model, learner="weighted_ensemble",
                              estimator=fit_estimator("binary", "weighted_ensemble", with_forest, 0, 1, X, y))
    scorer = build_scorer(ens)
    assert scorer is not None
    for record in _records(churn, "churned"):
        frame = ens.predict_frame(pd.DataFrame([record], columns=ens.input_columns))
        prediction, proba, _ = scorer.score(record)
        assert prediction == frame["prediction"].iat[0], record
        np.testing.assert_array_equal(proba, frame[[f"probability_{c}" for c in ens.classes]].to_numpy()[0])


def test_the_cut_off_decides_binary_answers(churn):
    """At a cut-off of 0.99 almost everything is 'No'; at 0.01 'Yes': the scorer follows the model's threshold."""
    model = _model(churn, "binary", "lgbm")
    rec = _records(churn, "churned")[0]
    for cut, said in ((0.999999, "No"), (0.000001, "Yes")):
        assert build_scorer(dataclasses.replace(model, threshold=cut)).score(rec)[0] == said


def test_a_learner_without_a_fast_scorer_takes_the_frame_path(churn):
    model = _model(churn, "binary", "lgbm")
    X = model.transform(churn.drop(columns=["churned"]))
    y = (churn["churned"] == "Yes").to_numpy().astype(int)
    lrl1 = dataclasses.replace(model, learner="lrl1", estimator=fit_estimator("binary", "lrl1", {}, 0, 1, X, y))
    assert build_scorer(lrl1) is None  # an L1 logistic regression is served by the frame path
    with_linear = {"members": [{"learner": "lgbm", "config": {"n_estimators": 5}, "weight": 0.5},
                               {"learner": "lrl1", "config": {}, "weight": 0.5}]}
    ens = dataclasses.replace(model, learner="weighted_ensemble",
                              estimator=fit_estimator("binary", "weighted_ensemble", with_linear, 0, 1, X, y))
    assert build_scorer(ens) is None  # and so is an ensemble with a member the hot path does not cover
    assert build_scorer("not a model") is None
