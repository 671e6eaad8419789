"""The phases share one budget: a short one skips the portfolio (and says so); a trial-bounded build
runs every phase whatever the clock says, so it gives the same model twice."""

from __future__ import annotations

import pytest

from automl_canvas.datasets.profiling import profile_frame
from automl_canvas.training.spec import TrainingRequest, resolve_spec
from automl_canvas.training.trainer import train

from .tables import additive_table

pytestmark = pytest.mark.slow


def _spec(df, **req):
    return resolve_spec(TrainingRequest(target="bought", seed=5, **req), profile_frame(df).to_dict(), lambda c: df[c],
                        max_classes=100, default_seed=0)


def test_a_trial_bounded_build_is_repeatable():
    df = additive_table(n=300)
    spec = _spec(df, budget=300, max_trials=2, learners=["lgbm", "lrl1"])
    first = train(df, spec, n_jobs=1, cv_folds=3)
    second = train(df, spec, n_jobs=1, cv_folds=3)
    assert first.recipe["max_trials"] == 2 and first.recipe["search"]["trials"] == 2
    assert [e["learner"] for e in first.recipe["portfolio"]] == ["lgbm", "lrl1"]  # nothing skipped for time
    assert "fresh_folds" in first.recipe
    assert (first.best_learner, first.recipe["hyperparameters"]) == (second.best_learner, second.recipe["hyperparameters"])
    assert first.holdout_score == second.holdout_score


def test_a_short_budget_skips_the_portfolio_and_says_so():
    df = additive_table(n=300)
    out = train(df, _spec(df, budget=1), n_jobs=1, cv_folds=3)
    skipped = [n for n in out.notes if n.get("kind") == "portfolio_skipped"]
    assert len(skipped) == 1 and "a longer budget tries them" in skipped[0]["message"]
    assert out.model is not None and out.recipe["portfolio"] == []
