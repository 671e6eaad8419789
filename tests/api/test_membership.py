"""Private projects through the API: a non-member gets 404 - never 403 or 500 - for the project and for
everything in it, with the body a missing id gets; listings leave it out; owners manage members.

Runs on the shared API world (ana's Churn project, its approved and draft versions); the analyst who
is not in it is made here, added and removed again, so the world is as it was afterwards.
"""

from __future__ import annotations

import pytest

from automl_canvas.db import session_scope
from tests.api.records import records_for
from tests.helpers import users_with_tokens

CSV = "customer_id,tenure_months\nC-1,3\n"
#: what a viewer may not do (an editor may; an owner also manages members)
WRITES = {"upload", "train", "set business inputs", "comment", "share", "add a member"}


@pytest.fixture(scope="module")
def ola(world):
    """An analyst with a token who is not a member of the world's project."""
    with session_scope(world.engine) as s:
        _, tokens = users_with_tokens(s, world.settings, {"ola": ("analyst",)}, "membership tests")
    return {"Authorization": f"Bearer {tokens['ola']}"}


def _requests(client, world):
    """(name, method, path, body): reads and writes on the project and what is in it."""
    p, d, a, c = world.project_id, world.dataset_id, world.approved_id, world.draft_id
    return [
        ("project", "GET", f"/api/v1/projects/{p}", None),
        ("its members", "GET", f"/api/v1/projects/{p}/members", None),
        ("its datasets", "GET", f"/api/v1/projects/{p}/datasets", None),
        ("a dataset", "GET", f"/api/v1/datasets/{d}", None),
        ("an approved version", "GET", f"/api/v1/model-versions/{a}", None),
        ("a draft version", "GET", f"/api/v1/model-versions/{c}", None),
        ("its review", "GET", f"/api/v1/model-versions/{a}/review", None),
        ("its evidence", "GET", f"/api/v1/model-versions/{a}/evidence", None),
        ("the business inputs", "GET", f"/api/v1/projects/{p}/business-inputs", None),
        ("upload", "UPLOAD", f"/api/v1/projects/{p}/datasets", None),
        ("train", "POST", f"/api/v1/datasets/{d}/training-jobs", {"target": "churned"}),
        ("set business inputs", "PUT", f"/api/v1/projects/{p}/business-inputs", {"decisions_per_month": 10}),
        ("comment", "POST", f"/api/v1/model-versions/{a}/comments", {"body": "hello"}),
        ("share", "POST", f"/api/v1/model-versions/{c}/share", {}),
        ("predict", "POST", f"/api/v1/model-versions/{a}/predict", {"records": records_for(client, world, a, 1)}),
        ("add a member", "PUT", f"/api/v1/projects/{p}/members/ola", {"role": "owner"}),
    ]


def _send(client, method, path, body, headers):
    if method == "UPLOAD":
        return client.post(path, files={"file": ("rows.csv", CSV.encode(), "text/csv")}, headers=headers)
    return client.request(method, path, json=body, headers=headers)


def test_a_non_member_gets_404_for_everything_in_the_project(client, world, ola):
    for name, method, path, body in _requests(client, world):
        r = _send(client, method, path, body, ola)
        assert r.status_code == 404, f"{name}: {r.status_code} {r.text[:300]}"
        error = r.json()["error"]
        assert error["code"] == "not_found" and error["message"].endswith(" does not exist."), (name, error)


def test_the_404_is_the_one_a_missing_id_gets(client, world, ola):
    hidden = client.get(f"/api/v1/projects/{world.project_id}", headers=ola).json()
    missing = client.get("/api/v1/projects/999999", headers=ola).json()
    assert hidden["error"]["message"].replace(str(world.project_id), "N") == missing["error"]["message"].replace("999999", "N")
    assert hidden["error"]["details"] == missing["error"]["details"] == {}


def test_listings_leave_out_projects_the_caller_is_not_in(client, world, ola):
    assert world.project_id not in [p["id"] for p in client.get("/api/v1/projects", headers=ola).json()]
    assert client.get("/api/v1/model-versions", headers=ola).json() == []
    assert client.get("/api/v1/review-queue", headers=ola).json() == []
    assert world.project_id not in [e["project_id"] for e in client.get("/api/v1/portfolio", headers=ola).json()]
    # its creator still sees it
    assert world.project_id in [p["id"] for p in client.get("/api/v1/projects", headers=world.headers("ana")).json()]


def test_owners_add_change_and_remove_members(client, world, ola):
    p = world.project_id
    url = f"/api/v1/projects/{p}/members/ola"
    try:
        added = client.put(url, json={"role": "viewer"}, headers=world.headers("ana"))
        assert added.status_code == 200, added.text
        assert added.json()["role"] == "viewer" and added.json()["added_by"] == "ana"
        assert client.get(f"/api/v1/projects/{p}", headers=ola).status_code == 200  # a viewer reads
        listed = client.get(f"/api/v1/projects/{p}/members", headers=ola).json()
        assert {(m["username"], m["role"]) for m in listed} >= {("ana", "owner"), ("ola", "viewer")}
        assert client.post(f"/api/v1/model-versions/{world.approved_id}/predict", headers=ola,  # reading is scoring too
                           json={"records": records_for(client, world, world.approved_id, 1)}).status_code == 200
        for name, method, path, body in _requests(client, world):  # the writes: refused, and it says why
            if name not in WRITES:
                continue
            r = _send(client, method, path, body, ola)
            assert r.status_code == 403, f"{name}: {r.status_code} {r.text[:300]}"
            assert "ola is a viewer" in r.json()["error"]["message"], (name, r.json())
        assert client.put(url, json={"role": "boss"}, headers=world.headers("ana")).status_code == 422
        assert client.put(f"/api/v1/projects/{p}/members/nobody-here", json={"role": "viewer"},
                          headers=world.headers("ana")).status_code == 404
        assert client.put(url, json={"role": "editor"}, headers=world.headers("sam")).status_code == 403  # not an owner
        assert client.put(url, json={"role": "editor"}, headers=world.headers("root")).json()["role"] == "editor"  # admin
        assert client.delete(f"/api/v1/projects/{p}/members/ana", headers=world.headers("ana")).status_code == 409
    finally:
        removed = client.delete(url, headers=world.headers("ana"))
    assert removed.status_code == 200 and removed.json()["username"] == "ola"
    assert client.get(f"/api/v1/projects/{p}", headers=ola).status_code == 404
    assert client.delete(url, headers=world.headers("ana")).status_code == 404  # not a member any more


def test_the_member_routes_document_their_errors(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"401", "403", "404"} <= set(paths["/api/v1/projects/{project_id}/members"]["get"]["responses"])
    put = paths["/api/v1/projects/{project_id}/members/{username}"]["put"]["responses"]
    assert {"200", "401", "403", "404", "409", "422"} <= set(put)
    assert {"200", "401", "403", "404", "409"} <= set(paths["/api/v1/projects/{project_id}/members/{username}"]["delete"]["responses"])
