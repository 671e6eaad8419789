"""Withdrawing a version that was never shared is a state error (409 invalid_transition), not a refusal of a
right (403): the builder is told what is wrong with the request (issue 17, point 8)."""

from __future__ import annotations


def test_withdrawing_an_unshared_draft_is_409_invalid_transition(client, world):
    r = client.post(f"/api/v1/model-versions/{world.draft_id}/withdraw", headers=world.headers("ana"))
    assert r.status_code == 409, r.text
    err = r.json()["error"]
    assert err["code"] == "invalid_transition" and err["details"]["status"] == "draft"
    assert "withdraw" in err["message"] and "pending_review" in err["message"]
