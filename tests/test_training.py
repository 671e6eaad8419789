"""Training end to end: real FLAML searches with tiny budgets on small data."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from automl_canvas.datasets.service import ingest_file
from automl_canvas.db import session_scope
from automl_canvas.errors import IntegrityError, ValidationError
from automl_canvas.registry import service as registry
from automl_canvas.registry.artifacts import artifact_path, sha256_file
from automl_canvas.services.training import submit_training
from automl_canvas.training.spec import TrainingRequest

from .conftest import SAMPLE_DATA
from .helpers import job, run_queued_jobs

pytestmark = pytest.mark.slow


def _train(settings, engine, user, project, path, **req):
    ds = ingest_file(engine, settings, user, project.id, path)
    req.setdefault("budget", 3)
    queued = submit_training(engine, settings, user, ds.id, TrainingRequest(**req))
    run_queued_jobs(settings, engine)
    done = job(engine, queued.id)
    assert done.status == "succeeded", done.error
    with session_scope(engine) as s:
        return ds, registry.get_version(s, user, done.result["version_id"])


def test_binary_churn_version_is_evaluated_versioned_and_reproducible(settings, engine, analyst, project, tmp_path):
    ds, v = _train(settings, engine, analyst, project, SAMPLE_DATA / "churn.csv", target="churned")
    assert v.task == "binary" and v.metric == "roc_auc" and v.version == 1
    # better than guessing, and never worse on validation than the default model
    assert v.holdout_score > v.baseline_score + 0.1
    default_row = next(r for r in v.leaderboard if r["source"] == "default_model")
    assert v.validation_score >= default_row["validation_score"] - 1e-12
    assert len([r for r in v.leaderboard if r["source"] == "search"]) >= 2
    assert {"learner", "config", "validation_loss", "train_seconds"} <= set(v.leaderboard[0])
    assert v.cv_metrics["folds"] == 3 and 0.5 < v.cv_metrics["mean"] <= 1
    assert "customer_id" in v.feature_schema["dropped_columns"]
    assert v.recipe["dataset_sha256"] == ds.sha256 and v.recipe["libraries"]["flaml"]
    # artifact on disk is the recorded bytes
    assert sha256_file(artifact_path(settings, v.artifact_path)) == v.artifact_sha256

    # predictions on new rows, including a category never seen in training and missing values
    rows = pd.read_csv(SAMPLE_DATA / "churn.csv").head(20).drop(columns=["churned"])
    rows.loc[0, "contract"] = "Lifetime deal"
    rows.loc[1, "monthly_charges"] = np.nan
    scored = registry.predict_frame(settings, analyst, v, rows)
    assert len(scored) == 20 and set(scored["prediction"]) <= {"Yes", "No"}
    assert np.allclose(scored["probability_Yes"] + scored["probability_No"], 1)
    # decided at the version's stored cut-off (not 0.5), and the confidence is the chance of what it says
    cut = v.operating_point["threshold"]
    assert v.operating_point["mode"] == "balance" and 0 < cut < 1
    assert (scored["prediction"] == np.where(scored["probability_Yes"] >= cut, "Yes", "No")).all()
    said = np.where(scored["prediction"] == "Yes", scored["probability_Yes"], scored["probability_No"])
    assert np.allclose(scored["confidence"], said)

    # missing columns: a clear error naming them
    with pytest.raises(ValidationError, match="missing 1 column.*'tenure_months'"):
        registry.predict_frame(settings, analyst, v, rows.drop(columns=["tenure_months"]))

    r = registry.reproduce_version(engine, settings, analyst, v.id)
    assert abs(r["difference"]) < 1e-9, r


def test_regression_house_prices(settings, engine, analyst, project):
    _, v = _train(settings, engine, analyst, project, SAMPLE_DATA / "house_prices.csv", target="price")
    assert v.task == "regression" and v.metric == "rmse" and not v.higher_is_better
    assert v.holdout_score < 0.6 * v.baseline_score
    assert v.metrics["model"]["r2"] > 0.6
    r = registry.reproduce_version(engine, settings, analyst, v.id)
    assert abs(r["difference"]) <= 1e-6 * max(1.0, abs(r["recorded_holdout_score"]))


def test_multiclass_with_metric_override_and_sensitive_column(settings, engine, analyst, project, tmp_path):
    rng = np.random.default_rng(7)
    n = 600
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n), "group": rng.choice(["a", "b"], n)})
    df["label"] = np.select([df.x1 > 0.5, df.x2 > 0.3], ["high", "mid"], "low")
    path = tmp_path / "three.csv"
    df.to_csv(path, index=False)
    _, v = _train(settings, engine, analyst, project, path, target="label", metric="accuracy", sensitive_columns=["group"])
    assert v.task == "multiclass" and v.metric == "accuracy"
    assert v.holdout_score > 0.8
    assert "group" in v.feature_schema["dropped_columns"]
    assert v.feature_schema["classes"] == ["high", "low", "mid"]


def test_tampered_artifact_is_refused(settings, engine, analyst, project):
    _, v = _train(settings, engine, analyst, project, SAMPLE_DATA / "house_prices.csv", target="price", budget=2)
    path = artifact_path(settings, v.artifact_path)
    os.chmod(path, 0o644)
    path.write_bytes(path.read_bytes() + b"tampered")
    with pytest.raises(IntegrityError, match="does not match its recorded digest"):
        registry.load_model(settings, v)
