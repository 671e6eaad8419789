"""First writes under concurrency (issue 17, point 7): ten simultaneous first ``PUT business-inputs`` on a new
project all succeed. Before the upsert, one of three trials gave nine 500s (UNIQUE constraint on project_id).

Real threads against a real server app on the test database: a SQLite file by default, the local PostgreSQL
with ``--db postgresql``.
"""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from automl_canvas.db import session_scope
from automl_canvas.models import BusinessInputsRow, ProjectCreate
from automl_canvas.projects import create_project
from tests.helpers import users_with_tokens

pytestmark = pytest.mark.postgres

WRITERS = 10


@pytest.fixture
def api(settings, engine):
    from apps.api import create_app

    with session_scope(engine) as s:
        users, tokens = users_with_tokens(s, settings, {"ana": ("analyst",)}, "race tests")
    with TestClient(create_app(settings, engine=engine), raise_server_exceptions=False) as c:
        yield c, users["ana"], {"Authorization": f"Bearer {tokens['ana']}"}


def _race(fn, n: int) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        barrier.wait()
        try:
            results[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - the assertions below name it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


@pytest.mark.parametrize("trial", range(3))
def test_concurrent_first_business_inputs_writes_all_succeed(api, engine, trial):
    client, ana, headers = api
    with session_scope(engine) as s:
        project = create_project(s, ana, ProjectCreate(name=f"Race {trial}", question="Does the first write race?"))
    url = f"/api/v1/projects/{project.id}/business-inputs"
    responses = _race(lambda i: client.put(url, json={"decisions_per_month": 100 + i}, headers=headers), WRITERS)
    codes = [getattr(r, "status_code", r) for r in responses]
    assert codes == [200] * WRITERS, [getattr(r, "text", repr(r))[:200] for r in responses]
    stored = client.get(url, headers=headers).json()["inputs"]["decisions_per_month"]
    assert stored in {100 + i for i in range(WRITERS)}  # the last writer's value, whichever it was
    with session_scope(engine) as s:
        rows = s.query(BusinessInputsRow).filter(BusinessInputsRow.project_id == project.id).all()
        assert len(rows) == 1 and rows[0].inputs["decisions_per_month"] == stored


def test_a_later_write_still_merges_into_the_stored_inputs(api, engine):
    client, ana, headers = api
    with session_scope(engine) as s:
        project = create_project(s, ana, ProjectCreate(name="Merge", question="Are inputs merged?"))
    url = f"/api/v1/projects/{project.id}/business-inputs"
    assert client.put(url, json={"decisions_per_month": 400}, headers=headers).status_code == 200
    second = client.put(url, json={"value_per_decision": 25.0}, headers=headers)
    assert second.status_code == 200, second.text
    assert (second.json()["inputs"]["decisions_per_month"], second.json()["inputs"]["value_per_decision"]) == (400, 25.0)
    assert client.get(url, headers=headers).json()["inputs"]["value_per_decision"] == 25.0
