"""Every action in the policy table x every role, through the service function that performs it; then
the project-membership dimension (non-member, viewer, editor, a scientist from outside).

An allowed role (here a member of the project) must get past the permission
check (the call may still end in another domain error, e.g. a state that does
not fit, but never PermissionDeniedError or the NotFoundError of a hidden
object); a denied role must get PermissionDeniedError.  A test fails if an
action has no entry here (or in NOT_EXERCISED with a reason), so a new action
cannot be added without being covered.
"""

from __future__ import annotations

import re
import uuid

import pandas as pd
import pytest
import sqlalchemy as sa

from automl_canvas.audit import list_events
from automl_canvas.auth.policy import POLICY, RULES
from automl_canvas.auth.tokens import list_tokens
from automl_canvas.auth.users import ensure_user, list_users
from automl_canvas.datasets.service import get_dataset, ingest_file, list_datasets
from automl_canvas.db import session_scope
from automl_canvas.errors import CanvasError, ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from automl_canvas.evidence.mitigation import submit_mitigation
from automl_canvas.evidence.service import list_evidence, submit_evidence
from automl_canvas.feasibility.service import FeasibilityRequest, get_inputs, portfolio, set_inputs, submit_feasibility
from automl_canvas.jobs.service import cancel_job, get_job_for, queue_overview_for
from automl_canvas.models import ROLES, ModelVersion, ProjectCreate
from automl_canvas.monitoring.feedback import push_predictions, record_feedback
from automl_canvas.monitoring.retrain import retrain_from_feedback
from automl_canvas.monitoring.service import submit_check, version_health
from automl_canvas.projects import add_member, create_project, get_project, list_members, list_projects, remove_member
from automl_canvas.registry.operating_point import set_operating_point
from automl_canvas.registry.release import check_approval, open_artifact_for_download
from automl_canvas.registry.service import get_version, list_versions, predict_frame, submit_reproduce
from automl_canvas.review import (
    add_comment,
    approve,
    audit_trail,
    available_actions,
    claim,
    get_review,
    list_audit_events,
    list_comments,
    list_deployments,
    record_deployment,
    reject,
    retire,
    review_queue,
    revoke,
    rollback,
    set_project_policy,
    share,
    submit_review_reproduce,
    verify_audit,
    withdraw,
)
from automl_canvas.review.details import data_summary
from automl_canvas.review.events import event_feed
from automl_canvas.services.training import submit_training
from automl_canvas.serving.service import predict_records
from automl_canvas.training.spec import TrainingRequest
from automl_canvas.webhooks.service import list_subscriptions

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
    """A job the actor may see: their own when they can create one, else the project creator's."""
    owner = actor if actor.role_set & {"analyst", "scientist"} else w.analyst
    return submit_reproduce(w.engine, w.settings, owner, w.trained_id).id


def _rows(w):
    return pd.read_csv(SAMPLE_DATA / "loans.csv").head(3)


