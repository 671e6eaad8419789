"""The choice between the default model, the best single model and the ensemble (training/selection.py),
and the greedy ensemble weights (training/ensemble.py), on constructed cases whose right answer is known."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from automl_canvas.datasets.profiling import profile_frame
from automl_canvas.training.ensemble import WeightedEnsemble, greedy_weights
from automl_canvas.training.folds import FoldEvidence, candidate_key, make_splitter
from automl_canvas.training.leaderboard import DEFAULT_LEARNER
from automl_canvas.training.margins import link, margin_of, platt_scale
from automl_canvas.training.metrics import score
from automl_canvas.training.preprocess import TabularPreprocessor, plan_features
from automl_canvas.training.selection import choose

from .tables import additive_table, noise_table

LGBM = {"n_estimators": 40, "num_leaves": 8, "min_child_samples": 10}
LINEAR = {"C": 1.0}
FOREST = {"n_estimators": 60, "max_leaves": 32}


def _encoded(df: pd.DataFrame, target: str) -> tuple[pd.DataFrame, np.ndarray]:
    plan = plan_features(profile_frame(df).to_dict(), target)
    pre = TabularPreprocessor(plan).fit(df)
    classes = sorted(df[target].unique())
    return pre.transform(df), df[target].map({c: i for i, c in enumerate(classes)}).to_numpy("int64")


def _evidence(X, y, seed: int) -> FoldEvidence:
    return FoldEvidence("binary", "roc_auc", X, y, make_splitter("binary", y, 3, seed), seed=1, n_jobs=1)


def test_greedy_weights_combine_two_halves_of_the_signal():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=2000), rng.normal(size=2000)
    y = (a + b + rng.normal(0, 0.3, 2000) > 0).astype("int64")
    outputs = {"knows_a": 2 * a, "knows_b": 2 * b, "knows_nothing": rng.normal(size=2000)}
    weights, value = greedy_weights("binary", "roc_auc", True, y, outputs)
    assert set(weights) == {"knows_a", "knows_b"} and abs(sum(weights.values()) - 1) < 1e-12
    assert 0.35 <= weights["knows_a"] <= 0.65
    best_single = max(score("binary", "roc_auc", y, link("binary", o), None) for o in outputs.values())
    assert value > best_single + 0.05


def test_greedy_weights_keep_a_single_candidate_when_nothing_helps():
    rng = np.random.default_rng(1)
    a = rng.normal(size=500)
    y = (a > 0).astype("int64")
    weights, _ = greedy_weights("binary", "roc_auc", True, y, {"perfect": a, "noise": rng.normal(size=500)})
    assert weights == {"perfect": 1.0}


@pytest.mark.slow
def test_an_ensemble_wins_on_a_table_that_needs_both_a_line_and_a_step():
    X, y = _encoded(additive_table(n=600), "bought")
    search, fresh = _evidence(X, y, 1), _evidence(X, y, 2)
    for learner, config in ((DEFAULT_LEARNER, {}), ("lgbm", LGBM), ("lrl1", LINEAR)):
        search.fit(learner, config, "test")
    choice = choose(search, True, fresh=fresh)
    assert choice.kind == "ensemble" and "fresh" in choice.selection
    assert {m["learner"] for m in choice.config["members"]} >= {"lrl1"}
    assert choice.fresh["mean_difference"] > choice.fresh["margin"] > 0
    assert choice.oof_positive is not None and choice.oof_positive.shape == y.shape
    # no time for fresh folds: the ensemble (weighted on these very folds) is not a contender
    hurried = choose(search, True, fresh=None)
    assert hurried.kind in ("single", "default") and "no time was left for fresh folds" in hurried.selection


def test_the_default_model_is_kept_when_nothing_beats_it_beyond_noise():
    X, y = _encoded(noise_table(), "label")
    search, fresh = _evidence(X, y, 3), _evidence(X, y, 4)
    for learner, config in ((DEFAULT_LEARNER, {}), ("lgbm", LGBM), ("lrl1", LINEAR)):
        search.fit(learner, config, "test")
    choice = choose(search, True, fresh=fresh)
    assert choice.learner == DEFAULT_LEARNER and choice.kind == "default"
    kept = [n for n in choice.notes if n["kind"] == "default_model_kept"]
    assert len(kept) == 1 and "not better by more than one standard error" in kept[0]["message"]
    # the numbers in the sentence are the ones recorded
    assert f"{choice.fresh['mean_scores']['default']:.4f}" in kept[0]["message"]


def test_weighted_ensemble_round_trips_its_recipe_and_pickles():
    X, y = _encoded(additive_table(n=300), "bought")
    config = {"members": [{"learner": "lgbm", "config": LGBM, "weight": 0.6}, {"learner": "lrl1", "config": LINEAR, "weight": 0.4}]}
    ens = WeightedEnsemble.from_config("binary", config, seed=1, n_jobs=1).fit(X, y)
    assert ens.config() == config
    margin = 0.6 * margin_of("binary", "lgbm", ens.members[0].estimator, X) + 0.4 * margin_of("binary", "lrl1", ens.members[1].estimator, X)
    assert_allclose(ens.predict_proba(X), link("binary", margin))
    again = pickle.loads(pickle.dumps(ens))
    assert_allclose(again.predict_proba(X), ens.predict_proba(X))


def test_an_ensemble_member_without_a_raw_score_is_refused():
    with pytest.raises(ValueError, match="has no raw score"):
        margin_of("multiclass", "rf", object(), pd.DataFrame())
    with pytest.raises(ValueError, match="only with its recorded Platt line"):
        margin_of("binary", "extra_tree", object(), pd.DataFrame())


def test_platt_scale_recovers_the_line_behind_the_labels():
    rng = np.random.default_rng(7)
    p = rng.random(20000)
    y = (rng.random(20000) < 1 / (1 + np.exp(-(-3.0 + 6.0 * p)))).astype("int64")
    a, b = platt_scale(p, y)
    assert abs(a + 3.0) < 0.15 and abs(b - 6.0) < 0.3


def test_platt_scale_stays_finite_when_the_probabilities_separate_the_classes():
    p = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    y = np.array([0, 0, 0, 1, 1, 1])
    a, b = platt_scale(p, y)
    assert np.isfinite([a, b]).all() and b > 0
    # Platt's smoothed targets: the fitted line does not claim certainty on six rows
    q = 1 / (1 + np.exp(-(a + b * p)))
    assert q.max() < 0.9 and q.min() > 0.1
    # a forest that says the same for every row: a finite line close to the base rate, whatever the value
    for same in (0.0, 0.3, 1.0):
        a, b = platt_scale(np.full(6, same), y)
        assert np.isfinite([a, b]).all() and abs(1 / (1 + np.exp(-(a + b * same))) - 0.5) < 0.05


@pytest.mark.slow
def test_a_forest_joins_a_binary_ensemble_through_its_recorded_platt_line():
    """Extra trees (a step and a category) and a line need each other on this table: the ensemble wins on fresh
    folds, the forest's line is in the recipe, and the delivered ensemble answers what the fresh folds judged."""
    X, y = _encoded(additive_table(n=600), "bought")
    search, fresh = _evidence(X, y, 1), _evidence(X, y, 2)
    for learner, config in ((DEFAULT_LEARNER, {}), ("extra_tree", FOREST), ("lrl1", LINEAR)):
        search.fit(learner, config, "test")
    choice = choose(search, True, fresh=fresh)
    assert choice.kind == "ensemble", choice.fresh
    forest = [m for m in choice.config["members"] if m["learner"] == "extra_tree"]
    assert len(forest) == 1 and len(forest[0]["platt"]) == 2 and forest[0]["platt"][1] > 0
    # the line was fitted on the search folds' out-of-fold probabilities
    key = next(k for k, c in search.candidates.items() if c.learner == "extra_tree")
    assert_allclose(forest[0]["platt"], platt_scale(search.output(key), y))
    # the delivered ensemble is exactly the recorded recipe: margin = sum of weight x (a + b p) or raw score
    ens = WeightedEnsemble.from_config("binary", choice.config, seed=1, n_jobs=1).fit(X, y)
    assert ens.config() == choice.config
    expected = sum(m.weight * (m.scale[0] + m.scale[1] * m.estimator.predict_proba(X)[:, 1]) if m.learner == "extra_tree"
                   else m.weight * margin_of("binary", m.learner, m.estimator, X) for m in ens.members)
    assert_allclose(ens.margin(X), expected)


