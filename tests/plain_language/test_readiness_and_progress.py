"""Readiness report, target sentence, row noun, training progress in words, retrain request, job service."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from automl_canvas.datasets.readiness import check_target, readiness_report, row_noun, target_sentence
from automl_canvas.datasets.service import ingest_file
from automl_canvas.db import session_scope
from automl_canvas.errors import InvalidTransitionError, PermissionDeniedError
from automl_canvas.jobs import queue
from automl_canvas.jobs.service import cancel_job, get_job_for, list_project_jobs
from automl_canvas.training.progress import describe_progress
from automl_canvas.training.rebuild_request import request_from_version

from ..conftest import SAMPLE_DATA


def finding(code, severity, column):
    return {"code": code, "severity": severity, "message": f"{column}: {code}", "fix": f"fix {column}", "column": column}


def profile(findings, columns=("customer_id", "plan", "churned")):
    return {"n_rows": 1200, "n_columns": len(columns), "findings": findings,
            "columns": [{"name": c, "examples": ["No", "Yes"], "stats": {"top_values": [{"value": "No"}, {"value": "Yes"}]}}
                        for c in columns]}


def test_readiness_verdicts_and_order():
    report = readiness_report(profile([finding("datetime_detected", "info", "d"), finding("mixed_types", "critical", "x"),
                                       finding("id_like", "warning", "customer_id")]), name="t.csv")
    assert report.summary.startswith("t.csv has 1,200 rows and 3 columns. 1 problem must be fixed")
    assert not report.ready
    assert [i.label for i in report.items] == ["Must fix", "Worth a look", "Good to know"]
    ok = readiness_report(profile([finding("id_like", "warning", "customer_id")]))
    assert ok.ready and "It is ready to build. 1 thing is worth a look" in ok.summary
    assert readiness_report(profile([])).summary.endswith("It is ready to build: no problems were found.")


def test_target_findings_join_the_report_once():
    base = profile([finding("id_like", "warning", "customer_id")])
    extra = [finding("leakage", "critical", "plan"), finding("id_like", "warning", "customer_id")]
    report = readiness_report(base, extra)
    assert [i.code for i in report.items] == ["leakage", "id_like"]


@pytest.mark.parametrize(("name", "noun"), [("customer_id", "customers"), ("CompanyID", "companies"), ("patient_no", "patients"),
                                            ("id", "rows")])
def test_row_noun_from_the_identifier(name, noun):
    assert row_noun(profile([finding("id_like", "warning", name)], columns=(name, "x"))) == noun


def test_target_sentences():
    p = profile([finding("id_like", "warning", "customer_id")])
    assert target_sentence(p, "churned", "binary") == ("The model will predict `churned` ('No' or 'Yes') for each of your "
                                                       "customers: a yes-or-no question (binary classification).")
    assert target_sentence(p, "plan", "regression").endswith("a number to estimate (regression).")


def test_check_target_on_the_churn_sample(settings, engine, analyst, project):
    ds = ingest_file(engine, settings, analyst, project.id, SAMPLE_DATA / "churn.csv")
    check = check_target(engine, settings, analyst, ds.id, "churned")
    assert check.task == "binary"
    assert "about 25 in every 100 customers are 'Yes'" in check.sentence
    assert check.leakage_suspects == []


def job(status="running", **progress):
    return SimpleNamespace(status=status, progress=progress, error={}, cancel_requested=False)


def test_progress_in_words():
    assert describe_progress(job("queued")).headline == "Waiting for a free worker"
    mid = describe_progress(job(stage="searching", budget_seconds=10, search_elapsed_seconds=5, remaining_seconds=5,
                                trials_done=7, best_score=0.8312, best_learner="lgbm", search_curve=[[1, 0.8], [4, 0.83]]), "ROC AUC")
    assert mid.fraction == pytest.approx(0.15 + 0.65 / 2)
    assert mid.details == ["About 5 seconds of searching left.", "7 models tried so far.", "Best ROC AUC so far: 0.831 (lgbm)."]
    assert mid.curve == [[1, 0.8], [4, 0.83]] and not mid.finished
    failed = job("failed", stage="searching")
    failed.error = {"message": "The target has one value."}
    view = describe_progress(failed)
    assert view.finished and view.headline == "The build failed" and view.details[0] == "The target has one value."
    done = describe_progress(job("succeeded", stage="done", trials_done=5, best_score=0.857), "ROC AUC")
    assert done.fraction == 1.0 and done.details == ["5 models tried.", "Best ROC AUC found: 0.857."]
    one = describe_progress(job("succeeded", stage="done", trials_done=1, best_score=0.84), "ROC AUC")
    assert one.details[0] == "1 model tried."  # not "1 models tried."


def test_retrain_request_keeps_the_recipe_and_applies_changes():
    v = SimpleNamespace(target="churned", task="binary", metric="roc_auc",
                        recipe={"budget_seconds": 60.0, "excluded_columns": ["a"], "sensitive_columns": ["gender"]})
    req = request_from_version(v, excluded_columns=["a", "b"], budget=None)
    assert (req.target, req.task, req.metric, req.budget, req.excluded_columns, req.sensitive_columns) == \
        ("churned", "binary", "roc_auc", 60.0, ["a", "b"], ["gender"])


def test_job_service_checks_roles_and_cancels(engine, analyst, project):
    from automl_canvas.auth.users import ensure_user

    with session_scope(engine) as s:
        queued = queue.enqueue(s, kind="train", payload={}, created_by_id=analyst.id, project_id=project.id,
                               time_limit_seconds=60)
        job_id = queued.id
    with session_scope(engine) as s:
        assert get_job_for(s, analyst, job_id).status == "queued"
        assert [j.id for j in list_project_jobs(s, analyst, project.id, kind="train")] == [job_id]
        deployer = ensure_user(s, "dee", ("deployer",), "Dee")
        with pytest.raises(PermissionDeniedError):
            cancel_job(s, deployer, job_id)
        assert cancel_job(s, analyst, job_id).status == "cancelled"
    with session_scope(engine) as s, pytest.raises(InvalidTransitionError):
        cancel_job(s, analyst, job_id)