#: action -> callable(world, actor) that performs it through the service layer.
CALLS = {
    "project.create": lambda w, a: _in(w, lambda s: create_project(s, a, ProjectCreate(name=f"p-{uuid.uuid4().hex[:8]}"))),
    "project.read": lambda w, a: _in(w, lambda s: list_projects(s, a)),
    "project.policy.set": lambda w, a: _in(w, lambda s: set_project_policy(s, a, w.project.id, {"quorum": 1})),
    "project.members.read": lambda w, a: _in(w, lambda s: list_members(s, a, w.project.id)),
    "project.members.manage": lambda w, a: _in(w, lambda s: add_member(s, a, w.project.id, "matrix-member", "viewer")),
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
    "evidence.read": lambda w, a: _in(w, lambda s: list_evidence(s, a, _approved(w))),
    "model.mitigate": lambda w, a: submit_mitigation(w.engine, w.settings, a, w.trained_id, "gender"),
    "job.read": lambda w, a: _in(w, lambda s: get_job_for(s, a, _job(w, a))),
    "job.cancel": lambda w, a: _in(w, lambda s: cancel_job(s, a, _job(w, a))),
    "job.queue.read": lambda w, a: _in(w, lambda s: queue_overview_for(s, a)),
    "user.manage": lambda w, a: _in(w, lambda s: list_users(s, a)),
    "token.own": lambda w, a: _in(w, lambda s: list_tokens(s, a)),
    "review.share": lambda w, a: _in(w, lambda s: share(s, w.settings, a, w.fresh_version(created_by=a))),
    "review.withdraw": lambda w, a: _in(w, lambda s: withdraw(s, a, _set_status(w, w.fresh_version(), "pending_review", shared_by_id=a.id))),
    "review.claim": lambda w, a: _in(w, lambda s: claim(s, a, _shared(w, a))),
    "review.decide": lambda w, a: _in(w, lambda s: reject(s, w.settings, a, _in_review(w, a), "Not good enough.")),
    "review.approve": lambda w, a: _in(w, lambda s: approve(s, w.settings, a, _in_review(w, a), "ok",
                                                           override_justification="Accepted for the matrix.")),
    "review.revoke": lambda w, a: _in(w, lambda s: revoke(s, w.settings, a, _approved(w), "Found a bug.")),
    "review.comment": lambda w, a: _in(w, lambda s: add_comment(s, a, w.trained_id, "A question.")),
    "review.read": lambda w, a: _in(w, lambda s: list_comments(s, a, _approved(w))),
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
    "monitoring.read": lambda w, a: _in(w, lambda s: version_health(s, a, _approved(w))),
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
        return get_version(s, w.analyst, w.trained_id)


#: actions no single service call can be refused on, with the reason and where they are exercised instead.
NOT_EXERCISED = {
    "webhook.manage_all": "it decides whose subscriptions a list shows and which ones a delete finds (a deployer "
                          "sees only their own, an admin everyone's): tests/api/test_webhooks.py "
                          "test_only_the_owner_or_an_admin_sees_or_deletes_a_subscription",
}

#: What a missing id answers - and so what an object the caller may not see answers.
HIDDEN = re.compile(r"^(Project|Model version|Dataset|Job) \d+ does not exist\.$")


def test_every_action_is_in_the_matrix():
    assert not set(CALLS) & set(NOT_EXERCISED)
    assert set(CALLS) | set(NOT_EXERCISED) == set(POLICY)
    assert all(len(reason) > 40 for reason in NOT_EXERCISED.values())


def test_every_rule_belongs_to_a_named_action():
    assert set(RULES) <= set(POLICY)
    assert all(rule.scope in (None, "project", "release", "queue") for rule in RULES.values())


@pytest.fixture(scope="module")
def actors(world):
    """One user per role; the analyst and the scientist own the world's project with its creator, so an allowed
    role meets the role table only (the membership dimension is tested below)."""
    with session_scope(world.engine) as s:
        users = {role: ensure_user(s, f"only-{role}", (role,)) for role in ROLES}
        ensure_user(s, "matrix-member", ("analyst",))
        for role in ("analyst", "scientist"):
            add_member(s, world.analyst, world.project.id, users[role].username, "owner")
    return users


@pytest.mark.parametrize("action", sorted(CALLS))
@pytest.mark.parametrize("role", ROLES)
def test_matrix(world, actors, action, role):
    actor = actors[role]
    if role in POLICY[action]:
        try:
            CALLS[action](world, actor)
        except PermissionDeniedError as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"{role} should be allowed '{action}' but got: {exc.message}")
        except NotFoundError as exc:
            assert not HIDDEN.match(exc.message), f"{role} should see what '{action}' acts on but got: {exc.message}"
        except CanvasError:
            pass  # past the permission check; the state did not fit, which is not what this test is about
    else:
        with pytest.raises(PermissionDeniedError):
            CALLS[action](world, actor)


def test_audit_trail_of_a_version_is_readable_by_reviewers_only_through_review_read(world, actors):
    with session_scope(world.engine) as s:
        assert isinstance(audit_trail(s, actors["deployer"], _approved(world)), list)


def test_a_disabled_account_is_denied_everything(world):
    with session_scope(world.engine) as s:
        user = ensure_user(s, "gone", ("analyst", "scientist", "deployer", "admin"))
    disabled = user.model_copy(update={"is_active": False})
    for action in ("project.read", "model.read", "user.manage"):
        with pytest.raises(PermissionDeniedError, match="disabled"):
            CALLS[action](world, disabled)


# -- the member / non-member dimension --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def team(world, actors):
    """Analysts outside the project, viewing it and editing it; a scientist outside it; a shared and a draft version."""
    with session_scope(world.engine) as s:
        people = {name: ensure_user(s, name, roles) for name, roles in (
            ("outsider", ("analyst",)), ("watcher", ("analyst",)), ("maker", ("analyst",)), ("visitor", ("scientist",)))}
        add_member(s, world.analyst, world.project.id, "watcher", "viewer")
        add_member(s, world.analyst, world.project.id, "maker", "editor")
    shared = _set_status(world, world.fresh_version(), "pending_review", shared_by_id=world.analyst.id)
    return {**people, "shared": shared, "draft": world.fresh_version()}


