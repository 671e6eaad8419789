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
    entries = portfolio("binary", X, y, ("lgbm", "lrl1", "extra_tree"))
    assert fit_portfolio(ev, entries, Clock(0.0), default.seconds, notes) == []
    assert [n["kind"] for n in notes] == ["portfolio_skipped"]
    # the two extra-trees candidates are told apart: the mined configuration and scikit-learn's defaults
    assert "lgbm, extra_tree, lrl1, scikit-learn's extra_tree default(s)" in notes[0]["message"]
    assert "a longer budget tries them" in notes[0]["message"]


def test_the_clock_says_what_still_fits_and_where_the_time_went():
    import time

    from automl_canvas.training.phases import Clock, full_refit_seconds

    clock = Clock(10.0)
    assert clock.fits(5.0) and not clock.fits(20.0)  # the promise: 10 s + 10 % + 5 s
    assert clock.fits(13.0) and not clock.fits(14.0)  # ... less 2.5 s for reading the table and saving the model
    clock.started -= 30.0  # a build already past its promise: nothing more fits
    assert not clock.fits(0.1)
    assert Clock(0.0, repeatable=True).fits(1e9)  # a trial-bounded build is never cut for time
    clock.mark("search")
    clock.mark("refits")
    phases = clock.phases()
    assert list(phases) == ["search", "refits"] and phases["search"] >= 30.0 and 0 <= phases["refits"] < 1.0
    assert time.monotonic() - clock.started >= sum(phases.values()) - 1e-6
    # the all-rows refit is planned from the measured train+validation fit, scaled by rows
    assert full_refit_seconds(8.0, 800, 1000) == pytest.approx(10.0)


def test_the_large_table_search_ends_when_told_and_keeps_its_best_model():
    """The large-table stop rule ends FLAML's search after a trial (its time budget set to what it used):
    the model it found is kept, unlike a wrap-up, and the recipe can say why it ended early."""
    import tempfile
    from pathlib import Path

    from automl_canvas.training.preprocess import TabularPreprocessor
    from automl_canvas.training.search import run_search

    df = additive_table(n=600)
    spec = _spec(df, budget=30)
    X = TabularPreprocessor(spec.plan).fit(df).transform(df)
    y = (df["bought"] == "yes").to_numpy(int)
    asked: list[tuple[float, float]] = []

    def stop_if(best_fit_seconds: float, longest_trial_seconds: float, partner_fit_seconds: float, kept) -> bool:
        asked.append((best_fit_seconds, longest_trial_seconds))
        assert partner_fit_seconds == 0.0  # no kept models, so no blend partner to plan for
        return len(asked) >= 2

    with tempfile.TemporaryDirectory() as tmp:
        out = run_search(X.iloc[:400], y[:400], X.iloc[400:], y[400:], task="binary", metric="roc_auc", time_budget=30,
                         seed=0, n_jobs=1, log_path=Path(tmp) / "log.jsonl", learners=("lgbm",), stop_if=stop_if)
    assert len(asked) == 2 and all(b > 0 and t >= 0 for b, t in asked)
    assert out.ended_for_refits and not out.stopped_early
    assert len(out.trials) == 2  # a 30 s budget on 400 rows would have run hundreds
    assert out.model is not None and out.model.predict_proba(X.iloc[400:]).shape == (200, 2)


