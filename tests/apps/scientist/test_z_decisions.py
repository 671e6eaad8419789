"""Decisions through the dashboard, on the real review world (runs after the read-only page tests: it changes state).

Each refusal is the core's sentence on the page; each success leaves the core's records (decision with the
frozen evidence, audit events).
"""

from __future__ import annotations

from automl_canvas import review
from automl_canvas.db import session_scope

from .conftest import texts

HOOD = "pages/review.py"


def _status(world, vid: int) -> str:
    with session_scope(world.engine) as s:
        return review.get_review(s, world.settings, world.users["sam"], vid)["version"].status


def _buttons(at) -> set[str]:
    return {b.key for b in at.button}


def test_a_maker_is_offered_no_approve_button_and_reads_the_cores_refusal(open_app, world):
    at = open_app("sky", page=HOOD, review_version_id=world.in_review_id, hood_tab="Decision")
    assert not at.exception
    assert f"de_approve_{world.in_review_id}" not in _buttons(at)  # the controls are the core's offered actions
    assert "can never approve it (maker-checker)" in texts(at)
    assert _status(world, world.in_review_id) == "in_review"


def test_claim_from_the_queue(open_app, world):
    at = open_app("sam")
    at.selectbox(key="queue_pick").set_value(world.shared_id).run()
    at.button(key="queue_claim").click().run()
    assert not at.exception
    assert f"You claimed version #{world.shared_id}." in texts(at)
    assert _status(world, world.shared_id) == "in_review"


def test_approve_is_blocked_by_the_failing_fairness_check(open_app, world):
    vid = world.shared_id
    at = open_app("sam", page=HOOD, review_version_id=vid, hood_tab="Decision")
    checklist = at.dataframe[0].value
    failing = checklist[checklist[""] == "FAIL"]["check"].tolist()
    assert failing == ["fairness:gender"]
    at.button(key=f"de_approve_{vid}").click().run()
    shown = texts(at)
    assert f"Version {vid} fails 1 policy check(s)" in shown and "write an override justification" in shown
    assert _status(world, vid) == "in_review"


def test_another_scientist_cannot_decide_on_a_claimed_version(open_app, world):
    vid = world.shared_id
    at = open_app("sky", page=HOOD, review_version_id=vid, hood_tab="Decision")
    assert "Claimed by sam" in texts(at)
    assert f"sam is reviewing version {vid}" in texts(at)  # only the claim holder decides: the core says so
    assert not {f"de_reject_{vid}", f"de_approve_{vid}", f"de_changes_{vid}"} & _buttons(at)
    assert _status(world, vid) == "in_review"


def test_request_changes_needs_a_comment_then_is_recorded(open_app, world):
    vid = world.shared_id
    at = open_app("sam", page=HOOD, review_version_id=vid, hood_tab="Decision")
    at.button(key=f"de_changes_{vid}").click().run()
    assert "A comment saying why is required." in texts(at)
    at.text_area(key=f"de_comment_{vid}").input("Retrain without gender as a feature; keep it for the fairness check.")
    at.button(key=f"de_changes_{vid}").click().run()
    assert not at.exception
    assert "Changes requested" in texts(at)
    assert _status(world, vid) == "changes_requested"
    with session_scope(world.engine) as s:
        decisions = review.list_decisions(s, world.users["sam"], vid)
        trail = [e.action for e in review.audit_trail(s, world.users["sam"], vid)]
    assert decisions[-1].decision == "request_changes"
    assert decisions[-1].evidence_snapshot["fairness"][0]["name"] == "fairness:gender"
    assert "version.changes_requested" in trail


def test_history_shows_the_conversation_and_takes_a_comment(open_app, world):
    vid = world.shared_id
    at = open_app("sam", page=HOOD, review_version_id=vid, hood_tab="History")
    shown = texts(at)
    assert "Retrain without gender" in shown and "request changes" in " ".join(e.label for e in at.expander)
    at.text_area[0].input("Also check the intersection with region next time.")
    next(b for b in at.button if b.label == "Post comment").click().run()
    assert "Comment posted." in texts(at)
    at = open_app("sam", page=HOOD, review_version_id=vid, hood_tab="History")
    assert "intersection with region" in texts(at)
    actions = at.dataframe[-1].value["action"].tolist()
    assert {"version.shared", "version.claimed", "version.changes_requested", "comment.added"} <= set(actions)


def test_revoke_needs_a_reason_then_withdraws_the_approval(open_app, world):
    vid = world.approved_id
    at = open_app("sam", page="pages/deployed.py")
    at.selectbox(key="dep_pick").set_value(vid).run()
    at.button(key=f"dep_revoke_{vid}").click().run()
    assert "A reason for revoking is required." in texts(at)
    at.text_input(key=f"dep_reason_{vid}").input("Thresholds per group are not allowed for this product.")
    at.button(key=f"dep_revoke_{vid}").click().run()
    assert not at.exception
    assert f"The approval of version #{vid} is revoked." in texts(at)
    assert _status(world, vid) == "revoked"
    assert vid not in set(at.dataframe[0].value["id"])