def _missing(exc: CanvasError, thing: str, id_: int) -> bool:
    """The error a missing id gives, word for word."""
    return isinstance(exc, NotFoundError) and exc.message == f"{thing} {id_} does not exist."


#: what a member may read: name -> (call(world, actor, team), what a missing id of it is called, its id)
READS = {
    "the project": (lambda w, a, t: _in(w, lambda s: get_project(s, a, w.project.id)), "Project", lambda w, t: w.project.id),
    "its datasets": (lambda w, a, t: _in(w, lambda s: list_datasets(s, a, w.project.id)), "Project", lambda w, t: w.project.id),
    "a dataset": (lambda w, a, t: _in(w, lambda s: get_dataset(s, a, w.dataset_id)), "Dataset", lambda w, t: w.dataset_id),
    "a version": (lambda w, a, t: _in(w, lambda s: get_version(s, a, t["shared"])), "Model version", lambda w, t: t["shared"]),
    "a review": (lambda w, a, t: _in(w, lambda s: get_review(s, w.settings, a, t["shared"])), "Model version",
                 lambda w, t: t["shared"]),
    "the evidence": (lambda w, a, t: _in(w, lambda s: list_evidence(s, a, t["shared"])), "Model version",
                     lambda w, t: t["shared"]),
    "the business inputs": (lambda w, a, t: _in(w, lambda s: get_inputs(s, a, w.project.id)), "Project",
                            lambda w, t: w.project.id),
}

#: what an editor may do: name -> (call(world, actor, team), what a missing id of it is called, its id)
WRITES = {
    "upload": (lambda w, a, t: ingest_file(w.engine, w.settings, a, w.project.id, SAMPLE_DATA / "loans.csv"), "Project",
               lambda w, t: w.project.id),
    "train": (lambda w, a, t: submit_training(w.engine, w.settings, a, w.dataset_id, TrainingRequest(target="approved", budget=1)),
              "Dataset", lambda w, t: w.dataset_id),
    "set business inputs": (lambda w, a, t: _in(w, lambda s: set_inputs(s, a, w.project.id, {"decisions_per_month": 50})),
                            "Project", lambda w, t: w.project.id),
    "comment": (lambda w, a, t: _in(w, lambda s: add_comment(s, a, t["shared"], "A question.")), "Model version",
                lambda w, t: t["shared"]),
    "share": (lambda w, a, t: _in(w, lambda s: share(s, w.settings, a, w.fresh_version())), "Model version", None),
}


@pytest.mark.parametrize("what", sorted(READS) + sorted(WRITES))
def test_an_analyst_outside_the_project_is_told_it_does_not_exist(world, team, what):
    call, thing, which = {**READS, **WRITES}[what]
    with pytest.raises(NotFoundError) as hidden:
        call(world, team["outsider"], team)
    if which is not None:
        assert _missing(hidden.value, thing, which(world, team)), hidden.value.message
    else:
        assert HIDDEN.match(hidden.value.message), hidden.value.message


def test_an_outsider_cannot_tell_a_hidden_project_from_a_missing_one(world, team):
    errors = []
    for pid in (world.project.id, 999_999):
        with pytest.raises(NotFoundError) as exc:
            _in(world, lambda s, pid=pid: get_project(s, team["outsider"], pid))
        errors.append((exc.value.code, exc.value.message.replace(str(pid), "N"), exc.value.details))
    assert errors[0] == errors[1] == ("not_found", "Project N does not exist.", {})


def test_lists_leave_out_what_the_analyst_may_not_see(world, team):
    outsider = team["outsider"]
    with session_scope(world.engine) as s:
        assert world.project.id not in [p.id for p in list_projects(s, outsider)]
        assert list_versions(s, outsider) == []
        assert review_queue(s, world.settings, outsider) == []
        assert world.project.id not in [e.project_id for e in portfolio(s, outsider)]
        assert event_feed(s, outsider)["events"] == []
        assert list_deployments(s, outsider) == []
        # the members see it all
        assert world.project.id in [p.id for p in list_projects(s, team["watcher"])]
        assert team["shared"] in [r["version_id"] for r in review_queue(s, world.settings, team["watcher"])]


@pytest.mark.parametrize("what", sorted(READS))
def test_a_viewer_reads(world, team, what):
    READS[what][0](world, team["watcher"], team)


@pytest.mark.parametrize("what", sorted(WRITES))
def test_a_viewer_cannot_change_anything(world, team, what):
    with pytest.raises(PermissionDeniedError) as refused:
        WRITES[what][0](world, team["watcher"], team)
    message = refused.value.message
    assert "watcher" in message and "viewer" in message and ("editor or owner" in message or "their own projects" in message)


