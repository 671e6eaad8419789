"""The governance story end to end, through the service layer and the CLI:
analyst trains and shares -> scientist claims, sees a failing fairness check, requests changes ->
analyst retrains without the sensitive column as a feature and shares the answer -> a scientist
approves -> the decision record shows the frozen evidence; deployment and revocation follow."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from automl_canvas.audit import list_events, verify_chain
from automl_canvas.db import session_scope
from automl_canvas.errors import InvalidTransitionError, PolicyCheckError
from automl_canvas.review import (
    EVENT_ACTIONS,
    approve,
    claim,
    get_review,
    record_deployment,
    request_changes,
    revoke,
    rollback,
    share,
    submit_review_reproduce,
)
from automl_canvas.services.training import submit_training
from automl_canvas.training.spec import TrainingRequest

from ..helpers import job, run_queued_jobs

pytestmark = pytest.mark.slow


def _train(world, **kw):
    queued = submit_training(world.engine, world.settings, world.analyst, world.dataset_id,
                             TrainingRequest(target="approved", budget=2, sensitive_columns=["gender"], learners=["lgbm"], **kw))
    run_queued_jobs(world.settings, world.engine)
    done = job(world.engine, queued.id)
    assert done.status == "succeeded", done.error
    return done.result["version_id"]


def test_the_whole_story(world):
    v1 = world.trained_id  # trained with gender as a feature
    with session_scope(world.engine) as s:
        share(s, world.settings, world.analyst, v1, "Churn-style loan model, please check.")
    with session_scope(world.engine) as s:
        claim(s, world.sam, v1)
    with session_scope(world.engine) as s:
        checks = {c["name"]: c for c in get_review(s, world.settings, world.sam, v1)["checks"]}
    assert not checks["fairness:gender"]["passed"]
    with session_scope(world.engine) as s, pytest.raises(PolicyCheckError, match="gender"):
        approve(s, world.settings, world.sam, v1)
    with session_scope(world.engine) as s:
        request_changes(s, world.settings, world.sam, v1, "The model uses gender; retrain without it as a feature.")

    v2 = _train(world)  # gender stays declared sensitive, but is no longer a feature
    with session_scope(world.engine) as s:
        share(s, world.settings, world.analyst, v2, "Retrained without gender.", responds_to_version_id=v1)
    with session_scope(world.engine) as s:
        claim(s, world.sky, v2)
    reproduce = submit_review_reproduce(world.engine, world.settings, world.sky, v2)
    run_queued_jobs(world.settings, world.engine)
    assert job(world.engine, reproduce.id).status == "succeeded"
    with session_scope(world.engine) as s:
        review = get_review(s, world.settings, world.sky, v2)
        checks = {c["name"]: c for c in review["checks"]}
        assert all(c["passed"] for c in checks.values()), checks
        decision = approve(s, world.settings, world.sky, v2, "Fairness gap is now within policy.")
    snap = decision.evidence_snapshot
    assert decision.to_status == "approved" and decision.override_justification == ""
    assert snap["artifact_sha256"] == review["version"].artifact_sha256
    assert snap["fairness"][0]["value"] <= 0.10 < checks_v1_value(world, v1)
    assert abs(snap["reproducibility"]["difference"]) < 1e-6
    assert "gender" not in [f["column"] for f in snap["top_features"]]

    with session_scope(world.engine) as s:
        assert get_review(s, world.settings, world.sam, v1)["version"].status == "superseded"
        dep = record_deployment(s, world.deployer, v2, "production", "release-42")
        with pytest.raises(InvalidTransitionError, match="only approved versions"):
            record_deployment(s, world.deployer, v1, "production")
    with session_scope(world.engine) as s:
        out = rollback(s, world.deployer, dep.id, "canary errors")
        assert out["previous_version_id"] is None
        revoke(s, world.settings, world.sam, v2, "Found a data bug upstream.")
    with session_scope(world.engine) as s:
        events = [e.action for e in list_events(s, actions=EVENT_ACTIONS, limit=1000)]
        assert verify_chain(s).ok
    for expected in ("version.shared", "version.claimed", "version.changes_requested", "version.superseded",
                     "version.approved", "deployment.recorded", "deployment.rolled_back", "version.revoked"):
        assert expected in events


def checks_v1_value(world, v1):
    with session_scope(world.engine) as s:
        decisions = get_review(s, world.settings, world.sam, v1)["decisions"]
    return next(c["value"] for c in decisions[-1].evidence_snapshot["policy"] if c["name"] == "fairness:gender")


def test_the_cli_drives_the_review(world, monkeypatch):
    from automl_canvas.cli import main
    from automl_canvas.config import get_settings

    vid = world.fresh_version()
    monkeypatch.setenv("AUTOML_CANVAS_HOME", str(world.settings.home))
    monkeypatch.setenv("AUTOML_CANVAS_DATABASE_URL", world.settings.database_url)
    monkeypatch.setenv("AUTOML_CANVAS_FAIRNESS_BOOTSTRAP", "30")
    get_settings.cache_clear()
    run = CliRunner().invoke
    try:
        assert "pending_review" in run(main, ["--user", "ana", "review", "share", str(vid), "-m", "please"]).output
        assert "in_review" in run(main, ["--user", "sam", "review", "claim", str(vid)]).output
        blocked = run(main, ["--user", "sam", "review", "approve", str(vid)])
        assert blocked.exit_code == 2 and "fails 1 policy check" in blocked.output
        mine = run(main, ["--user", "ana", "review", "approve", str(vid)])
        assert mine.exit_code == 2 and "may not perform 'review.approve'" in mine.output
        ok = run(main, ["--user", "sam", "review", "approve", str(vid), "--override", "Documented exception (test)."])
        assert ok.exit_code == 0 and "overridden checks: fairness:gender" in ok.output
        queue = run(main, ["--user", "sam", "review", "queue", "--json"])
        assert queue.exit_code == 0
    finally:
        get_settings.cache_clear()