def test_with_kept_models_the_stop_rule_is_told_the_runner_up_learners_fit_time():
    """A blend member in waiting: once a second learner has a kept model fitted on every row, the stop rule
    hears its fit time, so the search leaves time to refit a blend with it (phases.refits_stop_rule)."""
    import tempfile
    from pathlib import Path

    from automl_canvas.training.preprocess import TabularPreprocessor
    from automl_canvas.training.search import run_search

    df = additive_table(n=600)
    spec = _spec(df, budget=30)
    X = TabularPreprocessor(spec.plan).fit(df).transform(df)
    y = (df["bought"] == "yes").to_numpy(int)
    partners: list[float] = []
    kept_now: list[list] = []

    def stop_if(best_fit_seconds: float, longest_trial_seconds: float, partner_fit_seconds: float, kept) -> bool:
        partners.append(partner_fit_seconds)
        if partner_fit_seconds > 0:
            kept_now.append(kept())
        return False

    with tempfile.TemporaryDirectory() as tmp:  # trial-bounded: the two learners take turns
        run_search(X.iloc[:400], y[:400], X.iloc[400:], y[400:], task="binary", metric="roc_auc", time_budget=30,
                   seed=0, n_jobs=1, log_path=Path(tmp) / "log.jsonl", learners=("lgbm", "lrl1"), stop_if=stop_if,
                   max_iter=6, keep_models=True)
    assert partners[0] == 0.0  # after the first trial there is no runner-up yet
    assert max(partners) > 0.0
    # and the models kept so far, for a rule that tries their blend first: one per learner, each fitted
    assert {learner for learner, *_ in kept_now[-1]} == {"lgbm", "lrl1"}
    assert all(est.predict_proba(X.iloc[400:]).shape == (200, 2) for _, _, est, _ in kept_now[-1])


def test_the_stop_rule_keeps_a_blends_refits_in_hand_only_when_there_is_a_partner():
    from automl_canvas.training.phases import Clock, refits_stop_rule

    clock = Clock(60.0)  # the promise: 1.1 * 60 + 5 = 71 s, 68.5 s of it for training
    # 8,000 search rows, 10,000 train+validation rows, 12,500 rows in all (x1.1: 1.375 and 1.72); default fit 1 s
    single = refits_stop_rule(clock, 8_000, 10_000, 12_500, 1.0, True)
    blend = refits_stop_rule(clock, 8_000, 10_000, 12_500, 1.0, True, blend=True)
    # a 30 s best model alone: 1.375 * 31 + 1.72 * 30 = 94 s of refits -- past the promise either way
    assert single(30.0, 1.0, 0.0) and blend(30.0, 1.0, 0.0)
    # a 3 s best model, 55 s into the longest trial: alone 1.375 * 4 + 1.72 * 3 = 11 s of refits (fits);
    # with a 2 s runner-up, a blend's 3.09 * 6 = 19 s (does not fit, and is within 35 % of the budget: kept in hand)
    assert not single(3.0, 55.0, 2.0)
    assert not blend(3.0, 55.0, 0.0)
    assert blend(3.0, 55.0, 2.0)
    # a slow runner-up (30 s: a blend's refits would take 105 s) does not end the search early: the blend
    # would leave it out anyway (validation_blend.decide)
    assert not blend(3.0, 55.0, 30.0)


def test_the_search_ends_early_for_a_blend_only_when_the_kept_models_blend_pays():
    """The blend's refits are kept in hand only if a blend of the models kept so far beats the best of them on
    the validation rows; asked once (the first time it would end the search), the answer holds."""
    from automl_canvas.training.phases import Clock, refits_stop_rule

    asked: list[list] = []

    def never(kept: list) -> bool:
        asked.append(kept)
        return False

    rule = refits_stop_rule(Clock(60.0), 8_000, 10_000, 12_500, 1.0, True, blend=True, blend_pays=never)
    assert not rule(3.0, 55.0, 2.0, lambda: ["kept models"]) and asked == [["kept models"]]
    assert not rule(3.0, 55.0, 2.0, lambda: ["later"]) and len(asked) == 1  # the answer holds
    assert rule(30.0, 1.0, 2.0, list)  # the single model's own refits still end it
    def broken(kept: list) -> bool:
        raise ValueError("a kept model that cannot score")

    failing = refits_stop_rule(Clock(60.0), 8_000, 10_000, 12_500, 1.0, True, blend=True, blend_pays=broken)
    assert not failing(3.0, 55.0, 2.0, list)  # a failed question is a no: the search goes on, the build with it
    paying = refits_stop_rule(Clock(60.0), 8_000, 10_000, 12_500, 1.0, True, blend=True, blend_pays=lambda kept: True)
    assert not paying(3.0, 10.0, 2.0, list)  # time enough for a blend: no question asked
    assert paying(3.0, 55.0, 2.0, list)
