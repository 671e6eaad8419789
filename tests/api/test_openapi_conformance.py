"""The OpenAPI document tells the truth: schemathesis, every check, against a real server and a real world.

Deployment tooling generates clients from /openapi.json, so every status, content type, header and body the
API sends must be one the document declares, schema-valid requests must be accepted and invalid ones refused.
This runs the schemathesis CLI (``st run``, all phases: examples, coverage, fuzzing, stateful) with ``--checks
all`` against a uvicorn server on a copy of the monitoring world (an approved, deployed model and a draft, so
the version routes answer 200 and their bodies are checked too, not only their errors), as the caller "omni"
who has every role and owns the project.  Bounded: a few examples per operation, a fixed seed.

The few places where a schema cannot state a rule (a target must be a column of *that* dataset, an uploaded
file must be a readable table) are listed, each with its reason, in ``tests/api/schemathesis.toml``.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from automl_canvas.auth.tokens import create_token
from automl_canvas.auth.users import ensure_user
from automl_canvas.db import make_engine, session_scope
from automl_canvas.projects import add_member
from tests.monitoring_world import _settings

CONFIG = Path(__file__).with_name("schemathesis.toml")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _st() -> str:
    path = Path(sys.executable).with_name("st")
    return str(path) if path.exists() else (shutil.which("st") or pytest.skip("the schemathesis CLI is not installed"))


#: The second run's ids: the world's deployed version, its project and dataset, so the version routes get past
#: 404 and their success bodies are checked against the document too (the first run draws ids freely).
KNOWN_IDS = "\n[parameters]\nversion_id = {deployed}\nproject_id = {project}\ndataset_id = 1\n"


@pytest.mark.slow
@pytest.mark.parametrize("ids", ["drawn", "known"])
def test_every_answer_is_one_the_document_declares(flywheel_snapshot, tmp_path, ids):
    import uvicorn

    from apps.api import create_app

    built = flywheel_snapshot
    with built.snapshot.copy(tmp_path / "home") as url:
        # schemathesis sends bad and missing tokens on purpose: unthrottled, or every later answer would be 429
        settings = _settings(tmp_path / "home", url).model_copy(update={"bad_token_max_per_minute": 1_000_000})
        engine = make_engine(settings)
        with session_scope(engine) as s:
            omni = ensure_user(s, "omni", ("analyst", "scientist", "deployer", "admin"), "Every role")
            token = create_token(s, settings, omni, name="conformance")[1]
            add_member(s, built.users["ana"], built.project_id, "omni", "owner")
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(settings, engine=engine), host="127.0.0.1", port=port,
                                               log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        config = tmp_path / "schemathesis.toml"
        config.write_text(CONFIG.read_text(encoding="utf-8") + (KNOWN_IDS.format(
            deployed=built.deployed_id, project=built.project_id) if ids == "known" else ""), encoding="utf-8")
        try:
            run = subprocess.run(
                [_st(), "--no-color", "--config-file", str(config), "run", f"http://127.0.0.1:{port}/openapi.json",
                 "--header", f"Authorization: Bearer {token}", "--checks", "all",
                 "--max-examples", os.environ.get("CANVAS_CONFORMANCE_EXAMPLES", "5"), "--seed", "1"],
                check=False, capture_output=True, text=True, timeout=600, env={**os.environ, "NO_COLOR": "1"},
                cwd=tmp_path)  # schemathesis keeps a .schemathesis cache in its working directory
        finally:
            server.should_exit = True
            thread.join(30)
            engine.dispose()
    if os.environ.get("CANVAS_CONFORMANCE_LOG"):  # the whole report, for a developer fixing what it found
        Path(os.environ["CANVAS_CONFORMANCE_LOG"]).write_text(run.stdout + run.stderr, encoding="utf-8")
    summary = run.stdout[run.stdout.find("SUMMARY"):] if "SUMMARY" in run.stdout else run.stdout[-3000:]
    print(summary)
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-2000:]
    tested = re.search(r"Tested:\s+(\d+)", run.stdout)
    assert tested and int(tested.group(1)) >= 60, "schemathesis tested fewer operations than the API has"


# --- the same promises, checked directly on the shared API world (an approved version with evidence) ---

def _documented(app, method: str, path: str, status: str = "200") -> dict:
    return app.openapi()["paths"][path][method]["responses"][status]


def test_dict_answers_match_the_models_the_document_names(client, world):
    """The routes that return a service's dict name a model for it; real answers fit those models (the fuzz run
    above rarely reaches a 200 of predict or explain with generated records)."""
    from apps.api import outputs
    from tests.api.records import records_for

    v, dee, sam = world.approved_id, world.headers("dee"), world.headers("sam")
    record = records_for(client, world, v, n=1)
    answers = {
        (outputs.PredictOut, "post", "/api/v1/model-versions/{version_id}/predict"):
            client.post(f"/api/v1/model-versions/{v}/predict", headers=dee, json={"records": record}),
        (outputs.ExplainOut, "post", "/api/v1/model-versions/{version_id}/explain"):
            client.post(f"/api/v1/model-versions/{v}/explain", headers=sam, json={"row": record[0]}),
        (outputs.ReviewOut, "get", "/api/v1/model-versions/{version_id}/review"):
            client.get(f"/api/v1/model-versions/{v}/review", headers=sam),
        (outputs.ModelCardOut, "get", "/api/v1/model-versions/{version_id}/model-card"):
            client.get(f"/api/v1/model-versions/{v}/model-card", headers=dee),
        (outputs.ShapSummaryOut, "get", "/api/v1/model-versions/{version_id}/evidence/shap-summary"):
            client.get(f"/api/v1/model-versions/{v}/evidence/shap-summary", headers=sam),
        (outputs.FairnessOut, "get", "/api/v1/model-versions/{version_id}/evidence/fairness"):
            client.get(f"/api/v1/model-versions/{v}/evidence/fairness", headers=sam),
        (outputs.EventsOut, "get", "/api/v1/events"): client.get("/api/v1/events?limit=5", headers=dee),
        (outputs.MeOut, "get", "/api/v1/me"): client.get("/api/v1/me", headers=dee),
    }
    explained = client.post(f"/api/v1/model-versions/{v}/predict", headers=sam, json={"records": record, "explain": True})
    answers[(outputs.PredictOut, "post", "/api/v1/model-versions/{version_id}/predict")] = explained
    for (model, method, path), r in answers.items():
        assert r.status_code == 200, (path, r.text)
        assert _documented(client.app, method, path)["content"]["application/json"]["schema"]["$ref"].endswith(model.__name__)
        model.model_validate(r.json())
    assert explained.json()["predictions"][0]["contributions"], "explain=true answers carry SHAP values"


def test_a_405_names_every_method_served_at_the_path(client, world):
    r = client.request("OPTIONS", "/api/v1/projects", headers=world.headers("ana"))
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
    assert set(r.headers["allow"].split(", ")) == {"GET", "POST"}  # Starlette named only the first route's GET
    r = client.request("PATCH", "/api/v1/projects/1/members/ana", headers=world.headers("ana"))
    assert set(r.headers["allow"].split(", ")) == {"PUT", "DELETE"}


def test_a_body_that_is_not_utf8_is_an_invalid_request_not_a_400(client, world):
    r = client.post("/api/v1/projects", headers={**world.headers("ana"), "content-type": "application/json"},
                    content=b'{"name": "\xff\xfe"}')
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid_input" and "UTF-8 JSON" in r.json()["error"]["message"]


def test_every_error_status_a_route_can_answer_is_declared_with_the_error_shape(client):
    """The derived declarations (apps/api/responses.py): a token route declares 401/403/429, a route naming a stored
    thing 404, a write 409, a body 413/422, the API prefix 503 - each with the one error shape."""
    doc = client.app.openapi()
    op = doc["paths"]["/api/v1/model-versions/{version_id}/approve"]["post"]["responses"]
    assert {"200", "401", "403", "404", "409", "413", "422", "429", "503"} <= set(op)
    assert op["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
    me = doc["paths"]["/api/v1/me"]["get"]["responses"]
    assert "404" not in me and "409" not in me and {"401", "429", "503"} <= set(me)
    assert set(doc["paths"]["/health"]["get"]["responses"]) == {"200", "503"}
    assert "text/plain" in doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
