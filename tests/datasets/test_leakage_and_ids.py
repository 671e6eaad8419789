"""Suspected leaks and ID-like columns: left out by default, said in words, put back with a reason.

Real parts throughout: profiles of small constructed tables, the real leakage probe,
a real SQLite world (tests/conftest.py) and, for the end-to-end cases, real FLAML
trainings with a 2-second budget on 300 rows.
"""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
import pytest

from automl_canvas.datasets.leakage import PROBES_KEY, probe_target, stored_probe
from automl_canvas.datasets.profiling import profile_frame
from automl_canvas.datasets.readiness import check_target
from automl_canvas.datasets.service import get_dataset, ingest_file
from automl_canvas.db import session_scope
from automl_canvas.errors import TrainingConfigError
from automl_canvas.models import Dataset
from automl_canvas.registry import service as registry
from automl_canvas.review import service as review
from automl_canvas.review.leakage import leakage_suspects_for
from automl_canvas.services.training import submit_training
from automl_canvas.training.preprocess import plan_features
from automl_canvas.training.spec import TrainingRequest, resolve_spec

from ..conftest import make_settings
from ..helpers import job, run_queued_jobs

LEAK_SENTENCE = ("`refund_issued` predicts `churned` almost perfectly on its own: it is probably only known after the "
                 "fact, or computed from the answer, so it was left out.")


