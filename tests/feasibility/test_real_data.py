"""The checks that the scoring is sensible on real data (issue 8), each a real feasibility job.

Tiny search budgets and at most 5,000 rows keep each job to seconds; the shared
datasets are read from ../shared/datasets and skipped with a reason when absent (failed in CI).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ..conftest import SAMPLE_DATA, shared_dataset
from .helpers import assess, new_project, reasons

pytestmark = pytest.mark.slow


def test_a_shuffled_noise_target_has_no_signal(settings, engine, analyst, project, tmp_path):
    df = pd.read_csv(SAMPLE_DATA / "churn.csv")
    df["churned"] = np.random.default_rng(3).permutation(df["churned"].to_numpy())
    a = assess(settings, engine, analyst, project.id, df, "churned", tmp_path=tmp_path)
    lift = a.measurements["lift"]
    assert lift["normalised_ci_low"] <= 0 <= lift["normalised_ci_high"], lift
    # issue 15: the data is fine, the target is unpredictable: "no signal", not "not ready"
    assert a.verdict == "no_signal" and a.scorecard["verdict_label"] == "ML won't help with this data (no signal was found)"
    assert any("includes zero" in m for m in reasons(a, "lift"))


@pytest.mark.parametrize(("file", "target"), [("adult.csv", "class"), ("bank_marketing.csv", "y")])
def test_adult_and_bank_marketing_are_promising_with_their_value_unknown(settings, engine, analyst, tmp_path, file, target):
    df = pd.read_csv(shared_dataset(file)).sample(n=5000, random_state=0)
    pid = new_project(engine, analyst, file)
    a = assess(settings, engine, analyst, pid, df, target, tmp_path=tmp_path)
    # issue 15: no business inputs, so never Go on data alone
    assert a.verdict in ("value_unknown", "promising"), a.scorecard["reasons"]
    assert a.measurements["lift"]["normalised_ci_low"] > 0.3
    assert len(a.measurements["learning_curve"]["points"]) == 4
    assert a.score is not None and a.score >= 50


def test_a_planted_leakage_column_is_warned_about_and_does_not_inflate_the_score(settings, engine, analyst, project, tmp_path):
    clean = pd.read_csv(SAMPLE_DATA / "churn.csv")
    leaky = clean.copy()
    flip = np.random.default_rng(0).random(len(leaky)) < 0.01
    leaky["retention_outcome"] = np.where(leaky["churned"].eq("Yes") ^ flip, "lost", "kept")
    honest = assess(settings, engine, analyst, project.id, clean, "churned", tmp_path=tmp_path)
    pid = new_project(engine, analyst, "Churn with a leak")
    a = assess(settings, engine, analyst, pid, leaky, "churned", tmp_path=tmp_path)
    assert a.measurements["leakage_excluded"] == ["retention_outcome"]
    assert "retention_outcome" not in a.measurements["features"]["kinds"]
    warned = [r for r in a.scorecard["reasons"] if r["fact"] == "n_leakage"]
    assert warned and warned[0]["severity"] == "critical" and "retention_outcome" in warned[0]["message"]
    # the model never saw the leak: its lift is the honest one, and the warning costs readiness points
    assert abs(a.measurements["lift"]["normalised"] - honest.measurements["lift"]["normalised"]) < 0.1
    assert a.score < honest.score


def test_a_target_one_column_predicts_by_a_threshold_means_ml_is_not_needed(settings, engine, analyst, project, tmp_path):
    rng = np.random.default_rng(1)
    n = 3000
    df = pd.DataFrame({
        "days_overdue": rng.integers(0, 120, n),
        "balance": rng.normal(500, 150, n).round(2),
        "region": rng.choice(["north", "south", "east", "west"], n),
        "tenure_years": rng.integers(0, 30, n),
    })
    noisy = rng.random(n) < 0.08  # the rule is right 92% of the time, so it is no leak
    df["defaulted"] = np.where((df["days_overdue"] > 60) ^ noisy, "yes", "no")
    a = assess(settings, engine, analyst, project.id, df, "defaulted", tmp_path=tmp_path)
    assert a.measurements["leakage_excluded"] == []
    rule = a.measurements["simple_rule"]
    assert "days_overdue" in rule["description"]
    assert a.verdict == "not_needed", a.scorecard["reasons"]
    assert any("simple rule" in m for m in reasons(a, "advantage"))


def test_a_tiny_dataset_says_the_interval_is_too_wide_to_judge(settings, engine, analyst, project, tmp_path):
    df = pd.read_csv(SAMPLE_DATA / "churn.csv").sample(n=60, random_state=2)
    a = assess(settings, engine, analyst, project.id, df, "churned", tmp_path=tmp_path, budget=2)
    assert a.scorecard["judgeable"] is False
    assert any("too wide to judge" in m for m in reasons(a, "lift"))
    assert a.verdict in ("not_ready", "promising")
    assert any(r["fact"] == "n_labelled" and r["points"] == -30 for r in a.scorecard["reasons"])
