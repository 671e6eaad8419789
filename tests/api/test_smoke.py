"""The basics: health without a token, 401 with the error shape, /me."""

from __future__ import annotations


def test_health_needs_no_token(client):
    r = client.get("/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_missing_or_bad_token_is_401_with_the_error_shape(client, world):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"},
                    {"Authorization": "Bearer acv_" + "x" * 43}):
        r = client.get("/api/v1/me", headers=headers)
        assert r.status_code == 401, headers
        assert r.headers["www-authenticate"] == "Bearer"
        err = r.json()["error"]
        assert err["code"] == "unauthenticated" and err["message"] and err["details"] == {}


def test_me(client, world):
    r = client.get("/api/v1/me", headers=world.headers("dee"))
    assert r.status_code == 200
    body = r.json()
    assert body["username"] == "dee" and body["roles"] == ["deployer"]
    assert "deployment.record" in body["may"] and "review.decide" not in body["may"]


def test_unknown_route_and_method_use_the_error_shape(client, world):
    r = client.get("/api/v1/nothing-here", headers=world.headers("ana"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.delete("/api/v1/projects", headers=world.headers("ana"))
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"


def test_request_validation_names_the_field(client, world):
    r = client.post("/api/v1/projects", json={"question": "no name"}, headers=world.headers("ana"))
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "invalid_input" and any(e["field"] == "name" for e in err["details"]["errors"])
