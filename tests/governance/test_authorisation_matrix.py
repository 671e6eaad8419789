"""Every action in the policy table x every role, through the service function that performs it.

An allowed role must get past the permission check (the call may still end in
another domain error, e.g. a state that does not fit); a denied role must get
PermissionDeniedError.  A test fails if an action has no entry here, so a new
action cannot be added without being covered.
"""

from __future__ import annotations

import uuid

import pandas as pd
import pytest
import sqlalchemy as sa

from automl_canvas.auth.policy import POLICY
from automl_canvas.auth.tokens import list_tokens
from automl_canvas.auth.users import ensure_user, list_users
from automl_canvas.datasets.service import get_dataset, ingest_file
from automl_canvas.db import session_scope
from automl_canvas.errors import CanvasError, PermissionDeniedError
from automl_canvas.evidence.mitigation import submit_mitigation
from automl_canvas.registry.operating_point import set_operating_point
from automl_canvas.registry.release import check_approval, open_artifact_for_download
from automl_canvas.registry.serving import predict_records
from automl_canvas.review.events import event_feed
from automl_canvas.webhooks.service import list_subscriptions
from automl_canvas.feasibility.service import FeasibilityRequest, get_inputs, portfolio, set_inputs, submit_feasibility
from automl_canvas.evidence.service import list_evidence, submit_evidence
from automl_canvas.jobs.service import cancel_job, get_job_for
from automl_canvas.models import ROLES, ModelVersion, ProjectCreate
from automl_canvas.monitoring.feedback import push_predictions, record_feedback
from automl_canvas.monitoring.retrain import retrain_from_feedback
from automl_canvas.monitoring.service import submit_check, version_health
from automl_canvas.projects import create_project, list_projects
from automl_canvas.registry.service import get_version, list_versions, predict_frame, submit_reproduce
from automl_canvas.review import (add_comment, audit_trail, claim, list_audit_events, list_comments, list_deployments,
                                  record_deployment, reject, retire, revoke, rollback, set_project_policy, share,
                                  submit_review_reproduce, verify_audit, withdraw)
from automl_canvas.training.service import submit_training
from automl_canvas.training.spec import TrainingRequest

from ..conftest import SAMPLE_DATA

pytestmark = pytest.mark.slow


def _set_status(w, vid, status, **extra):
    with session_scope(w.engine) as s:
        s.execute(sa.update(ModelVersion).where(ModelVersion.id == vid).values(status=status, **extra))
    return vid


def _shared(w, actor):
    vid = w.fresh_version(created_by=actor if "analyst" in actor.role_set else None)
    return _set_status(w, vid, "pending_review", shared_by_id=w.analyst.id)


def _in_review(w, actor):
    return _set_status(w, w.fresh_version(), "in_review", shared_by_id=w.analyst.id, claimed_by_id=actor.id)


def _approved(w):
    return _set_status(w, w.fresh_version(), "approved")


def _approved_digest(w):
    vid = _approved(w)
    with session_scope(w.engine) as s:
        return s.get(ModelVersion, vid).artifact_sha256


def _active_deployment(w):
    with session_scope(w.engine) as s:
        return record_deployment(s, w.deployer, _approved(w), "staging").id


def _job(w, actor):
    """A job the actor may see: their own when they can create one, else a scientist's."""
    owner = actor if actor.role_set & {"analyst", "scientist"} else w.sam
    return submit_reproduce(w.engine, w.settings, owner, w.trained_id).id


def _rows(w):
    return pd.read_csv(SAMPLE_DATA / "loans.csv").head(3)


