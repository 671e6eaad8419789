"""Anytime training: a build asked to wrap up at its hard limit ends with the best model it has, never empty-handed."""

from __future__ import annotations

import time

import pytest

from automl_canvas.datasets.service import ingest_file
from automl_canvas.db import session_scope
from automl_canvas.registry import service as registry
from automl_canvas.registry.plain_language import product_decisions_in_words
from automl_canvas.services.training import submit_training
from automl_canvas.training.spec import TrainingRequest

from .conftest import SAMPLE_DATA, make_settings
from .helpers import job, run_queued_jobs

pytestmark = pytest.mark.slow


@pytest.fixture
def settings(tmp_path, pg_database_url):
    """A 60 s search budget, but a hard limit 8 s after the job process starts (as on a busy machine)."""
    return make_settings(tmp_path / "home", pg_database_url, job_time_limit_factor=0.0, job_time_limit_grace_seconds=8,
                         job_wrap_up_grace_seconds=120, evidence_after_training=False)


def test_a_build_cut_short_mid_search_delivers_its_best_model(settings, engine, analyst, project):
    user = analyst
    ds = ingest_file(engine, settings, user, project.id, SAMPLE_DATA / "churn.csv")
    queued = submit_training(engine, settings, user, ds.id, TrainingRequest(target="churned", budget=60))
    started = time.monotonic()
    run_queued_jobs(settings, engine)
    took = time.monotonic() - started
    done = job(engine, queued.id)
    assert done.status == "succeeded", done.error
    assert took < 60, f"the job ran {took:.0f} s: it did not wrap up"
    with session_scope(engine) as s:
        v = registry.get_version(s, user, done.result["version_id"])
    assert v.recipe["search"]["wrapped_up"] is True
    assert v.recipe["delivered_model_fit_on"] == "train and validation rows"
    assert any(n.get("kind") == "time_ran_out" for n in v.notes)
    assert any(line.startswith("Time ran out") for line in product_decisions_in_words(v))
    assert v.holdout_score > v.baseline_score  # a real model, not an empty hand


@pytest.mark.parametrize("use_cv", [True, False])
def test_wrap_up_after_three_trials_keeps_what_the_search_found(use_cv):
    """In process and deterministic: the request arrives once three trials are done (cross-validated or not)."""
    import pandas as pd

    from automl_canvas.datasets.profiling import profile_frame
    from automl_canvas.training.anytime import request_wrap_up, reset_wrap_up
    from automl_canvas.training.spec import resolve_spec
    from automl_canvas.training.trainer import train

    df = pd.read_csv(SAMPLE_DATA / "churn.csv", nrows=1200)
    spec = resolve_spec(TrainingRequest(target="churned", budget=120, learners=["lgbm", "rf"]), profile_frame(df).to_dict(),
                        lambda c: df[c], max_classes=100, default_seed=0)

    def progress(**kw):
        if (kw.get("trials_done") or 0) >= 3:
            request_wrap_up()

    started = time.monotonic()
    try:
        outcome = train(df, spec, n_jobs=1, cv_folds=3, cv_max_rows=100_000 if use_cv else 10, progress=progress)
    finally:
        reset_wrap_up()
    assert time.monotonic() - started < 60  # nowhere near the 120 s budget
    assert outcome.recipe["search"]["stopped_early"] and outcome.recipe["search"]["trials"] >= 3
    assert outcome.recipe["delivered_model_fit_on"] == "train and validation rows"
    assert [n["kind"] for n in outcome.notes if n.get("kind") == "time_ran_out"]
    assert outcome.operating_point["threshold"] > 0 and outcome.holdout_score > outcome.baseline_score
