"""FLAML trials on a Ray cluster: a real local Ray head on 127.0.0.1, real searches.

The head is started in this test process (``ray.init``) and stopped with
``ray.shutdown()`` at the end: only the Ray processes this module started are
stopped.  Ray binds to this machine's own address (it deliberately turns
127.0.0.1 into the machine's reachable IP); nothing outside the machine is
contacted.  Skipped when ray (with its tune extra) is not installed.

Each trial runs in a fresh Ray worker process that must import FLAML and
LightGBM first, which takes 10-15 s on two busy cores and over a minute on a
loaded CI machine.  So the searches here are trial-bounded where they can be
(``max_iter``: done as soon as those trials are, the time budget only a safety
cap) and otherwise given budgets larger than elsewhere (30 s).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("ray.tune", reason="ray[tune] is not installed (pip install 'automl-canvas[ray]'); "
                    "the Ray integration is not tested")

import ray

from automl_canvas.datasets.service import ingest_file
from automl_canvas.db import session_scope
from automl_canvas.registry import service as registry
from automl_canvas.services.training import submit_training
from automl_canvas.training.search import run_search
from automl_canvas.training.spec import TrainingRequest

from .conftest import SAMPLE_DATA, make_settings
from .helpers import job, run_queued_jobs

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("processes")]


@pytest.fixture(scope="module")
def ray_head():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


def _table(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 6)), columns=[f"x{i}" for i in range(6)])
    y = (X["x0"] + 0.5 * X["x1"] - X["x2"] + rng.normal(scale=0.5, size=n) > 0).astype("int64").to_numpy()
    return X, y


def test_search_runs_concurrent_trials_in_ray_worker_processes(ray_head, tmp_path, db_backend):
    if db_backend == "postgresql":
        pytest.skip("uses no database: it runs once, in the SQLite pass")
    X, y = _table()
    seen = []
    result = run_search(
        X.iloc[:300], y[:300], X.iloc[300:], y[300:], task="binary", metric="roc_auc", time_budget=240, seed=0, n_jobs=1,
        log_path=tmp_path / "search.jsonl", learners=("lgbm", "rf"), ray_address=ray_head, concurrent_trials=2, max_iter=4,
        on_trial=lambda n, loss, learner: seen.append(n),
    )
    info = result.ray
    assert info["address"] == ray_head and info["concurrent_trials"] == 2 and info["cluster_cpus"] == 2
    pids = {p["pid"] for p in info["trial_processes"]}
    # Trials ran in Ray's worker processes, two of them side by side, never in this driver.
    assert os.getpid() not in pids and len(pids) >= 2
    assert {p["node_ip"] for p in info["trial_processes"]} == {ray.util.get_node_ip_address()}  # the head node
    assert sum(p["trials"] for p in info["trial_processes"]) >= 2
    assert result.trials and result.best_learner in ("lgbm", "rf") and result.best_loss < 0.5
    assert seen and seen[-1] == sum(p["trials"] for p in info["trial_processes"])  # progress came from the cluster


def test_training_job_runs_its_search_on_the_ray_cluster(ray_head, tmp_path, pg_database_url, engine, analyst, project):
    settings = make_settings(tmp_path / "home", pg_database_url, ray_address=ray_head, ray_concurrent_trials=2,
                             evidence_after_training=False, cv_max_rows=100, ensemble=False,  # no CV: the whole budget is search
                             job_time_limit_grace_seconds=600)
    ds = ingest_file(engine, settings, analyst, project.id, SAMPLE_DATA / "churn.csv")
    queued = submit_training(engine, settings, analyst, ds.id, TrainingRequest(target="churned", budget=240, max_trials=4))
    run_queued_jobs(settings, engine)  # a real worker: the job's own process joins the cluster as a driver
    done = job(engine, queued.id)
    assert done.status == "succeeded", done.error
    with session_scope(engine) as s:
        version = registry.get_version(s, analyst, done.result["version_id"])
    info = version.recipe["search"]["ray"]
    pids = {p["pid"] for p in info["trial_processes"]}
    assert info["concurrent_trials"] == 2 and len(pids) >= 2
    assert info["driver_pid"] != os.getpid() and info["driver_pid"] not in pids
    assert version.recipe["search"]["trials"] >= 2 and version.holdout_score > version.baseline_score
