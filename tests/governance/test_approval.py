"""The approval gate: policy checks, overrides, maker-checker, quorum, digests, frozen evidence."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from automl_canvas.audit import list_events
from automl_canvas.db import session_scope
from automl_canvas.errors import (
    ConflictError,
    IntegrityError,
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
    PolicyCheckError,
    ValidationError,
)
from automl_canvas.models import ModelVersion
from automl_canvas.projects import add_member, remove_member
from automl_canvas.registry.artifacts import artifact_path
from automl_canvas.review import (
    add_comment,
    approve,
    claim,
    get_review,
    list_comments,
    reject,
    request_changes,
    review_queue,
    set_project_policy,
    share,
)

pytestmark = pytest.mark.slow


def _in_review(world, vid, reviewer=None):
    with session_scope(world.engine) as s:
        share(s, world.settings, world.analyst, vid, "Please review")
    with session_scope(world.engine) as s:
        claim(s, reviewer or world.sam, vid)


def _status(world, vid):
    with session_scope(world.engine) as s:
        return s.get(ModelVersion, vid).status


@pytest.fixture(autouse=True)
def default_policy(world):
    yield
    with session_scope(world.engine) as s:  # tests that change the policy put the defaults back
        from automl_canvas.models import ProjectPolicy

        s.execute(sa.delete(ProjectPolicy))


def test_fairness_check_fails_for_a_model_that_uses_gender_and_blocks_approval(world):
    vid = world.fresh_version()
    _in_review(world, vid)
    with session_scope(world.engine) as s:
        review = get_review(s, world.settings, world.sam, vid)
    checks = {c["name"]: c for c in review["checks"]}
    assert checks["fairness:gender"]["passed"] is False
    assert checks["fairness:gender"]["value"] > 0.10 and "demographic_parity_difference" in checks["fairness:gender"]["message"]
    assert checks["evidence_computed"]["passed"] and checks["metric_floor"]["passed"]
    with session_scope(world.engine) as s, pytest.raises(PolicyCheckError, match="fails 1 policy check") as blocked:
        approve(s, world.settings, world.sam, vid, "looks fine")
    assert [c["name"] for c in blocked.value.details["failed_checks"]] == ["fairness:gender"]
    assert _status(world, vid) == "in_review"
    with session_scope(world.engine) as s:
        queue = {r["version_id"]: r for r in review_queue(s, world.settings, world.sam)}
    assert queue[vid]["policy_status"] == "fails 1 check" and queue[vid]["claimed_by"] == "sam"


def test_override_with_justification_is_recorded_and_can_be_disabled(world):
    vid = world.fresh_version()
    _in_review(world, vid)
    with session_scope(world.engine) as s:
        d = approve(s, world.settings, world.sam, vid, "ok", override_justification="Regulator-approved pricing factor; see memo 12.")
    assert d.to_status == "approved" and d.override_justification.startswith("Regulator")
    with session_scope(world.engine) as s:
        actions = [e.action for e in list_events(s, subject_type="model_version", subject_id=vid)]
    assert actions[-2:] == ["version.approved", "version.policy_overridden"]

    vid2 = world.fresh_version()
    with session_scope(world.engine) as s:
        set_project_policy(s, world.sam, world.project.id, {"allow_override": False})
    _in_review(world, vid2)
    with session_scope(world.engine) as s, pytest.raises(PolicyCheckError, match="does not allow overrides"):
        approve(s, world.settings, world.sam, vid2, "ok", override_justification="Because I say so.")
    assert _status(world, vid2) == "in_review"


def test_maker_checker_nobody_approves_what_they_built_or_shared_not_even_an_admin(world):
    vid = world.fresh_version(created_by=world.admin)  # trained by an admin who is also a scientist
    with session_scope(world.engine) as s:
        share(s, world.settings, world.admin, vid, "mine")
    with session_scope(world.engine) as s, pytest.raises(PermissionDeniedError, match="another scientist"):
        claim(s, world.admin, vid)
    with session_scope(world.engine) as s:
        claim(s, world.sam, vid)
    with session_scope(world.engine) as s, pytest.raises(PermissionDeniedError, match="maker-checker"):
        approve(s, world.settings, world.admin, vid, override_justification="I am the admin.")
    with session_scope(world.engine) as s:
        assert [e.action for e in list_events(s, subject_id=vid, subject_type="model_version")][-1] == "version.self_approval_refused"
    assert _status(world, vid) == "in_review"


def test_analyst_cannot_share_another_analysts_model(world):
    vid = world.fresh_version()
    with session_scope(world.engine) as s, pytest.raises(NotFoundError, match=f"^Model version {vid} does not exist"):
        share(s, world.settings, world.analyst2, vid)  # not a member: the project's models do not exist for them
    with session_scope(world.engine) as s:
        add_member(s, world.analyst, world.project.id, world.analyst2.username, "viewer")
    try:
        with session_scope(world.engine) as s, pytest.raises(PermissionDeniedError, match="their own projects"):
            share(s, world.settings, world.analyst2, vid)  # a viewer reads, and shares nothing
    finally:
        with session_scope(world.engine) as s:
            remove_member(s, world.analyst, world.project.id, world.analyst2.username)


def test_bad_approvals_change_nothing(world):
    with session_scope(world.engine) as s, pytest.raises(NotFoundError, match="999999"):
        approve(s, world.settings, world.sam, 999999)
    vid = world.fresh_version()
    with session_scope(world.engine) as s, pytest.raises(InvalidTransitionError, match="is draft"):
        approve(s, world.settings, world.admin, vid, override_justification="x")  # (an admin sees unshared drafts)
    _in_review(world, vid)
    with session_scope(world.engine) as s:
        approve(s, world.settings, world.sam, vid, override_justification="Accepted risk, documented.")
    with session_scope(world.engine) as s, pytest.raises(InvalidTransitionError, match="is approved"):
        approve(s, world.settings, world.sky, vid, override_justification="again")
    with session_scope(world.engine) as s, pytest.raises(PermissionDeniedError):
        approve(s, world.settings, world.analyst2, vid)  # analysts never decide
    with session_scope(world.engine) as s, pytest.raises(ValidationError, match="comment saying why"):
        reject(s, world.settings, world.admin, world.fresh_version(), "")


def test_a_changed_artifact_cannot_be_approved(world, tmp_path):
    vid = world.fresh_version()
    _in_review(world, vid)
    with session_scope(world.engine) as s:
        path = artifact_path(world.settings, s.get(ModelVersion, vid).artifact_path)
    original = path.read_bytes()
    os.chmod(path, 0o644)
    path.write_bytes(original + b"tampered")
    try:
        with session_scope(world.engine) as s, pytest.raises(IntegrityError, match="no longer matches"):
            approve(s, world.settings, world.sam, vid, override_justification="x")
    finally:
        path.write_bytes(original)
    assert _status(world, vid) == "in_review"


def test_only_the_claimer_rejects_or_requests_changes(world):
    vid = world.fresh_version()
    _in_review(world, vid, reviewer=world.sam)
    with session_scope(world.engine) as s, pytest.raises(PermissionDeniedError, match="sam is reviewing version"):
        request_changes(s, world.settings, world.sky, vid, "change it")
    with session_scope(world.engine) as s:
        d = request_changes(s, world.settings, world.sam, vid, "Drop gender from the features.")
    assert d.to_status == "changes_requested"
    with session_scope(world.engine) as s:
        comments = list_comments(s, world.analyst, vid)
    assert [c.body for c in comments] == ["Please review", "Drop gender from the features."]
    assert [c.author_name for c in comments] == ["ana", "sam"]


def test_quorum_of_two_needs_two_different_scientists(world):
    with session_scope(world.engine) as s:
        set_project_policy(s, world.admin, world.project.id, {"quorum": 2})
    vid = world.fresh_version()
    _in_review(world, vid)
    just = "Accepted: gender is a documented pricing factor."
    with session_scope(world.engine) as s:
        first = approve(s, world.settings, world.sam, vid, override_justification=just)
    assert first.to_status == "in_review" and _status(world, vid) == "in_review"
    with session_scope(world.engine) as s, pytest.raises(ConflictError, match="already approved"):
        approve(s, world.settings, world.sam, vid, override_justification=just)
    # The first vote hands the claim back: the next approver claims the version (it stays in review), sam cannot.
    with session_scope(world.engine) as s, pytest.raises(ConflictError, match="already approved"):
        claim(s, world.sam, vid, settings=world.settings)
    with session_scope(world.engine) as s:
        claim(s, world.sky, vid, settings=world.settings)
        second = approve(s, world.settings, world.sky, vid, override_justification=just)
    assert second.to_status == "approved"


def test_decision_freezes_the_evidence_the_reviewer_saw(world):
    vid = world.fresh_version()
    _in_review(world, vid)
    with session_scope(world.engine) as s:
        d = approve(s, world.settings, world.sam, vid, "fine", override_justification="Documented exception.")
        v = s.get(ModelVersion, vid)
    snap = d.evidence_snapshot
    assert snap["artifact_sha256"] == v.artifact_sha256 == d.artifact_sha256
    assert snap["metrics"]["holdout"] == pytest.approx(v.holdout_score)
    assert {c["name"] for c in snap["policy"]} >= {"metric_floor", "evidence_computed", "fairness:gender", "no_leakage"}
    assert snap["top_features"][0]["column"] and snap["top_features"][0]["mean_abs_shap"] > 0
    assert snap["fairness"][0]["name"] == "fairness:gender" and snap["grade"]["grade"] in {"Excellent", "Good", "Fair", "Poor"}
    assert snap["operating_point"]["threshold"] == v.operating_point["threshold"]  # the approved cut-off, frozen
    # The record does not move when the policy changes afterwards.
    with session_scope(world.engine) as s:
        set_project_policy(s, world.admin, world.project.id, {"max_disparity_classification": 0.9})
        again = get_review(s, world.settings, world.sam, vid)
    assert again["decisions"][-1].evidence_snapshot == snap
    assert {c["name"]: c["passed"] for c in again["checks"]}["fairness:gender"] is True


def test_comments_are_validated_and_ordered(world):
    vid = world.fresh_version()
    with session_scope(world.engine) as s:
        share(s, world.settings, world.analyst, vid)  # shared: the reviewers join the conversation
    with session_scope(world.engine) as s:
        with pytest.raises(ValidationError, match="cannot be empty"):
            add_comment(s, world.analyst, vid, "   ")
        with pytest.raises(PermissionDeniedError):
            add_comment(s, world.deployer, vid, "hello")
        for body in ("one", "two", "three"):
            add_comment(s, world.analyst if body != "two" else world.sam, vid, body)
    with session_scope(world.engine) as s:
        assert [c.body for c in list_comments(s, world.sky, vid)] == ["one", "two", "three"]


def test_policy_rules_are_validated(world):
    with session_scope(world.engine) as s:
        with pytest.raises(ValidationError, match="Unknown policy rule"):
            set_project_policy(s, world.admin, world.project.id, {"vibes": 1})
        with pytest.raises(ValidationError, match="whole number"):
            set_project_policy(s, world.admin, world.project.id, {"quorum": 0})
        with pytest.raises(PermissionDeniedError):
            set_project_policy(s, world.analyst, world.project.id, {"quorum": 1})