#: action -> callable(world, actor) that performs it through the service layer.
CALLS = {
    "project.create": lambda w, a: _in(w, lambda s: create_project(s, a, ProjectCreate(name=f"p-{uuid.uuid4().hex[:8]}"))),
    "project.read": lambda w, a: _in(w, lambda s: list_projects(s, a)),
    "project.policy.set": lambda w, a: _in(w, lambda s: set_project_policy(s, a, w.project.id, {"quorum": 1})),
    "dataset.ingest": lambda w, a: ingest_file(w.engine, w.settings, a, w.project.id, SAMPLE_DATA / "loans.csv"),
    "dataset.read": lambda w, a: _in(w, lambda s: get_dataset(s, a, w.dataset_id)),
    "model.train": lambda w, a: submit_training(w.engine, w.settings, a, w.dataset_id, TrainingRequest(target="approved", budget=1)),
    "model.read": lambda w, a: _in(w, lambda s: list_versions(s, a)),
    "model.predict": lambda w, a: predict_frame(w.settings, a, _version(w), _rows(w)),
    "model.predict_approved": lambda w, a: _in(w, lambda s: predict_records(s, w.settings, a, _approved(w),
                                                                            _rows(w).to_dict(orient="records"))),
    "model.download": lambda w, a: _in(w, lambda s: open_artifact_for_download(s, w.settings, a, _approved(w))),
    "model.reproduce": lambda w, a: submit_reproduce(w.engine, w.settings, a, w.trained_id),
    "model.operating_point": lambda w, a: _in(w, lambda s: set_operating_point(
        s, a, w.fresh_version(created_by=a if "analyst" in a.role_set else None), "recall", 60)),
    "evidence.compute": lambda w, a: submit_evidence(w.engine, w.settings, a, w.trained_id),
    "evidence.read": lambda w, a: _in(w, lambda s: list_evidence(s, a, w.trained_id)),
    "model.mitigate": lambda w, a: submit_mitigation(w.engine, w.settings, a, w.trained_id, "gender"),
    "job.read": lambda w, a: _in(w, lambda s: get_job_for(s, a, _job(w, a))),
    "job.cancel": lambda w, a: _in(w, lambda s: cancel_job(s, a, _job(w, a))),
    "user.manage": lambda w, a: _in(w, lambda s: list_users(s, a)),
    "token.own": lambda w, a: _in(w, lambda s: list_tokens(s, a)),
    "review.share": lambda w, a: _in(w, lambda s: share(s, w.settings, a, w.fresh_version(created_by=a))),
    "review.withdraw": lambda w, a: _in(w, lambda s: withdraw(s, a, _set_status(w, w.fresh_version(), "pending_review", shared_by_id=a.id))),
    "review.claim": lambda w, a: _in(w, lambda s: claim(s, a, _shared(w, a))),
    "review.decide": lambda w, a: _in(w, lambda s: reject(s, w.settings, a, _in_review(w, a), "Not good enough.")),
    "review.revoke": lambda w, a: _in(w, lambda s: revoke(s, w.settings, a, _approved(w), "Found a bug.")),
    "review.comment": lambda w, a: _in(w, lambda s: add_comment(s, a, w.trained_id, "A question.")),
    "review.read": lambda w, a: _in(w, lambda s: list_comments(s, a, w.trained_id)),
    "review.reproduce": lambda w, a: submit_review_reproduce(w.engine, w.settings, a, w.trained_id),
    "deployment.record": lambda w, a: _in(w, lambda s: record_deployment(s, a, _approved(w), "production")),
    "deployment.rollback": lambda w, a: _in(w, lambda s: rollback(s, a, _active_deployment(w), "bad canary")),
    "deployment.read": lambda w, a: _in(w, lambda s: list_deployments(s, a)),
    "version.retire": lambda w, a: _in(w, lambda s: retire(s, a, _approved(w), "replaced")),
    "audit.read": lambda w, a: _in(w, lambda s: list_audit_events(s, a)),
    "audit.verify": lambda w, a: _in(w, lambda s: verify_audit(s, a)),
    "feasibility.inputs": lambda w, a: _in(w, lambda s: set_inputs(s, a, w.project.id, {"decisions_per_month": 100})),
    "feasibility.read": lambda w, a: _in(w, lambda s: get_inputs(s, a, w.project.id)),
    "feasibility.run": lambda w, a: submit_feasibility(w.engine, w.settings, a, w.project.id,
                                                       FeasibilityRequest(dataset_id=w.dataset_id, target="approved", budget=1)),
    "portfolio.read": lambda w, a: _in(w, lambda s: portfolio(s, a)),
    "approval.check": lambda w, a: _in(w, lambda s: check_approval(s, a, _approved_digest(w))),
    "events.read": lambda w, a: _in(w, lambda s: event_feed(s, a)),
    "webhook.manage": lambda w, a: _in(w, lambda s: list_subscriptions(s, a)),
    # A version never deployed: an allowed role gets past the role check to "never deployed".
    "monitoring.read": lambda w, a: _in(w, lambda s: version_health(s, a, w.trained_id)),
    "monitoring.feedback": lambda w, a: _in(w, lambda s: record_feedback(s, w.settings, a, w.fresh_version(),
                                                                          [{"request_id": "r1", "actual": "yes"}])),
    "monitoring.push": lambda w, a: _in(w, lambda s: push_predictions(s, w.settings, a, w.fresh_version(), [{}])),
    "monitoring.check": lambda w, a: submit_check(w.engine, w.settings, a, w.fresh_version()),
    "monitoring.retrain": lambda w, a: retrain_from_feedback(w.engine, w.settings, a, w.fresh_version()),
}


def _in(w, fn):
    with session_scope(w.engine) as s:
        return fn(s)


def _version(w):
    with session_scope(w.engine) as s:
        return get_version(s, w.sam, w.trained_id)


def test_every_action_is_in_the_matrix():
    assert set(CALLS) == set(POLICY)


@pytest.fixture(scope="module")
def actors(world):
    with session_scope(world.engine) as s:
        return {role: ensure_user(s, f"only-{role}", (role,)) for role in ROLES}


@pytest.mark.parametrize("action", sorted(POLICY))
@pytest.mark.parametrize("role", ROLES)
def test_matrix(world, actors, action, role):
    actor = actors[role]
    if role in POLICY[action]:
        try:
            CALLS[action](world, actor)
        except PermissionDeniedError as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"{role} should be allowed '{action}' but got: {exc.message}")
        except CanvasError:
            pass  # past the permission check; the state did not fit, which is not what this test is about
    else:
        with pytest.raises(PermissionDeniedError):
            CALLS[action](world, actor)


def test_audit_trail_of_a_version_is_readable_by_reviewers_only_through_review_read(world, actors):
    with session_scope(world.engine) as s:
        assert isinstance(audit_trail(s, actors["deployer"], world.trained_id), list)


def test_a_disabled_account_is_denied_everything(world):
    with session_scope(world.engine) as s:
        user = ensure_user(s, "gone", ("analyst", "scientist", "deployer", "admin"))
    disabled = user.model_copy(update={"is_active": False})
    for action in ("project.read", "model.read", "user.manage"):
        with pytest.raises(PermissionDeniedError, match="disabled"):
            CALLS[action](world, disabled)
