"""Bad API tokens are rate-limited per client address (issue 17, point 6): past the limit a client is answered
429 with Retry-After whatever token it sends, other clients are not affected, and requests without a token
(not guessing) are never counted. A small real world of its own: its counters are not the shared API world's."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from automl_canvas.auth.tokens import create_token
from automl_canvas.auth.users import ensure_user
from automl_canvas.db import init_db, make_engine, session_scope
from tests.conftest import make_settings

LIMIT = 5
BAD = {"Authorization": "Bearer acv_" + "x" * 43}


@pytest.fixture
def small(tmp_path):
    from apps.api import create_app

    s = make_settings(tmp_path / "home", None, bad_token_max_per_minute=LIMIT)
    engine = make_engine(s)
    init_db(engine)
    with session_scope(engine) as ss:
        ana = ensure_user(ss, "ana", ("analyst",))
        raw = create_token(ss, s, ana, name="laptop")[1]
    yield create_app(s, engine=engine), {"Authorization": f"Bearer {raw}"}
    engine.dispose()


def _client(app, address: str) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, client=(address, 40000))


@pytest.mark.parametrize("method,path,body", [
    ("GET", "/api/v1/me", None),
    ("POST", "/api/v1/model-versions/1/predict", {"records": [{"x": 1}]}),  # the cached hot path's own check
])
def test_bad_tokens_are_throttled_per_client(small, method, path, body):
    app, good = small
    with _client(app, "203.0.113.5") as guesser, _client(app, "198.51.100.7") as other:
        codes = [guesser.request(method, path, headers=BAD, json=body).status_code for _ in range(LIMIT)]
        assert codes == [401] * LIMIT
        refused = guesser.request(method, path, headers=BAD, json=body)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert refused.json()["error"]["code"] == "too_many_attempts"
        # a hit cannot be told from a miss while refused: a good token from that address is refused too
        assert guesser.get("/api/v1/me", headers=good).status_code == 429
        assert other.get("/api/v1/me", headers=good).status_code == 200


def test_requests_without_a_token_are_not_counted(small):
    app, good = small
    with _client(app, "203.0.113.6") as c:
        assert {c.get("/api/v1/me").status_code for _ in range(3 * LIMIT)} == {401}
        assert c.get("/api/v1/me", headers=good).status_code == 200
