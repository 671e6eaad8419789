"""Issue 15's verdicts on constructed tables where the right answer is known, each a real feasibility job.

One module-scoped world (a SQLite or PostgreSQL database, a real worker) runs
each job once; the tests read and re-score the stored assessments.  The search
is trial-bounded (``max_trials``) with a generous cap, so the verdicts do not
depend on how busy the machine is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl_canvas.auth.users import ensure_user
from automl_canvas.db import init_db, make_engine, session_scope
from automl_canvas.feasibility import latest_assessment, set_inputs

from ..conftest import make_settings, truncate_all
from .helpers import assess, new_project, reasons

pytestmark = pytest.mark.slow

TRIALS = 6
CAP = 120  # seconds: a safety cap, never reached on these tables


def _age_rule(n: int = 1500) -> pd.DataFrame:
    """``old = Age > 40``: a rule, with proxies of age (income, tenure) a model could use instead."""
    rng = np.random.default_rng(1)
    age = rng.integers(18, 80, n)
    df = pd.DataFrame({"Age": age, "income": (age * 900 + rng.normal(0, 9000, n)).round(),
                       "tenure": np.clip(age - 18 - rng.integers(0, 15, n), 0, None), "region": rng.choice(list("nsew"), n)})
    df["old"] = np.where(df["Age"] > 40, "yes", "no")
    return df


def _signal(n: int, rng: np.random.Generator, intercept: float = 0.0) -> tuple[pd.DataFrame, np.ndarray]:
    """Six features that each carry part of the signal: no single column gives the answer."""
    X = pd.DataFrame({f"x{i}": rng.normal(size=n).round(3) for i in range(6)})
    logit = intercept + X.sum(axis=1).to_numpy() * 0.9
    return X, rng.random(n) < 1 / (1 + np.exp(-logit))


def _with_copy(n: int = 1500) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    df, y = _signal(n, rng)
    df["churned"] = np.where(y, "Yes", "No")
    flip = rng.random(n) < 0.005
    df["retention_outcome"] = np.where(y ^ flip, "lost", "kept")  # written down after the customer left
    return df


def _noise(n: int = 1500) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    df = pd.DataFrame({f"x{i}": rng.normal(size=n).round(3) for i in range(5)})
    df["colour"] = rng.choice(["red", "green", "blue"], n)
    df["y"] = rng.choice(["a", "b"], n)
    return df


def _good(n: int = 3000) -> pd.DataFrame:
    df, y = _signal(n, np.random.default_rng(4))
    df["bought"] = np.where(y, "yes", "no")
    return df


def _credit(n: int = 5000) -> pd.DataFrame:
    """About 5 % bad loans: at 0.5 a model flags almost no one, as accurate as approving everyone."""
    df, y = _signal(n, np.random.default_rng(5), intercept=-4.2)
    df["status"] = np.where(y, "bad", "good")
    return df


CASES = {"age": (_age_rule, "old"), "copy": (_with_copy, "churned"), "noise": (_noise, "y"), "good": (_good, "bought"),
         "credit": (_credit, "status")}


@pytest.fixture(scope="module")
def world(tmp_path_factory, pg_database_url):
    tmp = tmp_path_factory.mktemp("verdicts")
    settings = make_settings(tmp / "home", pg_database_url)
    engine = make_engine(settings)
    truncate_all(engine) if engine.dialect.name == "postgresql" else init_db(engine)
    with session_scope(engine) as s:
        analyst = ensure_user(s, "ana", ("analyst",), "Ana Analyst")
    out = {"settings": settings, "engine": engine, "analyst": analyst, "tmp": tmp, "projects": {}, "assessments": {}}
    for name, (make, target) in CASES.items():
        pid = new_project(engine, analyst, name)
        out["projects"][name] = pid
        out["assessments"][name] = assess(settings, engine, analyst, pid, make(), target, tmp_path=tmp, budget=CAP,
                                          max_trials=TRIALS)
    yield out
    engine.dispose()


def _rescore(world, name: str, inputs: dict, *, replace: bool = True):
    with session_scope(world["engine"]) as s:
        set_inputs(s, world["analyst"], world["projects"][name], inputs, replace=replace)
        return latest_assessment(s, world["analyst"], world["projects"][name])


def test_a_rule_solvable_target_is_not_go_even_though_the_rule_column_is_left_out_as_a_leak(world):
    a = world["assessments"]["age"]
    assert a.measurements["leakage_excluded"] == ["Age"] and "Age" not in a.measurements["features"]["kinds"]
    best = a.measurements["column_rules"]["columns"][0]
    assert best["column"] == "Age" and best["check"] >= 0.98 and not best["used_by_model"]
    assert "40.5" in best["description"]
    assert a.verdict == "not_needed", a.scorecard["reasons"][0]
    assert "`Age` alone predicts the target almost perfectly (ROC AUC 1.000" in a.scorecard["reasons"][0]["message"]
    # whatever the business case, it stays "not needed"
    rich = _rescore(world, "age", {"decisions_per_month": 100_000, "value_per_decision": 100})
    assert rich.verdict == "not_needed"


def test_a_copy_of_the_target_means_the_data_leaks(world):
    a = world["assessments"]["copy"]
    assert a.measurements["leakage_excluded"] == ["retention_outcome"]
    best = a.measurements["column_rules"]["columns"][0]
    assert best["column"] == "retention_outcome" and best["copy_like"] and best["leak_suspect"]
    assert a.verdict == "leaks", a.scorecard["reasons"][0]
    assert any("`retention_outcome`" in m and "gives the answer away" in m for m in reasons(a, "advantage"))


def test_pure_noise_has_no_signal_rather_than_not_ready(world):
    a = world["assessments"]["noise"]
    lift = a.measurements["lift"]
    assert lift["normalised_ci_low"] <= 0 <= lift["normalised_ci_high"], lift
    assert a.verdict == "no_signal", a.scorecard["reasons"][0]
    assert a.scorecard["verdict_label"] == "ML won't help with this data (no signal was found)"


def test_go_needs_a_business_case(world):
    a = world["assessments"]["good"]
    assert a.measurements["column_rules"]["columns"][0]["check"] < 0.9  # no column does it alone
    assert a.verdict == "value_unknown", a.scorecard["reasons"][0]
    tiny = _rescore(world, "good", {"decisions_per_month": 5, "value_per_decision": 10})
    assert 0 < tiny.expected_value_per_month < 100 and tiny.verdict == "low_value", tiny.scorecard["reasons"][0]
    big = _rescore(world, "good", {"decisions_per_month": 20_000, "value_per_decision": 10})
    assert big.verdict == "go", big.scorecard["reasons"][0]
    assert big.expected_value_per_month == pytest.approx(4000 * tiny.expected_value_per_month)


def test_an_imbalanced_credit_project_is_valued_at_its_cheapest_threshold(world):
    a = world["assessments"]["credit"]
    curve = a.measurements["operating_curve"]
    bad = sum(curve["positive_counts"]) / (sum(curve["positive_counts"]) + sum(curve["negative_counts"]))
    assert curve["positive_class"] == "bad" and 0.03 < bad < 0.08
    acc = a.measurements["accuracy"]
    assert acc["model"] - acc["baseline"] < 0.02  # at 0.5: hardly better than approving everyone (the old "0 a month")
    card = _rescore(world, "credit", {"decisions_per_month": 1000, "cost_false_positive": 50, "cost_false_negative": 1000})
    ev = next(r for r in card.scorecard["reasons"] if r["fact"] == "expected_value_per_month")
    assert card.expected_value_per_month > 5_000, ev["message"]
    assert "the cheapest threshold flags a row as 'bad' from a probability of 0.0" in ev["message"]
    low, high = card.scorecard["expected_value_interval"]
    assert 0 < low < card.expected_value_per_month < high
    point = card.scorecard["operating_point"]
    assert point["threshold"] < 0.5 and point["recall"] > 0.5 and "95% interval" in ev["message"]


def test_the_search_is_trial_bounded_and_records_its_trials(world):
    for name, a in world["assessments"].items():
        search = a.measurements["search"]
        assert search["trials"] == TRIALS and search["stopped_by"] == "trial limit", (name, search)
        assert not [r for r in a.scorecard["reasons"] if r["fact"] == "search_trials"]


def test_the_same_table_gives_the_same_assessment_and_a_cut_short_search_is_warned_about(world):
    settings, engine, analyst, tmp = world["settings"], world["engine"], world["analyst"], world["tmp"]
    first = world["assessments"]["good"]
    again = assess(settings, engine, analyst, world["projects"]["good"], _good(), "bought", tmp_path=tmp, budget=CAP,
                   max_trials=TRIALS)
    assert again.measurements["lift"]["model"] == first.measurements["lift"]["model"]
    assert again.measurements["search"]["best_learner"] == first.measurements["search"]["best_learner"]
    pid = new_project(engine, analyst, "capped")
    cut = assess(settings, engine, analyst, pid, _good(1000), "bought", tmp_path=tmp, budget=1, max_trials=1000)
    assert cut.measurements["search"]["stopped_by"] == "time cap" and cut.measurements["search"]["trials"] < 1000
    warned = [r for r in cut.scorecard["reasons"] if r["fact"] == "search_trials"]
    assert warned and warned[0]["severity"] == "warning" and "safety limit stopped it" in warned[0]["message"]
