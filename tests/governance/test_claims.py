"""Exclusive claims (issue 17, point 2): only the claim holder decides; a stale claim can be taken over, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from automl_canvas.audit import list_events
from automl_canvas.db import session_scope, utcnow
from automl_canvas.errors import ClaimHeldError, ClaimRequiredError, PermissionDeniedError
from automl_canvas.models import ModelVersion
from automl_canvas.review import approve, claim, reject, release, request_changes, share

pytestmark = [pytest.mark.slow, pytest.mark.db]

JUSTIFICATION = "Gender is an approved pricing factor here (test)."


def _claimed_by(world, vid, scientist, minutes_ago: float = 0) -> int:
    with session_scope(world.engine) as s:
        share(s, world.settings, world.analyst, vid, "Please review")
    with session_scope(world.engine) as s:
        claim(s, scientist, vid, settings=world.settings)
    if minutes_ago:
        with session_scope(world.engine) as s:
            s.execute(sa.update(ModelVersion).where(ModelVersion.id == vid)
                      .values(claimed_at=utcnow() - timedelta(minutes=minutes_ago)))
    return vid


def _row(world, vid) -> ModelVersion:
    with session_scope(world.engine) as s:
        return s.get(ModelVersion, vid)


def test_only_the_claim_holder_can_approve_reject_request_changes_or_release(world):
    """The attack: sam approved a version sky had claimed."""
    vid = _claimed_by(world, world.fresh_version(), world.sky, minutes_ago=10)
    with session_scope(world.engine) as s, pytest.raises(ClaimRequiredError) as denied:
        approve(s, world.settings, world.sam, vid, "lgtm", override_justification=JUSTIFICATION)
    assert denied.value.message == (f"sky is reviewing version {vid} (claimed 10 minutes ago); only the claim holder can approve "
                                    "it, or another scientist can take it over after 4 hours.")
    assert isinstance(denied.value, PermissionDeniedError) and denied.value.code == "claim_required"
    assert denied.value.details["claimed_by"] == "sky" and denied.value.details["stale"] is False
    for act in (lambda s: reject(s, world.settings, world.sam, vid, "no"),
                lambda s: request_changes(s, world.settings, world.sam, vid, "change it"),
                lambda s: release(s, world.sam, vid, settings=world.settings)):
        with session_scope(world.engine) as s, pytest.raises(ClaimRequiredError, match="sky is reviewing"):
            act(s)
    with session_scope(world.engine) as s, pytest.raises(ClaimHeldError, match=r"take it over after 4 hours \(in 3 hours\)"):
        claim(s, world.sam, vid, settings=world.settings)
    row = _row(world, vid)
    assert (row.status, row.claimed_by_id) == ("in_review", world.sky.id)
    with session_scope(world.engine) as s:
        decision = approve(s, world.settings, world.sky, vid, "fine", override_justification=JUSTIFICATION)
    assert decision.to_status == "approved"


def test_a_stale_claim_is_taken_over_and_the_takeover_is_audited(world):
    expiry = world.settings.review_claim_expiry_minutes
    vid = _claimed_by(world, world.fresh_version(), world.sky, minutes_ago=expiry + 5)
    with session_scope(world.engine) as s, pytest.raises(ClaimRequiredError, match="you may take it over"):
        approve(s, world.settings, world.sam, vid, override_justification=JUSTIFICATION)
    entered_review = _row(world, vid).status_changed_at
    with session_scope(world.engine) as s:
        out = claim(s, world.sam, vid, settings=world.settings)
    assert out.status == "in_review" and out.claimed_by_id == world.sam.id
    assert (utcnow() - out.claimed_at) < timedelta(minutes=1) and out.status_changed_at == entered_review
    with session_scope(world.engine) as s:
        last = list_events(s, subject_type="model_version", subject_id=vid)[-1]
    assert last.action == "version.claim_taken_over" and last.actor_name == "sam"
    assert last.payload["previous_holder"] == "sky" and last.payload["reason"] == "stale"
    assert (last.payload["from"], last.payload["to"]) == ("in_review", "in_review")
    # The old holder has lost it: now sky is the one who must wait.
    with session_scope(world.engine) as s, pytest.raises(ClaimRequiredError, match="sam is reviewing"):
        reject(s, world.settings, world.sky, vid, "too late")
    with session_scope(world.engine) as s:
        assert reject(s, world.settings, world.sam, vid, "Not good enough.").to_status == "rejected"


def test_claim_expiry_is_a_setting(world):
    quick = world.settings.model_copy(update={"review_claim_expiry_minutes": 30})
    vid = _claimed_by(world, world.fresh_version(), world.sky, minutes_ago=45)
    with session_scope(world.engine) as s, pytest.raises(ClaimHeldError, match="after 4 hours"):
        claim(s, world.sam, vid, settings=world.settings)  # 45 minutes: fresh under the default of 4 hours
    with session_scope(world.engine) as s:
        assert claim(s, world.sam, vid, settings=quick).claimed_by_id == world.sam.id


def test_claiming_twice_and_makers_are_refused_clearly(world):
    vid = _claimed_by(world, world.fresh_version(), world.sam)
    with session_scope(world.engine) as s, pytest.raises(ClaimHeldError, match="You already hold the claim"):
        claim(s, world.sam, vid, settings=world.settings)
    mine = world.fresh_version(created_by=world.admin)
    with session_scope(world.engine) as s:
        share(s, world.settings, world.admin, mine, "mine")
    with session_scope(world.engine) as s:
        claim(s, world.sam, mine, settings=world.settings)
    with session_scope(world.engine) as s:
        s.execute(sa.update(ModelVersion).where(ModelVersion.id == mine).values(claimed_at=utcnow() - timedelta(days=2)))
    with session_scope(world.engine) as s, pytest.raises(PermissionDeniedError, match="another scientist must review"):
        claim(s, world.admin, mine, settings=world.settings)  # a maker cannot take over a stale claim either


def test_release_hands_the_version_back_to_the_queue(world):
    vid = _claimed_by(world, world.fresh_version(), world.sam)
    with session_scope(world.engine) as s:
        out = release(s, world.sam, vid, settings=world.settings)
    assert (out.status, out.claimed_by_id, out.claimed_at) == ("pending_review", None, None)
    with session_scope(world.engine) as s:
        assert claim(s, world.sky, vid, settings=world.settings).claimed_by_id == world.sky.id
