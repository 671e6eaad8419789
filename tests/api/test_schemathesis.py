"""Property-based run of the whole OpenAPI schema (schemathesis): no input gives a server error.

It runs against its own small world (users with every role, a project, a dataset; no trained
model), so random ids and bodies cannot disturb the shared world of the other API tests, and
with few examples per operation so it stays well under a minute.
"""

from __future__ import annotations

import os
import time

import pytest

schemathesis = pytest.importorskip("schemathesis")
# (after the import check: without schemathesis the module is skipped, not an import error)
from hypothesis import HealthCheck, given, settings  # noqa: E402

from automl_canvas.auth.tokens import create_token  # noqa: E402
from automl_canvas.auth.users import ensure_user  # noqa: E402
from automl_canvas.datasets.service import ingest_file  # noqa: E402
from automl_canvas.db import init_db, make_engine, session_scope  # noqa: E402
from automl_canvas.models import ProjectCreate  # noqa: E402
from automl_canvas.projects import create_project  # noqa: E402
from tests.conftest import SAMPLE_DATA, make_settings  # noqa: E402

_TOKEN: dict[str, str] = {}


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    from apps.api import create_app

    s = make_settings(tmp_path_factory.mktemp("fuzz") / "home", None, max_upload_bytes=200_000)
    engine = make_engine(s)
    init_db(engine)
    with session_scope(engine) as ss:
        omni = ensure_user(ss, "omni", ("analyst", "scientist", "deployer", "admin"), "All roles")
        _TOKEN["omni"] = create_token(ss, s, omni, name="fuzz")[1]
        project = create_project(ss, omni, ProjectCreate(name="Fuzz"))
    ingest_file(engine, s, omni, project.id, SAMPLE_DATA / "loans.csv")
    yield create_app(s, engine=engine)
    engine.dispose()


@pytest.mark.slow
def test_no_input_gives_a_server_error(fuzz_app):
    """Every operation of /openapi.json, a few generated cases each (schemathesis strategies, hypothesis)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    headers = {"Authorization": f"Bearer {_TOKEN['omni']}"}
    failures: list[str] = []
    timings: dict[str, float] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 35

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=int(os.environ.get("CANVAS_FUZZ_EXAMPLES", "4")), deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
        def check(case):
            case.headers = {**(case.headers or {}), **headers}
            response = case.call()
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}")
            elif response.status_code >= 400 and "application/json" in str(response.headers.get("content-type")):
                assert set(response.json()["error"]) == {"code", "message", "details"}

        started = time.monotonic()
        check()
        timings[operation.label] = round(time.monotonic() - started, 2)
    print(sorted(timings.items(), key=lambda kv: -kv[1])[:5])
    assert not failures, "\n".join(failures[:20])