def churn_table(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Churn driven by x1 and x2, a target copy, IDs of three shapes, and unique numbers that are real features."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    churned = np.where(x1 + 0.5 * x2 + rng.normal(scale=0.8, size=n) > 0.3, "Yes", "No")
    return pd.DataFrame({
        # sequential with gaps, as in the IBM attrition table (1..2068 for 1,470 rows): no ID hint in the name
        "EmployeeNumber": np.sort(rng.choice(np.arange(1, int(1.4 * n)), n, replace=False)),
        "uuid": [str(uuid.UUID(int=int(rng.integers(0, 2**62)))) for _ in range(n)],
        "CustomerNo": rng.choice(np.arange(100_000, 999_999), n, replace=False),  # spread out, but named like an ID
        "income": (30_000 + 8_000 * x1 + rng.normal(0, 2_000, n)).round(2),  # unique float: a real feature
        "balance": rng.integers(-50_000, 50_000, n),  # unique-ish whole numbers spread over a wide range: a number
        "x2": x2,
        "plan": rng.choice(["basic", "plus", "pro"], n),
        "refund_issued": np.where(churned == "Yes", "yes", "no"),  # a copy of the target
        "churned": churned,
    })


# --------------------------------------------------------------------------- pure: profile, probe, plan
def test_id_like_columns_are_found_by_shape_not_only_by_name():
    p = profile_frame(churn_table())
    types = {c.name: c.semantic_type for c in p.columns}
    assert types["EmployeeNumber"] == "id" and types["uuid"] == "id" and types["CustomerNo"] == "id"
    assert types["income"] == "numeric", "a unique float is a measurement, never an ID"
    assert types["balance"] == "numeric", "unique whole numbers spread over a wide range are not an ID"
    finding = next(f for f in p.findings if f.column == "EmployeeNumber")
    assert finding.code == "id_like"
    assert finding.message.startswith("`EmployeeNumber` has a different value on every row, like an ID")

    plan = plan_features(p.to_dict(), "churned")
    assert {"EmployeeNumber", "uuid", "CustomerNo"} <= set(plan.dropped)
    assert plan.dropped["EmployeeNumber"] == "has a different value on every row, like an ID"
    assert {"income", "balance", "x2"} <= set(plan.kinds)


def test_regular_steps_and_consecutive_integers_with_missing_values_are_ids():
    n = 200
    rng = np.random.default_rng(1)
    df = pd.DataFrame({
        "ticket": 5_000 + 10 * np.arange(n),  # regular steps of 10: range 10x the rows, still an ID
        "row": np.where(np.arange(n) % 50 == 7, np.nan, np.arange(n, dtype=float)),  # read as floats (blank cells)
        "visits": rng.poisson(3, n),
    })
    types = {c.name: c.semantic_type for c in profile_frame(df).columns}
    assert types == {"ticket": "id", "row": "id", "visits": "numeric"}


def test_a_target_copy_is_left_out_by_default_and_named_in_words():
    df = churn_table()
    probe = probe_target(df, "churned")
    assert probe["suspects"] == ["refund_issued"]
    spec = resolve_spec(TrainingRequest(target="churned"), profile_frame(df).to_dict(), lambda c: df[c],
                        max_classes=100, default_seed=0, leakage=probe)
    assert "refund_issued" not in spec.plan.kinds
    assert spec.plan.dropped["refund_issued"].startswith("predicts `churned` almost perfectly on its own")
    messages = [n["message"] for n in spec.notes]
    assert any(m.startswith(LEAK_SENTENCE) for m in messages)
    assert "`EmployeeNumber` has a different value on every row, like an ID, so it was left out." in messages
    assert spec.leaks_kept == [] and spec.to_dict()["keep_columns"] == {}


def test_keep_puts_a_column_back_with_its_reason_and_bad_keeps_are_refused():
    df = churn_table()
    profile, probe = profile_frame(df).to_dict(), probe_target(df, "churned")

    def resolve(**req):
        return resolve_spec(TrainingRequest(target="churned", **req), profile, lambda c: df[c], max_classes=100,
                            default_seed=0, leakage=probe)

    spec = resolve(keep_columns={"refund_issued": "The refund is decided before the churn call.",
                                 "EmployeeNumber": "Numbers were given out by hiring date."})
    assert spec.plan.kinds["refund_issued"] == "categorical" and spec.plan.kinds["EmployeeNumber"] == "numeric"
    assert spec.plan.kept == {"refund_issued": "The refund is decided before the churn call.",
                              "EmployeeNumber": "Numbers were given out by hiring date."}
    assert spec.leaks_kept == ["refund_issued"]
    assert spec.to_dict()["keep_columns"]["refund_issued"] == "The refund is decided before the churn call."
    assert spec.plan.to_dict()["leakage"] == {"refund_issued": probe["reasons"]["refund_issued"]}
    assert any("you put it back in the model" in n["message"] and n["severity"] == "warning" for n in spec.notes)

    with pytest.raises(TrainingConfigError, match="'refund_isued' does not exist.*Did you mean 'refund_issued'"):
        resolve(keep_columns={"refund_isued": "typo"})
    with pytest.raises(TrainingConfigError, match="Say why 'uuid' should be put back"):
        resolve(keep_columns={"uuid": "  "})
    with pytest.raises(TrainingConfigError, match="'plan' is both left out .* and put back"):
        resolve(keep_columns={"plan": "needed"}, excluded_columns=["plan"])
    constant = df.assign(country="CH")
    with pytest.raises(TrainingConfigError, match="'country' cannot be put back into the model: has a single value"):
        resolve_spec(TrainingRequest(target="churned", keep_columns={"country": "always CH"}),
                     profile_frame(constant).to_dict(), lambda c: constant[c], max_classes=100, default_seed=0,
                     leakage=probe)


def test_a_numeric_target_copy_is_left_out_of_a_regression():
    df = churn_table().drop(columns=["refund_issued", "churned"])
    df["spend"] = df["income"] * 0.1 + np.random.default_rng(2).normal(0, 300, len(df))
    df["spend_copy"] = df["spend"].round(1)
    probe = probe_target(df, "spend")
    assert "spend_copy" in probe["suspects"] and "income" not in probe["suspects"]
    spec = resolve_spec(TrainingRequest(target="spend"), profile_frame(df).to_dict(), lambda c: df[c],
                        max_classes=100, default_seed=0, leakage=probe)
    assert "spend_copy" in spec.plan.dropped and "income" in spec.plan.kinds


# --------------------------------------------------------------------------- stored once, reused
@pytest.fixture
def settings(tmp_path, pg_database_url):
    return make_settings(tmp_path / "home", pg_database_url, evidence_after_training=False)


@pytest.fixture
def churn_dataset(settings, engine, analyst, project, tmp_path):
    path = tmp_path / "churn_with_leak.csv"
    churn_table().to_csv(path, index=False)
    return ingest_file(engine, settings, analyst, project.id, path)


def _stored_profile(engine, dataset_id: int) -> dict:
    with session_scope(engine) as s:
        return dict(s.get(Dataset, dataset_id).profile)


def test_target_check_runs_the_probe_once_and_stores_it(settings, engine, analyst, churn_dataset):
    assert PROBES_KEY not in churn_dataset.profile, "the upload has no target yet"
    check = check_target(engine, settings, analyst, churn_dataset.id, "churned")
    assert check.leakage_suspects == ["refund_issued"]
    assert check.left_out["refund_issued"].startswith("predicts `churned` almost perfectly")
    assert check.left_out["EmployeeNumber"] == "has a different value on every row, like an ID"
    leak = next(f for f in check.findings if f["code"] == "leakage")
    assert leak["severity"] == "warning" and "left out" in leak["message"]

    stored = stored_probe(_stored_profile(engine, churn_dataset.id), "churned")
    assert stored is not None and stored["suspects"] == ["refund_issued"]
    # a second check reads the stored record: planting a marker in it shows through unchanged
    with session_scope(engine) as s:
        row = s.get(Dataset, churn_dataset.id)
        profile = dict(row.profile)
        profile[PROBES_KEY] = {"churned": {**stored, "class_balance": {"Yes": 1, "No": 2}}}
        row.profile = profile
    assert check_target(engine, settings, analyst, churn_dataset.id, "churned").class_balance == {"Yes": 1, "No": 2}


def _train(settings, engine, analyst, dataset_id: int, **req):
    queued = submit_training(engine, settings, analyst, dataset_id, TrainingRequest(target="churned", budget=2, **req))
    run_queued_jobs(settings, engine)
    done = job(engine, queued.id)
    assert done.status == "succeeded", done.error
    with session_scope(engine) as s:
        return registry.get_version(s, analyst, done.result["version_id"])


@pytest.mark.slow
def test_training_leaves_the_copy_out_and_keep_records_the_reason(settings, engine, analyst, churn_dataset):
    v = _train(settings, engine, analyst, churn_dataset.id)
    inputs = set(v.feature_schema["input_columns"])
    assert not inputs & {"refund_issued", "EmployeeNumber", "uuid", "CustomerNo"}
    assert {"income", "balance", "x2", "plan"} <= inputs
    assert v.feature_schema["dropped_columns"]["refund_issued"].startswith("predicts `churned` almost perfectly")
    assert v.recipe["features"]["leakage"] == {"refund_issued": v.feature_schema["dropped_columns"]["refund_issued"]}
    assert any(n["message"].startswith(LEAK_SENTENCE) for n in v.notes)
    assert v.leakage_suspects == [], "the model does not use the leak"
    assert v.holdout_score < 0.99, "without the copy the score is an honest one"
    assert stored_probe(_stored_profile(engine, churn_dataset.id), "churned") is not None

    reason = "The refund is decided before the churn call."
    kept = _train(settings, engine, analyst, churn_dataset.id, keep_columns={"refund_issued": reason})
    assert "refund_issued" in kept.feature_schema["input_columns"]
    assert kept.recipe["keep_columns"] == {"refund_issued": reason}
    assert kept.recipe["features"]["kept"] == {"refund_issued": reason}
    assert kept.leakage_suspects == ["refund_issued"], "filled at training time, before any share"
    assert any(reason in n["message"] and n["severity"] == "warning" for n in kept.notes)


@pytest.mark.slow
def test_review_reads_the_stored_probe_instead_of_recomputing(settings, engine, analyst, churn_dataset):
    v = _train(settings, engine, analyst, churn_dataset.id)
    # Plant a suspect that the probe itself would never flag (x2 is a real driver, far from perfect): if the
    # review recomputed, x2 would not be named; it is, so the stored record was read.
    with session_scope(engine) as s:
        row = s.get(Dataset, churn_dataset.id)
        profile = dict(row.profile)
        record = dict(profile[PROBES_KEY]["churned"])
        record["suspects"] = [*record["suspects"], "x2"]
        profile[PROBES_KEY] = {"churned": record}
        row.profile = profile
    with session_scope(engine) as s:
        dataset = get_dataset(s, analyst, churn_dataset.id)
    assert leakage_suspects_for(settings, dataset, v) == ["x2"]
    with session_scope(engine) as s:
        shared = review.share(s, settings, analyst, v.id, "First model.")
    assert shared.leakage_suspects == ["x2"]

    # A dataset without a stored record (trained before the probe was stored) is probed on the spot.
    with session_scope(engine) as s:
        row = s.get(Dataset, churn_dataset.id)
        row.profile = {k: val for k, val in row.profile.items() if k != PROBES_KEY}
    with session_scope(engine) as s:
        dataset = get_dataset(s, analyst, churn_dataset.id)
        assert leakage_suspects_for(settings, dataset, v, session=s) == []
    assert stored_probe(_stored_profile(engine, churn_dataset.id), "churned")["suspects"] == ["refund_issued"]


@pytest.mark.slow
def test_cli_keep_needs_a_reason_and_an_existing_column(tmp_path, pg_database_url):
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    if pg_database_url:
        pytest.skip("the CLI's database checks run in tests/test_cli.py")
    cli = shutil.which("automl-canvas", path=str(Path(sys.executable).parent)) or "automl-canvas"
    env = {**os.environ, "AUTOML_CANVAS_HOME": str(tmp_path / "home"), "AUTOML_CANVAS_N_JOBS": "1"}

    def run(*args):
        return subprocess.run([cli, *map(str, args)], check=False, env=env, capture_output=True, text=True, timeout=300)

    assert run("init").returncode == 0
    path = tmp_path / "churn.csv"
    churn_table().to_csv(path, index=False)
    no_reason = run("train", path, "--target", "churned", "--keep", "refund_issued", "--no-wait")
    assert no_reason.returncode == 2 and "'refund_issued' needs a column and a reason" in no_reason.stderr
    unknown = run("train", path, "--target", "churned", "--keep", "refund=known early", "--no-wait")
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
    assert "The kept column 'refund' does not exist in this dataset" in unknown.stderr
    queued = run("train", path, "--target", "churned", "--keep", "refund_issued=decided before the call", "--no-wait")
    assert queued.returncode == 0 and queued.stdout.startswith("queued job"), queued.stderr
