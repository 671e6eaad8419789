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
    """Whatever the machine's speed: a candidate is fitted or named as skipped, and a spent budget skips them all."""
    from automl_canvas.training.folds import FoldEvidence, make_splitter
    from automl_canvas.training.leaderboard import DEFAULT_LEARNER
    from automl_canvas.training.phases import Clock, fit_portfolio
    from automl_canvas.training.portfolio import portfolio

    df = additive_table(n=300)
    out = train(df, _spec(df, budget=1), n_jobs=1, cv_folds=3)
    assert out.model is not None
    offered = [e.learner for e in portfolio("binary", out.model.transform(df), (df["bought"] == "yes").to_numpy(int),
                                            ("lgbm", "catboost", "xgboost", "extra_tree", "lrl1"))]
    fitted = [e["learner"] for e in out.recipe["portfolio"]]
    skipped = " ".join(n["message"] for n in out.notes if n.get("kind") == "portfolio_skipped")
    assert all(learner in fitted or learner in skipped for learner in offered)

    # a budget already spent: nothing is started, and the note names every candidate
    X, y = out.model.transform(df), (df["bought"] == "yes").to_numpy(int)
    ev = FoldEvidence("binary", "roc_auc", X, y, make_splitter("binary", y, 3, 0), seed=0, n_jobs=1)
    default = ev.fit(DEFAULT_LEARNER, {}, "default model")
    notes: list = []
    entries = portfolio("binary", X, y, ("lgbm", "lrl1"))
    assert fit_portfolio(ev, entries, Clock(0.0), default.seconds, notes) == []
    assert [n["kind"] for n in notes] == ["portfolio_skipped"]
    assert "lgbm, lrl1" in notes[0]["message"] and "a longer budget tries them" in notes[0]["message"]
