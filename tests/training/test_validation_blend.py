"""Large tables: the weighted ensemble judged on the validation rows (training/validation_blend.py).

The path is taken on tables above ``cv_max_rows``; here a small table is sent down it by setting that
limit to 100 rows, so the build takes seconds. The table is one where a linear and a tree model together
beat each alone (tests/training/tables.py), and the search is trial-bounded, so the outcome does not
depend on the machine's speed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from automl_canvas.datasets.profiling import profile_frame
from automl_canvas.explain import explain, model_output
from automl_canvas.training.ensemble import ENSEMBLE_LEARNER
from automl_canvas.training.estimators import fit_estimator
from automl_canvas.training.leaderboard import DEFAULT_LEARNER
from automl_canvas.training.metrics import evaluate, resolve_metric
from automl_canvas.training.pipeline import make_default_model
from automl_canvas.training.spec import TrainingRequest, resolve_spec
from automl_canvas.training.trainer import prepare_rows, train
from automl_canvas.training.validation_blend import Member, blend_on_validation

from .tables import additive_table, noise_table

pytestmark = pytest.mark.slow


def _spec(df: pd.DataFrame, target: str, **request):
    return resolve_spec(TrainingRequest(target=target, **request), profile_frame(df).to_dict(), lambda c: df[c],
                        max_classes=100, default_seed=0)


@pytest.fixture(scope="module")
def blended():
    df = additive_table(n=1500)
    spec = _spec(df, "bought", budget=120, max_trials=4, learners=["lgbm", "lrl1"], seed=11)
    return df, spec, train(df, spec, n_jobs=1, cv_max_rows=100)


def test_a_large_table_delivers_the_ensemble_when_it_wins_on_rows_its_weights_never_saw(blended):
    _, _, out = blended
    info = out.recipe["validation_ensemble"]
    assert out.recipe["delivered_kind"] == "ensemble" and info["delivered"] is True
    assert out.best_learner == ENSEMBLE_LEARNER
    assert info["ensemble"] > info["single"]  # the rule: cross-fitted ensemble score beats the chosen single model's
    members = out.recipe["hyperparameters"]["members"]
    assert {m["learner"] for m in members} >= {"lrl1"} and len(members) >= 2
    assert sum(m["weight"] for m in members) == pytest.approx(1.0, abs=1e-5)
    assert out.recipe["model_selection"].startswith("the validation rows (the ensemble's weights cross-fitted")
    # the leaderboard holds the ensemble, marked as delivered, and the default model
    row = next(r for r in out.leaderboard if r["source"] == "ensemble")
    assert row["chosen"] and row["validation_score"] == pytest.approx(info["ensemble"], abs=1e-6)
    assert any(r["source"] == "default_model" for r in out.leaderboard)
    # one note names it and its evidence; none claims the default model was kept
    note = next(n for n in out.notes if n.get("kind") == "ensemble_delivered")
    assert "validation rows" in note["message"] and "fresh cross-validation" not in note["message"]
    assert not any(n.get("kind") == "default_model_kept" for n in out.notes)
    # binary: the cut-off was chosen on the validation rows, not the holdout
    assert out.operating_point["curve"]["selection_source"] == "the validation rows"


def test_the_large_table_ensemble_is_refit_from_its_recipe_and_explained_exactly(blended):
    df, spec, out = blended
    rows = prepare_rows(df, spec.task, spec.target, spec.seed, 0.2, 0.2)
    pre = out.model.preprocessor
    X = pre.transform(rows.X_raw)
    again = fit_estimator(spec.task, out.best_learner, out.recipe["hyperparameters"], spec.seed, 1,
                          X.iloc[rows.fit_idx], rows.y[rows.fit_idx])
    proba = again.predict_proba(X.iloc[rows.holdout_idx])
    holdout = evaluate(spec.task, rows.y[rows.holdout_idx], proba, proba.argmax(axis=1))
    assert holdout[spec.metric.name] == pytest.approx(out.holdout_score, abs=1e-9)
    frame = rows.X_raw.iloc[rows.holdout_idx[:40]]
    expl = explain(out.model, frame, background=frame)
    assert expl.explainer == "ensemble" and expl.output_space == "log_odds"
    assert_allclose(expl.output_values(), model_output(out.model, frame.loc[expl.row_index]), atol=1e-4, rtol=0)


def test_no_ensemble_when_it_does_not_beat_the_single_model():
    """On a table with nothing to learn, the blend is either not formed or loses; the recipe says which."""
    df = noise_table(n=1200)
    spec = _spec(df, "label", budget=120, max_trials=3, learners=["lgbm"], seed=3)
    out = train(df, spec, n_jobs=1, cv_max_rows=100)
    info = out.recipe.get("validation_ensemble")
    if info is not None:
        assert info["delivered"] is (info["ensemble"] > info["single"] and out.best_learner == ENSEMBLE_LEARNER)
    if out.best_learner == ENSEMBLE_LEARNER:
        assert info and info["ensemble"] > info["single"]


def _train_and_validation_rows(n: int):
    """(X_train, y_train, X_validation, y_validation), encoded, of a table made for a linear and a tree model."""
    from automl_canvas.training.preprocess import TabularPreprocessor

    df = additive_table(n=n, seed=8)
    spec = _spec(df, "bought", budget=60, seed=2)
    rows = prepare_rows(df, spec.task, spec.target, spec.seed, 0.2, 0.2)
    X = TabularPreprocessor(spec.plan).fit(rows.X_raw.iloc[rows.fit_idx]).transform(rows.X_raw)
    return X.iloc[rows.train_idx], rows.y[rows.train_idx], X.iloc[rows.val_idx], rows.y[rows.val_idx]


def test_blend_weights_are_judged_on_the_half_they_were_not_chosen_on():
    """A linear and a tree model on a table made for both: a blend of two, its refit time scaled from the
    members' fit times, cross-fitted probabilities for every validation row; one member alone gives no blend."""
    X_tr, y_tr, X_val, y_val = _train_and_validation_rows(1200)
    metric = resolve_metric("binary", "roc_auc")
    hgb = make_default_model("binary", 0).fit(X_tr, y_tr)
    lr = fit_estimator("binary", "lrl1", {}, 0, 1, X_tr, y_tr)
    blend = blend_on_validation("binary", metric, [Member(DEFAULT_LEARNER, {}, hgb, 0.5), Member("lrl1", {}, lr, 0.2)],
                                X_val, y_val, 0, 1.25)
    assert blend is not None and len(blend.config["members"]) == 2
    assert blend.refit_seconds == pytest.approx(1.25 * 0.7)
    assert blend.positive is not None and blend.positive.shape == (len(y_val),) and np.all((blend.positive > 0) & (blend.positive < 1))
    # the same model twice adds nothing: the greedy selection keeps one, so there is nothing to blend
    assert blend_on_validation("binary", metric, [Member(DEFAULT_LEARNER, {}, hgb, 0.5)], X_val, y_val, 0, 1.25) is None


