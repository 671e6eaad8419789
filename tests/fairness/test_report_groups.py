"""Groups: missing values, small groups, one-row groups, intersections, numeric bands; bad input; intervals; JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from automl_canvas.errors import ValidationError
from automl_canvas.fairness import MISSING, FairnessReport, fairness_report


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    sens = pd.DataFrame({
        "gender": rng.choice(["female", "male"], n),
        "race": rng.choice(["A", "B", "C"], n),
        "age": rng.integers(18, 80, n),
    })
    yt = rng.choice(["no", "yes"], n)
    yp = np.where(rng.random(n) < 0.7, yt, np.where(yt == "yes", "no", "yes"))
    return yt, yp, sens


def test_missing_sensitive_values_form_an_explicit_group():
    yt, yp, sens = _data()
    sens["gender"] = sens["gender"].astype(object)
    sens.loc[:39, "gender"] = [None, np.nan, "", "  "] * 10  # every spelling of 'missing'
    r = fairness_report("binary", yt, yp, sens[["gender"]], n_bootstrap=20)
    groups = {g.group: g for g in r.feature("gender").groups}
    assert list(groups) == ["female", "male", MISSING]  # missing listed last
    assert groups[MISSING].n == 40 and groups[MISSING].missing and not groups[MISSING].small_group
    assert sum(g.n for g in groups.values()) == len(yt)  # no row dropped
    assert MISSING in r.disparity("gender", "demographic_parity_difference").groups_compared
    m = r.metric("gender", MISSING, "selection_rate")
    assert_allclose(m.value, np.mean(yp[:40] == "yes"))
    assert any(f.severity == "info" and "'(missing)'" in f.message and "40 rows" in f.message for f in r.findings)


def test_numeric_missing_values_are_their_own_band():
    yt, yp, sens = _data()
    sens["age"] = sens["age"].astype("float64")
    sens.loc[:9, "age"] = np.nan
    r = fairness_report("binary", yt, yp, sens[["age"]], n_bootstrap=0)
    labels = [g.group for g in r.feature("age").groups]
    assert labels[-1] == MISSING and r.feature("age").groups[-1].n == 10 and r.feature("age").groups[-1].small_group


def test_small_groups_are_flagged_and_left_out_of_disparities():
    yt, yp, sens = _data()
    sens.loc[:11, "race"] = "D"  # 12 rows: below min_group_size=30
    r = fairness_report("binary", yt, yp, sens[["race"]], n_bootstrap=20)
    info = {g.group: g for g in r.feature("race").groups}
    assert info["D"].small_group and info["D"].n == 12 and not info["A"].small_group
    d = r.disparity("race", "demographic_parity_difference")
    assert "D" not in d.groups_compared and {d.low_group, d.high_group} <= {"A", "B", "C"}
    # the disparity is the one over A, B, C only
    rates = [r.metric("race", g, "selection_rate").value for g in "ABC"]
    assert_allclose(d.value, max(rates) - min(rates))
    # the small group's own numbers are still reported
    assert_allclose(r.metric("race", "D", "selection_rate").value, np.mean(yp[:12] == "yes"))
    warning = next(f for f in r.findings if f.severity == "warning" and "fewer than 30 rows" in f.message)
    assert "D (12 rows)" in warning.message and warning.numbers["small_groups"] == ["D"]


def test_a_group_of_one_row_is_flagged_and_does_not_crash():
    yt, yp, sens = _data()
    sens["gender"] = sens["gender"].astype(object)
    sens.loc[5, "gender"] = "non-binary"
    r = fairness_report("binary", yt, yp, sens[["gender"]], n_bootstrap=50)
    one = next(g for g in r.feature("gender").groups if g.group == "non-binary")
    assert one.n == 1 and one.small_group
    m = r.metric("gender", "non-binary", "accuracy")
    assert m.value == float(yt[5] == yp[5])
    assert m.ci_low <= m.value <= m.ci_high  # resamples that miss the row are ignored, not counted as 0
    assert "non-binary" not in r.disparity("gender", "demographic_parity_ratio").groups_compared


def test_an_intersection_of_only_small_groups_is_reported_without_disparities():
    yt, yp, sens = _data(n=200)
    r = fairness_report("binary", yt, yp, sens[["gender", "race"]], min_group_size=50, n_bootstrap=20)
    inter = r.feature("gender × race")
    assert all(g.small_group for g in inter.groups) and inter.compared_groups == []
    assert np.isnan(r.disparity("gender × race", "equalized_odds_difference").value)
    assert not np.isnan(r.disparity("gender", "equalized_odds_difference").value)


def test_only_one_comparable_group_gives_no_disparity_and_says_so():
    yt, yp, sens = _data(n=100)
    sens["gender"] = ["female"] * 95 + ["male"] * 5
    r = fairness_report("binary", yt, yp, sens[["gender"]], n_bootstrap=10)
    d = r.disparity("gender", "demographic_parity_difference")
    assert np.isnan(d.value) and not d.flagged and d.groups_compared == ["female"]
    assert any("no disparity can be measured" in f.message for f in r.findings)


def test_pairwise_intersections():
    yt, yp, sens = _data()
    r = fairness_report("binary", yt, yp, sens, n_bootstrap=0)
    names = [f.name for f in r.features]
    assert names == ["gender", "race", "age", "gender × race", "gender × age", "race × age"]
    assert r.sensitive_columns == ["gender", "race", "age"]
    inter = r.feature("gender × race")
    assert inter.kind == "intersection" and inter.columns == ["gender", "race"]
    assert [g.group for g in inter.groups][:3] == ["female & A", "female & B", "female & C"]
    mask = (sens["gender"] == "male").to_numpy() & (sens["race"] == "B").to_numpy()
    assert next(g.n for g in inter.groups if g.group == "male & B") == mask.sum()
    assert_allclose(r.metric("gender × race", "male & B", "tpr").value,
                    np.mean(yp[mask & (yt == "yes")] == "yes"))
    no_inter = fairness_report("binary", yt, yp, sens, n_bootstrap=0, intersections=False)
    assert [f.name for f in no_inter.features] == ["gender", "race", "age"]


def test_numeric_columns_are_binned_into_readable_quantile_bands():
    yt, yp, sens = _data(n=1000)
    r = fairness_report("binary", yt, yp, sens[["age"]], n_bootstrap=0, n_bins=4)
    f = r.feature("age")
    assert f.kind == "numeric_bands" and len(f.groups) == 4
    for g in f.groups:
        lo, hi = (int(x) for x in g.group.split("–"))
        assert [lo, hi] == f.band_ranges[g.group]
        in_band = sens["age"].between(lo, hi)
        assert g.n == in_band.sum()  # the label says exactly which ages are in the band
    assert abs(f.groups[0].n - 250) < 40  # quantile bands hold about a quarter each
    # an ordered categorical keeps its own order, not the alphabet
    size = pd.Categorical(np.where(sens["age"] < 40, "small", "large"), categories=["small", "medium", "large"])
    ordered = fairness_report("binary", yt, yp, pd.DataFrame({"size": size}), n_bootstrap=0)
    assert [g.group for g in ordered.feature("size").groups] == ["small", "large"]
    # a numeric column with few values stays categorical
    few = fairness_report("binary", yt, yp, pd.DataFrame({"senior": np.arange(1000) % 2}), n_bootstrap=0)
    assert few.feature("senior").kind == "categorical" and [g.group for g in few.feature("senior").groups] == ["0", "1"]


def test_bad_inputs_raise_clear_validation_errors():
    yt, yp, sens = _data()
    with pytest.raises(ValidationError, match=r"'gendre' \(did you mean 'gender'\?\) not found"):
        fairness_report("binary", yt, yp, sens, columns=["gendre"])
    ids = pd.DataFrame({"customer": [f"c{i}" for i in range(len(yt))]})
    with pytest.raises(ValidationError, match=r"'customer' has 400 distinct values.*limit of 50.*bin the column"):
        fairness_report("binary", yt, yp, ids)
    with pytest.raises(ValidationError, match="sensitive features have 399 rows but the predictions have 400"):
        fairness_report("binary", yt, yp, sens.iloc[1:])
    with pytest.raises(ValidationError, match="y_true has 400 rows but y_pred has 399"):
        fairness_report("binary", yt, yp[1:], sens)
    with pytest.raises(ValidationError, match="not among the classes"):
        fairness_report("binary", yt, yp, sens, classes=["no", "maybe"])
    with pytest.raises(ValidationError, match="at most two labels"):
        fairness_report("binary", [*yt[:-1], "maybe"], yp, sens)
    with pytest.raises(ValidationError, match="positive label 'si'"):
        fairness_report("binary", yt, yp, sens, positive_label="si")
    with pytest.raises(ValidationError, match="Unknown task 'ranking'"):
        fairness_report("ranking", yt, yp, sens)
    with pytest.raises(ValidationError, match="missing labels"):
        fairness_report("binary", [*yt[:-1], None], yp, sens)
    with pytest.raises(ValidationError, match="numeric y_true"):
        fairness_report("regression", yt, yp, sens)
    with pytest.raises(ValidationError, match="at least one"):
        fairness_report("binary", yt, yp, sens, columns=[])
    many = np.arange(len(yt)) % 60  # 60² cells x 80 groups x 200 resamples: refused up front, not after 400 MB
    grid = pd.DataFrame({"a": [f"a{i % 8}" for i in range(len(yt))], "b": [f"b{i // 50}" for i in range(len(yt))]})
    with pytest.raises(ValidationError, match="million counters.*Lower n_bootstrap"):
        fairness_report("multiclass", many, many, grid)


def test_bootstrap_intervals_contain_estimates_and_are_seeded():
    yt, yp, sens = _data(n=2000, seed=1)
    kw = {"n_bootstrap": 200, "seed": 7}
    a = fairness_report("binary", yt, yp, sens[["gender", "race"]], **kw)
    b = fairness_report("binary", yt, yp, sens[["gender", "race"]], **kw)
    c = fairness_report("binary", yt, yp, sens[["gender", "race"]], n_bootstrap=200, seed=8)
    assert a.to_dict() == b.to_dict()  # same seed, same report
    assert a.to_dict()["metrics"] != c.to_dict()["metrics"]  # another seed, other resamples
    for m in a.metrics + a.overall:
        if m.metric != "count" and not np.isnan(m.value):
            assert m.ci_low <= m.value <= m.ci_high, m
            assert m.ci_high - m.ci_low < 0.25, m  # 300+ rows per group: tight
    for d in a.disparities:
        assert d.ci_low <= d.value <= d.ci_high, d
    # the point estimates do not depend on the bootstrap
    none = fairness_report("binary", yt, yp, sens[["gender", "race"]], n_bootstrap=0)
    assert [m.value for m in none.metrics] == [m.value for m in a.metrics]


def test_report_round_trips_through_json_and_tidy_frames():
    yt, yp, sens = _data()
    sens.loc[:3, "race"] = None
    r = fairness_report("binary", yt, yp, sens, n_bootstrap=20, proba=np.linspace(0, 1, len(yt)))
    text = json.dumps(r.to_dict(), allow_nan=False)  # strict JSON: NaN became null
    back = FairnessReport.from_dict(json.loads(text))
    assert back.to_dict() == r.to_dict()
    long = r.groups_frame()
    assert {"feature", "group", "n", "small_group", "metric", "value", "ci_low", "ci_high"} <= set(long.columns)
    wide = r.groups_frame(wide=True)
    assert len(wide) == sum(len(f.groups) for f in r.features)
    assert {"selection_rate", "tpr", "fpr", "precision", "accuracy", "roc_auc"} <= set(wide.columns)
    disp = r.disparities_frame()
    assert {"demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference"} <= set(disp["measure"])
    assert disp["flagged"].dtype == bool
    assert set(r.findings_frame().columns) == {"severity", "message", "feature", "measure", "numbers"}
