"""The event feed: ordered, unique ids, real transitions only, and an idempotent cursor."""

from __future__ import annotations

from automl_canvas.review import EVENT_ACTIONS


def _page(client, world, **params):
    r = client.get("/api/v1/events", params=params, headers=world.headers("dee"))
    assert r.status_code == 200, r.text
    return r.json()


def test_feed_is_ordered_unique_and_only_transitions(client, world):
    feed = _page(client, world, after=0, limit=1000)
    ids = [e["id"] for e in feed["events"]]
    assert ids and ids == sorted(ids) and len(set(ids)) == len(ids)
    assert {e["type"] for e in feed["events"]} <= set(EVENT_ACTIONS)
    assert "version.approved" in {e["type"] for e in feed["events"]}
    assert feed["next_cursor"] == ids[-1]


def test_cursor_polling_is_idempotent_and_pages_add_up(client, world):
    whole = _page(client, world, after=0, limit=1000)["events"]
    assert _page(client, world, after=0, limit=1000)["events"] == whole  # same cursor, same answer
    collected, cursor = [], 0
    while True:
        page = _page(client, world, after=cursor, limit=2)
        if not page["events"]:
            assert page["next_cursor"] == cursor
            break
        collected += page["events"]
        cursor = page["next_cursor"]
    assert [e["id"] for e in collected] == [e["id"] for e in whole[: len(collected)]]
    assert len(collected) >= len(whole)
    only = _page(client, world, after=0, type="version.approved")["events"]
    assert only and {e["type"] for e in only} == {"version.approved"}
    bad = client.get("/api/v1/events", params={"type": "version.exploded"}, headers=world.headers("dee"))
    assert bad.status_code == 422
