"""The whole path: a model delivered by ``train()`` (a real, tiny FLAML search) is explained."""

from __future__ import annotations

import pytest
from numpy.testing import assert_allclose

from automl_canvas.datasets.profiling import profile_frame
from automl_canvas.explain import explain, model_output
from automl_canvas.training.spec import TrainingRequest, resolve_spec
from automl_canvas.training.trainer import train

from .builders import make_frame

pytestmark = pytest.mark.slow


def test_a_trained_model_is_explained_on_its_holdout_rows():
    df = make_frame("binary", n=150, seed=4)
    profile = profile_frame(df).to_dict()
    spec = resolve_spec(
        TrainingRequest(target="target", budget=2, learners=["lgbm"]),
        profile, lambda c: df[c], max_classes=100, default_seed=0,
    )
    outcome = train(df, spec, n_jobs=1, cv_folds=3)
    model = outcome.model
    holdout = df.iloc[outcome.holdout_index]

    expl = explain(model, holdout, background=df.drop(index=holdout.index))
    assert expl.learner == outcome.best_learner and expl.n_rows == len(holdout)
    assert expl.columns.count("signup") == 1
    assert_allclose(expl.output_values(), model_output(model, holdout.loc[expl.row_index]), atol=1e-4, rtol=0)