def test_a_blend_whose_refits_would_not_fit_leaves_out_its_slowest_member():
    """validation_blend.decide: three members blend; with time for the refits of the two fast ones only, the slow
    member is left out, the other two re-blended and judged again (cross-fitted) -- not the single model kept."""
    from automl_canvas.training.validation_blend import decide

    X_tr, y_tr, X_val, y_val = _train_and_validation_rows(1500)
    metric = resolve_metric("binary", "roc_auc")
    LGBM = {"n_estimators": 60, "num_leaves": 4, "learning_rate": 0.1}
    members = [Member(DEFAULT_LEARNER, {}, make_default_model("binary", 0).fit(X_tr, y_tr), 1.0),
               Member("lrl1", {}, fit_estimator("binary", "lrl1", {}, 0, 1, X_tr, y_tr), 1.0),
               Member("lgbm", LGBM, fit_estimator("binary", "lgbm", LGBM, 0, 1, X_tr, y_tr), 30.0)]
    full = decide("binary", metric, members, X_val, y_val, 0, fit_ratio=1.25, all_rows_ratio=1.25, single_score=0.5,
                  fits=lambda seconds: True)
    assert full.delivered and not full.left_out
    assert {m["learner"] for m in full.blend.config["members"]} >= {"lrl1", "lgbm"}
    # time for about 2 s of members' fits (x 1.25 to train+validation, x 2.25 with the all-rows refit, x 1.1)
    budget = 1.1 * 2.25 * 1.25 * 2.0 + 1e-6
    cut = decide("binary", metric, members, X_val, y_val, 0, fit_ratio=1.25, all_rows_ratio=1.25, single_score=0.5,
                 fits=lambda seconds: seconds <= budget)
    assert cut.delivered and cut.left_out == ["lgbm"]
    assert {m["learner"] for m in cut.blend.config["members"]} == {DEFAULT_LEARNER, "lrl1"}
    assert cut.info("lrl1", 0.5)["left_out_for_time"] == ["lgbm"]
    # no time at all: nothing delivered; the first blend is still shown (the leaderboard's evidence)
    none = decide("binary", metric, members, X_val, y_val, 0, fit_ratio=1.25, all_rows_ratio=1.25, single_score=0.5,
                  fits=lambda seconds: False)
    assert not none.delivered and none.blend is not None and none.blend.config == full.blend.config
    # a single model better than any blend: not delivered, whatever the time
    assert not decide("binary", metric, members, X_val, y_val, 0, fit_ratio=1.25, all_rows_ratio=1.25, single_score=1.0,
                      fits=lambda seconds: True).delivered


