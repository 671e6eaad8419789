"""The portfolio's zero-shot configurations are ones the search and the learners accept, on real tables.

FLAML's mined configurations can carry a hyper-parameter its search does not tune for the task: on the
wine-quality regression table the extra-trees one says ``criterion: entropy`` (a classification criterion,
refused by scikit-learn's regressor), and passed on as a starting point it made FLAML's search fail with a
KeyError, which failed every regression build with that configuration.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from automl_canvas.training.portfolio import _zero_shot, portfolio, search_space_names, starting_points
from automl_canvas.training.search import run_search

from ..conftest import shared_dataset


def _wine():
    df = pd.read_csv(shared_dataset("wine_quality.csv"))
    X = df.drop(columns=["quality"])
    X["color"] = X["color"].astype("category")
    return X, df["quality"].to_numpy(dtype="float64")


def test_zero_shot_configurations_hold_only_what_the_search_tunes():
    X, y = _wine()
    for learner in ("lgbm", "xgboost", "extra_tree"):
        config = _zero_shot("regression", learner, X, y)
        assert config is not None
        assert set(config) <= search_space_names("regression", learner, X.shape), (learner, config)
    assert "criterion" not in _zero_shot("regression", "extra_tree", X, y)
    # classification keeps it: extra trees' criterion is searched there
    assert "criterion" in search_space_names("binary", "extra_tree", X.shape)


def test_a_regression_search_starts_from_the_portfolio(tmp_path):
    X, y = _wine()
    X, y = X.iloc[:600].reset_index(drop=True), y[:600]
    entries = portfolio("regression", X, y, ("lgbm", "xgboost", "extra_tree"))
    starts = starting_points(entries)
    assert "extra_tree" in starts
    # the search starts from the mined extra-trees configuration, not scikit-learn's defaults fitted beside it
    assert starts["extra_tree"] == _zero_shot("regression", "extra_tree", X, y) != {}
    result = run_search(X.iloc[:450], y[:450], X.iloc[450:], y[450:], task="regression", metric="rmse",
                        time_budget=60, seed=0, n_jobs=1, log_path=tmp_path / "search.jsonl",
                        learners=("lgbm", "xgboost", "extra_tree"), starting_points=starts, max_iter=3)
    assert result.trials and np.isfinite(result.best_loss)


def test_scikit_learns_forests_come_last_as_dearer_ready_made_candidates():
    X, y = _wine()
    X, y = X.iloc[:300].reset_index(drop=True), (y[:300] > 5).astype("int64")
    entries = portfolio("binary", X, y, ("lgbm", "catboost", "xgboost", "extra_tree", "rf", "lrl1"))
    assert [(e.learner, e.config) for e in entries[-2:]] == [("rf", {}), ("extra_tree", {})]
    assert all(e.cost > 1.5 for e in entries[-2:]) and "scikit-learn" in entries[-1].source
    # a learner the build does not allow is not offered
    assert "rf" not in {e.learner for e in portfolio("binary", X, y, ("lgbm", "extra_tree"))}