@pytest.mark.parametrize("what", sorted(WRITES))
def test_an_editor_changes_the_project(world, team, what):
    try:
        WRITES[what][0](world, team["maker"], team)
    except PermissionDeniedError as exc:  # pragma: no cover - the message is the point
        pytest.fail(f"an editor should be allowed to {what}: {exc.message}")


def test_a_scientist_outside_the_project_reads_the_shared_review(world, team):
    visitor, vid = team["visitor"], team["shared"]
    with session_scope(world.engine) as s:
        review = get_review(s, world.settings, visitor, vid)
        assert review["version"].id == vid and "claim" in review["actions"]
        assert data_summary(s, world.settings, visitor, vid)["dataset"]["id"] == world.dataset_id  # the data profile
        assert isinstance(list_evidence(s, visitor, vid), list)
        assert get_version(s, visitor, vid).leaderboard  # the leaderboard
        assert vid in [r["version_id"] for r in review_queue(s, world.settings, visitor)]  # the queue spans projects
        with pytest.raises(NotFoundError) as hidden:  # a draft nobody shared stays private
            get_version(s, visitor, team["draft"])
        assert _missing(hidden.value, "Model version", team["draft"])
    with session_scope(world.engine) as s:
        add_comment(s, visitor, vid, "How were the thresholds chosen?")  # the review workflow lets them


@pytest.mark.parametrize("what", ["upload", "train", "set business inputs"])
def test_a_scientist_outside_the_project_cannot_change_it(world, team, what):
    with pytest.raises(PermissionDeniedError, match="visitor is not a member of project 'Loans'"):
        WRITES[what][0](world, team["visitor"], team)


def test_owners_and_admins_manage_members_and_the_last_owner_stays(world, team):
    with session_scope(world.engine) as s:
        ensure_user(s, "newcomer", ("analyst",))
    with session_scope(world.engine) as s, pytest.raises(PermissionDeniedError, match="'project.members.manage'.*editor"):
        add_member(s, team["maker"], world.project.id, "newcomer", "viewer")  # an editor is not an owner
    with session_scope(world.engine) as s, pytest.raises(NotFoundError, match=f"^Project {world.project.id} does not exist"):
        add_member(s, team["outsider"], world.project.id, "newcomer", "viewer")
    with session_scope(world.engine) as s:
        assert add_member(s, world.admin, world.project.id, "newcomer", "viewer").role == "viewer"  # admins: everywhere
        assert add_member(s, world.analyst, world.project.id, "newcomer", "editor").role == "editor"  # owners: theirs
        assert remove_member(s, world.analyst, world.project.id, "newcomer").username == "newcomer"
        with pytest.raises(ValidationError, match="Unknown project role 'boss'"):
            add_member(s, world.analyst, world.project.id, "newcomer", "boss")
        with pytest.raises(NotFoundError, match="There is no user called 'nobody-here'"):
            add_member(s, world.analyst, world.project.id, "nobody-here", "viewer")
        project = create_project(s, team["outsider"], ProjectCreate(name=f"solo-{uuid.uuid4().hex[:6]}"))
        assert [(m.username, m.role) for m in list_members(s, team["outsider"], project.id)] == [("outsider", "owner")]
        with pytest.raises(ConflictError, match="would be left without an owner"):
            remove_member(s, team["outsider"], project.id, "outsider")
        with pytest.raises(ConflictError, match="would be left without an owner"):
            add_member(s, world.admin, project.id, "outsider", "viewer")
        trail = [(e.action, e.payload["username"]) for e in list_events(s, subject_type="project", subject_id=world.project.id,
                                                                        limit=1000) if e.action.startswith("project.member")]
    assert ("project.member_added", "newcomer") in trail and ("project.member_changed", "newcomer") in trail
    assert ("project.member_removed", "newcomer") in trail


def test_the_review_offers_what_the_state_and_the_policy_allow(world, team):
    with session_scope(world.engine) as s:
        draft = team["draft"]
        assert available_actions(s, world.analyst, draft, world.settings) == ["share"]
        assert available_actions(s, team["maker"], draft, world.settings) == ["share"]
        viewer = get_review(s, world.settings, team["watcher"], draft)
        assert viewer["actions"] == [] and "watcher is a viewer" in viewer["blocked"]["share"]
        shared = get_review(s, world.settings, world.analyst, team["shared"])
        assert shared["actions"] == ["withdraw", "comment"]  # ana shared it; nobody claimed it yet
        assert available_actions(s, team["visitor"], team["shared"], world.settings) == ["claim", "comment"]
        assert available_actions(s, world.deployer, _approved(world), world.settings) == []
        assert "revoke" in available_actions(s, world.sam, _approved(world), world.settings)
