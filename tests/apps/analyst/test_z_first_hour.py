"""Issue 20, the analyst's first hour: chrome, build states, plain words, portfolio defaults and failures, labels.

Runs last in this folder (``z``): it adds failed and cancelled jobs to the shared world's project, which the
Build page would otherwise show to the earlier tests as "the last build".
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from apps.common.session import signed_in_words
from automl_canvas.db import session_scope
from automl_canvas.models.jobs import Job
from automl_canvas.services.training import submit_training
from automl_canvas.training.spec import TrainingRequest

from .conftest import open_page
from .test_pages import texts

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("app", ["analyst", "scientist"])
def test_both_apps_hide_streamlits_toolbar_and_deploy_button(app):
    for folder in (REPO / "apps" / app, REPO):  # next to the entry file, and where `automl-canvas up` starts it
        config = tomllib.loads((folder / ".streamlit" / "config.toml").read_text())
        assert config["client"]["toolbarMode"] == "minimal"


def test_sign_in_form_sits_in_a_hidden_navigation(app):
    del app.session_state["canvas_user_id"]
    at = app.run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert not at.sidebar.button  # no sign-out, no page list before sign-in


def test_the_role_is_not_said_twice():
    ana = SimpleNamespace(display_name="Ana (analyst)", username="ana", roles="analyst")
    assert signed_in_words(ana) == "Signed in as **Ana (analyst)**"
    sam = SimpleNamespace(display_name="Sam", username="sam", roles="scientist,admin")
    assert signed_in_words(sam) == "Signed in as **Sam** (scientist, admin)"


def test_metric_choices_are_explained(app):
    at = open_page(app, "build")
    next(s for s in at.selectbox if s.label == "Predict").select("churned")
    at = at.run()
    judge = next(s for s in at.selectbox if s.label == "Judge models by")
    assert "ROC AUC: how well it ranks the 'Yes' cases above the 'No' cases" in judge.options


def _build_page(app):
    at = open_page(app, "build")
    next(s for s in at.selectbox if s.label == "Predict").select("churned")
    return at.run()


def _job_in_state(world, status: str, error: dict | None = None) -> int:
    job = submit_training(world.engine, world.settings, world.user, world.dataset.id,
                          TrainingRequest(target="churned", budget="quick", learners=["lgbm"]))
    with session_scope(world.engine) as s:
        s.execute(sa.update(Job).where(Job.id == job.id).values(status=status, error=error, finished_at=sa.func.now()))
    return job.id


def _cancel_queued(world) -> None:
    with session_scope(world.engine) as s:
        s.execute(sa.update(Job).where(Job.status == "queued", Job.kind == "train").values(status="cancelled"))


def test_a_failed_quick_build_says_so_and_offers_try_again_and_more_time(app, analyst_world):
    error = {"code": "time_limit", "message": "The job ran past its hard limit of 95 s and did not finish within 30 s "
                                              "of being asked to wrap up, so it was stopped. "
                                              "Try a smaller time budget or a smaller dataset."}
    app.session_state["build_job_id"] = _job_in_state(analyst_world, "failed", error)
    try:
        at = _build_page(app)
        assert not at.exception
        failed = at.error[0].value
        assert failed.startswith("**The build failed.**") and "smaller time budget" not in failed
        assert not at.get("progress")  # no full blue bar that reads as finished
        labels = [b.label for b in at.button]
        assert "Try again" in labels and "Give it more time (twice as long)" in labels
        next(b for b in at.button if b.label == "Give it more time (twice as long)").click()
        at = at.run()
        assert not at.exception
        with session_scope(analyst_world.engine) as s:
            new = s.get(Job, at.session_state["build_job_id"])
            assert new.status == "queued" and new.payload["request"]["budget"] == 120
            assert new.payload["request"]["target"] == "churned"
        assert "Waiting for a free worker" in str([p.proto.text for p in at.get("progress")])
    finally:
        _cancel_queued(analyst_world)


def test_a_cancelled_build_looks_cancelled_and_can_start_again(app, analyst_world):
    app.session_state["build_job_id"] = _job_in_state(analyst_world, "cancelled",
                                                      {"code": "cancelled", "message": "Cancelled on request."})
    at = _build_page(app)
    assert not at.exception
    assert any(i.value.startswith("**Cancelled.**") for i in at.info)
    assert any(b.label == "Start it again" for b in at.button)


def test_results_picker_label_comes_from_the_status_words(app):
    at = open_page(app, "results")
    assert not at.exception
    model = next(s for s in at.selectbox if s.label == "Model")
    assert all("_" not in o and "(pending review)" not in o for o in model.options)


def test_portfolio_target_default_no_none_and_matching_hints(app, analyst_world):
    at = open_page(app, "portfolio")
    assert not at.exception
    target = next(s for s in at.selectbox if s.label == "The column to predict")
    assert target.value == analyst_world.version.target  # the project's target, not merely the last column
    table = at.dataframe[0].value
    assert not table.isna().any().any() and "None" not in table.astype(str).to_numpy().ravel().tolist()
    labels = {w.label for kind in ("number_input", "text_input", "selectbox") for w in getattr(at, kind)}
    from automl_canvas.feasibility.inputs import INPUT_LABELS

    for hint in INPUT_LABELS.values():  # every missing-input hint names a field of the form
        assert any(label.startswith(hint.capitalize()) for label in labels), hint


def test_a_failed_assessment_shows_its_reason_and_a_retry(app, analyst_world):
    from automl_canvas.feasibility.service import FeasibilityRequest, submit_feasibility

    job = submit_feasibility(analyst_world.engine, analyst_world.settings, analyst_world.user, analyst_world.project.id,
                             FeasibilityRequest(dataset_id=analyst_world.dataset.id, target="churned", budget=30.0))
    with session_scope(analyst_world.engine) as s:
        s.execute(sa.update(Job).where(Job.id == job.id).values(
            status="failed", error={"code": "boom", "message": "The quick search ran out of memory."}))
    try:
        at = open_page(app, "portfolio")
        assert not at.exception
        assert any("The last assessment failed." in e.value and "ran out of memory" in e.value for e in at.error)
        next(b for b in at.button if b.label == "Try the assessment again").click()
        at = at.run()
        assert not at.exception
        with session_scope(analyst_world.engine) as s:
            assert s.get(Job, at.session_state["feasibility_job"]).status == "queued"
    finally:
        with session_scope(analyst_world.engine) as s:
            s.execute(sa.update(Job).where(Job.status == "queued", Job.kind == "feasibility").values(status="cancelled"))


def test_glossary_page_explains_the_words(app):
    at = open_page(app, "glossary")
    assert not at.exception
    body = texts(at)
    assert "Glossary" in body and "Leakage" in body and "ROC AUC: how well it ranks" in body


def test_waiting_for_evidence_says_what_is_known(app, analyst_world):
    """Not a fixed "a minute or two": queued reads "waiting for a free worker" with the queue position."""
    from apps.analyst.analyst_ui import evidence_waiting_words
    from automl_canvas.evidence.service import enqueue_evidence

    w = analyst_world
    with session_scope(w.engine) as s:
        job = enqueue_evidence(s, w.settings, version_id=w.version.id, project_id=w.project.id, created_by_id=w.user.id)
    try:
        words = evidence_waiting_words(w.user, w.version.id, "The explanations are")
        assert words.startswith("The explanations are waiting for a free worker:") and "a minute or two" not in words
        assert "next" in words or "ahead of yours" in words
        with session_scope(w.engine) as s:
            s.execute(sa.update(Job).where(Job.id == job.id).values(status="running"))
        assert evidence_waiting_words(w.user, w.version.id, "The explanations are") == \
            "The explanations are being computed now; they appear here by themselves."
    finally:
        with session_scope(w.engine) as s:
            s.execute(sa.update(Job).where(Job.id == job.id).values(status="cancelled"))
