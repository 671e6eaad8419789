"""Fairness on real and planted data: the sample loans (train() end to end), COMPAS and Adult (shared, skipped when absent)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from automl_canvas.datasets.profiling import profile_frame
from automl_canvas.fairness import evaluate_predictions, fairness_report, mitigate
from automl_canvas.training.spec import TrainingRequest, resolve_spec
from automl_canvas.training.trainer import prepare_rows, train

from ..conftest import SAMPLE_DATA, shared_dataset
from .helpers import fit_model

pytestmark = pytest.mark.slow


def _halves(df: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    idx = np.random.default_rng(seed).permutation(len(df))
    half = len(df) // 2
    return df.iloc[idx[:half]].reset_index(drop=True), df.iloc[idx[half:]].reset_index(drop=True)


def test_loans_planted_gender_bias_is_flagged_and_mitigated():
    """The generator penalises women by −1.2 log-odds in the *labels* (sample_data/README.md).

    The model here sees gender (the request does not mark it sensitive), so it
    learns the penalty and its predictions carry it: the case threshold
    mitigation is for.  A gender-blind model could not reproduce it (gender is
    independent of every other column), but the report still flags the bias in
    the actual outcomes, which is checked too.
    """
    df = pd.read_csv(SAMPLE_DATA / "loans.csv")
    req = TrainingRequest(target="approved", budget=2)
    spec = resolve_spec(req, profile_frame(df).to_dict(), lambda c: df[c], max_classes=100, default_seed=0)
    with threadpool_limits(1):
        outcome = train(df, spec, n_jobs=1, cv_folds=3, refit_full=False)  # the holdout stays unseen
    model = outcome.model
    assert "gender" in model.input_columns
    rows = prepare_rows(df, "binary", "approved", spec.seed, 0.2, 0.2)
    holdout = rows.X_raw.iloc[outcome.holdout_index].reset_index(drop=True)
    fit_rows = rows.X_raw.iloc[rows.fit_idx].reset_index(drop=True)

    pf = model.predict_frame(holdout)
    # an approval is good for the applicant: the four-fifths rule compares approval rates (undeclared, the
    # stricter direction -- here the refusal rates -- would decide)
    report = fairness_report("binary", holdout["approved"], pf["prediction"], holdout[["gender", "age"]],
                             proba=pf[["probability_no", "probability_yes"]].to_numpy(), classes=model.classes,
                             favourable_label="yes")
    dp = report.disparity("gender", "demographic_parity_difference")
    assert dp.flagged and dp.value > 0.1 and (dp.low_group, dp.high_group) in {("female", "male"), ("female", "non-binary")}
    assert "non-binary" not in dp.groups_compared  # ~15 holdout rows: flagged small, not compared
    assert next(g for g in report.feature("gender").groups if g.group == "non-binary").small_group
    labels = report.disparity("gender", "base_rate_ratio")  # the bias in the data itself
    assert labels.flagged and labels.low_group == "female" and labels.value < 0.8
    messages = [f.message for f in report.findings if f.feature == "gender"]
    assert any("actual rate of 'yes' (the favourable outcome) for gender = female" in m and "four-fifths rule" in m for m in messages), messages
    assert any("for gender = female" in m and "that of gender = male" in m for m in messages), messages
    assert report.feature("gender × age").kind == "intersection"

    mitigated = mitigate(model, fit_rows, fit_rows["approved"], "gender", constraint="demographic_parity", seed=0)
    mf = mitigated.predict_frame(holdout)
    after = fairness_report("binary", holdout["approved"], mf["prediction"], holdout[["gender"]], classes=model.classes)
    assert after.disparity("gender", "demographic_parity_difference").value < dp.value / 2
    acc_before = evaluate_predictions(holdout["approved"], pf["prediction"])["accuracy"]
    acc_after = evaluate_predictions(holdout["approved"], mf["prediction"])["accuracy"]
    assert acc_after > acc_before - 0.06  # parity is not bought with the model's usefulness


def test_compas_false_positive_rate_is_higher_for_african_american_defendants():
    df = pd.read_csv(shared_dataset("compas.csv"))
    train_rows, test_rows = _halves(df)
    model = fit_model(train_rows, "two_year_recid", sensitive=["race", "sex"])  # race is not a feature
    pred = model.predict(test_rows)
    report = fairness_report("binary", test_rows["two_year_recid"], pred, test_rows[["race"]], classes=model.classes)
    aa = report.metric("race", "African-American", "fpr")
    white = report.metric("race", "Caucasian", "fpr")
    assert aa.value > white.value and aa.ci_low > white.value, (aa, white)
    small = {g.group for g in report.feature("race").groups if g.small_group}
    assert {"Asian", "Native American"} <= small
    assert report.disparity("race", "fpr_difference").flagged


def test_adult_intersections_of_sex_and_race_have_intervals():
    df = pd.read_csv(shared_dataset("adult.csv"))
    train_rows, test_rows = _halves(df)
    model = fit_model(train_rows, "class", sensitive=["sex", "race"])
    pred = model.predict(test_rows)
    report = fairness_report("binary", test_rows["class"], pred, test_rows[["sex", "race"]], classes=model.classes)
    assert report.positive_label == ">50K"
    inter = report.feature("sex × race")
    assert len(inter.groups) == 10 and {"Female & Black", "Male & White"} <= {g.group for g in inter.groups}
    frame = report.groups_frame()
    rates = frame[(frame["feature"] == "sex × race") & (frame["metric"] == "selection_rate")]
    assert rates[["ci_low", "ci_high"]].notna().all().all()
    assert ((rates["ci_low"] <= rates["value"]) & (rates["value"] <= rates["ci_high"])).all()
    d = report.disparity("sex × race", "demographic_parity_ratio")
    assert d.flagged and np.isfinite([d.ci_low, d.ci_high]).all()
    sex = report.disparity("sex", "demographic_parity_ratio")
    assert sex.low_group == "Female" and sex.ci_high < 0.8
    assert any(f.severity == "high" and f.feature == "sex" for f in report.findings)