@pytest.mark.slow
def test_the_best_ready_made_model_is_judged_on_fresh_folds_beside_the_search_winner():
    """The search's winner is flattered on the folds it was picked on: the best portfolio configuration is a
    contender on the fresh folds as well, and the one delivered is the one the fresh folds rank first."""
    X, y = _encoded(additive_table(n=500), "bought")
    search, fresh = _evidence(X, y, 5), _evidence(X, y, 6)
    for learner, config in ((DEFAULT_LEARNER, {}), ("lgbm", LGBM), ("extra_tree", FOREST), ("lrl1", LINEAR)):
        search.fit(learner, config, "a portfolio default")
    ranked = sorted((c for c in search.candidates.values() if c.learner != DEFAULT_LEARNER), key=lambda c: -c.mean)
    ranked[0].source = "search"  # as if the search had found it: the best on the search folds
    choice = choose(search, True, fresh=fresh)
    means = choice.fresh["mean_scores"]
    assert {"default", "single", "ready_made"} <= set(means)
    ready = fresh.candidates[candidate_key(ranked[1].learner, ranked[1].config)]
    assert means["ready_made"] == pytest.approx(ready.mean)
    best = max((n for n in means if n != "default"), key=means.get)
    assert choice.fresh["challenger"] == best
    if choice.kind != "default":
        assert choice.fresh["delivered"] == best
        if best == "ready_made":
            assert (choice.learner, choice.config) == (ranked[1].learner, ranked[1].config)