def test_whether_a_blend_pays_is_judged_against_the_best_member_alone():
    """Asked mid-search (phases.refits_stop_rule): a linear and a tree model on a table made for both pay; a model
    alone, or with a copy of itself, does not."""
    from automl_canvas.training.validation_blend import blend_pays

    X_tr, y_tr, X_val, y_val = _train_and_validation_rows(1200)
    metric = resolve_metric("binary", "roc_auc")
    hgb = Member(DEFAULT_LEARNER, {}, make_default_model("binary", 0).fit(X_tr, y_tr), 1.0)
    lr = Member("lrl1", {}, fit_estimator("binary", "lrl1", {}, 0, 1, X_tr, y_tr), 1.0)
    assert blend_pays("binary", metric, [hgb, lr], X_val, y_val, 0)
    assert not blend_pays("binary", metric, [hgb], X_val, y_val, 0)
    assert not blend_pays("binary", metric, [hgb, Member(DEFAULT_LEARNER, {}, hgb.estimator, 1.0)], X_val, y_val, 0)


def test_the_dashboard_says_how_the_large_table_ensemble_was_chosen(blended):
    """The scientist's Overview draws the two contenders and the cross-fitting rule from the recipe."""
    from streamlit.testing.v1 import AppTest

    _, _, out = blended

    def page(recipe: dict) -> None:
        from types import SimpleNamespace

        from apps.scientist.views.overview import _choice

        _choice(SimpleNamespace(recipe=recipe, metric="roc_auc", task="binary"))

    at = AppTest.from_function(page, kwargs={"recipe": out.recipe}).run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    single = out.recipe["validation_ensemble"]["single_learner"]
    assert list(table["contender"]) == ["default model" if single == DEFAULT_LEARNER else f"search's best ({single})",
                                        "weighted ensemble (cross-fitted)"]
    assert list(table["delivered"]) == [False, True]
    assert table["roc_auc on the validation rows"][1] == pytest.approx(out.recipe["validation_ensemble"]["ensemble"], abs=1e-4)
    assert any("cross-fitted" in c.value for c in at.caption)
    assert not any("Left out" in c.value for c in at.caption)
    # a blend that left a slow member out to finish on time says which
    recipe = {**out.recipe, "validation_ensemble": {**out.recipe["validation_ensemble"], "left_out_for_time": ["xgboost"]}}
    at = AppTest.from_function(page, kwargs={"recipe": recipe}).run()
    assert not at.exception, at.exception
    assert any(c.value.startswith("Left out of the ensemble to finish on time: xgboost") for c in at.caption)


@pytest.mark.parametrize("learner", ["lgbm", "xgboost"])
def test_a_member_cut_short_by_its_trial_budget_is_recorded_as_it_was_fitted(learner):
    """FLAML keeps the asked-for tree count of a trial its time budget cut short; the member's record holds the
    trees the model really has, so its refit is the same model (and takes the time the trial took)."""
    from sklearn.datasets import make_classification

    from automl_canvas.training.search import build_learner, trained_config

    X, y = make_classification(20_000, 20, random_state=0)
    X = pd.DataFrame(X, columns=[f"c{i}" for i in range(20)])
    asked = {"n_estimators": 5000, "learning_rate": 0.05}
    cut = build_learner("binary", learner, asked, seed=0, n_jobs=1)
    cut.fit(X, y, budget=0.3)
    assert cut.params["n_estimators"] == 5000  # FLAML's own record: the trees it was asked for
    config = trained_config(learner, cut, dict(asked))
    assert 0 < config["n_estimators"] < 5000
    again = fit_estimator("binary", learner, config, 0, 1, X, y)
    assert_allclose(again.predict_proba(X.head(500)), cut.predict_proba(X.head(500)), atol=1e-9)


def test_a_large_table_winner_cut_short_is_refit_as_it_was_judged():
    """The search's winner on a large table was judged as FLAML fitted it; its record (and its leaderboard row)
    says the trees it really has, so the delivered refit is that model, not a bigger one."""
    from types import SimpleNamespace

    from sklearn.datasets import make_classification

    from automl_canvas.training.search import SearchResult, build_learner, record_as_fitted

    X, y = make_classification(20_000, 20, random_state=1)
    X = pd.DataFrame(X, columns=[f"c{i}" for i in range(20)])
    asked = {"n_estimators": 5000, "learning_rate": 0.05}
    cut = build_learner("binary", "lgbm", asked, seed=0, n_jobs=1)
    cut.fit(X, y, budget=0.3)
    trials = [{"learner": "lgbm", "config": dict(asked), "validation_loss": 0.1},
              {"learner": "lgbm", "config": {"n_estimators": 4, "learning_rate": 0.1}, "validation_loss": 0.2}]
    result = SearchResult("lgbm", dict(asked), 0.1, trials=trials, model=SimpleNamespace(model=cut))
    result.best_config = record_as_fitted(result.best_learner, result.model.model, result.best_config, result.trials)
    grown = cut._model.booster_.current_iteration()
    assert result.best_config["n_estimators"] == grown < 5000
    assert trials[0]["config"]["n_estimators"] == grown and trials[1]["config"]["n_estimators"] == 4
