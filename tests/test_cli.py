"""The command line as a user runs it: a real ``automl-canvas`` process per
command, on a fresh AUTOML_CANVAS_HOME, training with a real worker."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from .conftest import SAMPLE_DATA, shared_dataset

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("processes")]

CLI = shutil.which("automl-canvas", path=str(Path(sys.executable).parent)) or "automl-canvas"
JSON_KEYS = {"version_id", "task", "metric", "holdout_score", "baseline_score", "default_model_score", "best_learner", "artifact_sha256"}


@pytest.fixture
def canvas(tmp_path, pg_database_url):
    env = {**os.environ, "AUTOML_CANVAS_HOME": str(tmp_path / "home"), "AUTOML_CANVAS_N_JOBS": "1",
           # no SHAP and fairness job after each build (`train` waits for it, a process of its own): only the
           # churn build below asks for it, and checks that `train` waited for it
           "AUTOML_CANVAS_EVIDENCE_AFTER_TRAINING": "false"}
    if pg_database_url:
        env["AUTOML_CANVAS_DATABASE_URL"] = pg_database_url

    def run(*args: str, ok: bool = True, evidence: bool = False) -> subprocess.CompletedProcess:
        run_env = {**env, "AUTOML_CANVAS_EVIDENCE_AFTER_TRAINING": "true"} if evidence else env
        proc = subprocess.run([CLI, *map(str, args)], env=run_env, capture_output=True, text=True, timeout=300,
                              check=False)
        if ok:
            assert proc.returncode == 0, proc.stderr
        return proc

    if pg_database_url:  # a clean schema state for this test on the shared server database
        from .conftest import truncate_all

        truncate_all(pg_database_url)
    run("init")
    return run


@pytest.mark.parametrize(
    ("file", "target", "task", "metric"),
    [("churn.csv", "churned", "binary", "roc_auc"), ("loans.csv", "approved", "binary", "roc_auc"),
     ("house_prices.csv", "price", "regression", "rmse")],
)
def test_train_predict_reproduce_on_every_sample_file(canvas, tmp_path, file, target, task, metric):
    extra = ["--sensitive", "gender"] if file == "loans.csv" else []
    out = canvas("train", SAMPLE_DATA / file, "--target", target, "--budget", "4", "--json", *extra,
                 evidence=file == "churn.csv")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(result) >= JSON_KEYS
    # the build's evidence job, run by train's own worker before it answers (asked for on the churn build only)
    assert result.get("evidence_status") == ("succeeded" if file == "churn.csv" else None)
    assert (result["task"], result["metric"]) == (task, metric)
    better = result["holdout_score"] > result["baseline_score"] if task != "regression" else result["holdout_score"] < result["baseline_score"]
    assert better, result
    assert len(result["artifact_sha256"]) == 64
    if file == "loans.csv":
        # a build with a sensitive column; scoring and reproducing take the same paths as churn's (binary) and the
        # house prices' (regression) below, each CLI call a process of its own: not run a third time
        return

    scored = tmp_path / "scored.csv"
    canvas("predict", result["version_id"], SAMPLE_DATA / file, "-o", scored)
    frame = pd.read_csv(scored)
    assert "prediction" in frame and len(frame) == len(pd.read_csv(SAMPLE_DATA / file))

    rep = json.loads(canvas("reproduce", result["version_id"], "--json").stdout)
    assert abs(rep["difference"]) <= 1e-6 * max(1.0, abs(rep["recorded_holdout_score"]))

    listing = canvas("models", "--json").stdout
    assert json.loads(listing)[0]["artifact_sha256"] == result["artifact_sha256"]
    assert "succeeded" in canvas("jobs").stdout


def test_errors_are_one_clear_line_and_exit_code_2(canvas, tmp_path):
    bad = canvas("train", SAMPLE_DATA / "churn.csv", "--target", "churn_flag", "--budget", "2", ok=False)
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith("error: The target column 'churn_flag' does not exist") and "Traceback" not in bad.stderr
    missing = canvas("predict", "99", SAMPLE_DATA / "churn.csv", "-o", tmp_path / "x.csv", ok=False)
    assert missing.returncode == 2 and "Model version 99 does not exist" in missing.stderr
    none = canvas("train", "12345", "--target", "y", ok=False)
    assert none.returncode == 2 and "Dataset 12345 does not exist" in none.stderr


def test_shared_telco_churn_trains_from_the_cli(canvas):
    path = shared_dataset("telco_churn.csv")
    out = canvas("train", path, "--target", "Churn", "--budget", "5", "--json")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["task"] == "binary" and result["holdout_score"] > 0.8


def test_shared_compas_raw_duplicate_headers_fail_with_a_clear_message(canvas):
    proc = canvas("ingest", shared_dataset("compas_raw.csv"), ok=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: Column names must be unique") and "'decile_score' (2 times)" in proc.stderr


def test_up_serves_jobs_until_interrupted(canvas, tmp_path, pg_database_url):
    """What `./scripts/up.sh` (and the Docker image) runs: init, workers, clean stop."""
    import signal
    import time

    env = {**os.environ, "AUTOML_CANVAS_HOME": str(tmp_path / "home"), "AUTOML_CANVAS_N_JOBS": "1",
           # no SHAP and fairness job after each build (`train` waits for it, a process of its own): only the
           # churn build below asks for it, and checks that `train` waited for it
           "AUTOML_CANVAS_EVIDENCE_AFTER_TRAINING": "false"}
    if pg_database_url:
        env["AUTOML_CANVAS_DATABASE_URL"] = pg_database_url
    up = subprocess.Popen([CLI, "up", "--workers", "1", "--no-api", "--no-apps", "--demo"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert canvas("health").stdout.strip() == "ok"
        out = canvas("train", SAMPLE_DATA / "house_prices.csv", "--target", "price", "--budget", "2", "--json", "--no-local-worker")
        assert json.loads(out.stdout.strip().splitlines()[-1])["task"] == "regression"
    finally:
        time.sleep(0.5)
        up.send_signal(signal.SIGINT)
        stdout, _ = up.communicate(timeout=30)
    assert up.returncode == 0 and "AutoML Canvas is up" in stdout and stdout.strip().endswith("stopped")
    for name in ("ana", "sam", "sky", "dee", "max"):  # --demo: one demo user per role, passwords shown once
        assert f"demo user {name}: password (shown once)" in stdout
