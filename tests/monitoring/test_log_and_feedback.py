"""The prediction log and feedback at their edges: unknown ids, duplicates, wrong label types, versions that
were never deployed, pushed records, files, sampling, retries, the schedule and retention."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
import sqlalchemy as sa

from automl_canvas.db import session_scope, utcnow
from automl_canvas.models import AuditEvent, Job, MonitoringSchedule, PredictionLog
from automl_canvas.monitoring.checks import prune_log
from automl_canvas.monitoring.log import PredictionLogWriter
from automl_canvas.monitoring.service import enqueue_due_checks
from automl_canvas.serving.service import predict_records
from tests.monitoring_world import FEATURES, TARGET

pytestmark = pytest.mark.slow


def _records(fw, n, start=0):
    return fw.data[FEATURES].iloc[start:start + n].to_dict(orient="records")


def _post(fw, user, path, **kw):
    return fw.client.post(f"/api/v1/model-versions/{fw.deployed_id}{path}", headers=fw.headers(user), **kw)


def _logged(fw, **where):
    with session_scope(fw.engine) as s:
        stmt = sa.select(PredictionLog).where(PredictionLog.version_id == fw.deployed_id,
                                              *[getattr(PredictionLog, k) == v for k, v in where.items()])
        return [r for (r,) in s.execute(stmt).all()]


def _feedback_events(fw):
    with session_scope(fw.engine) as s:
        return s.execute(sa.select(sa.func.count()).where(AuditEvent.action == "monitoring.feedback")).scalar_one()


def test_retrain_needs_outcomes_first(flywheel):
    r = _post(flywheel, "sam", "/retrain")
    assert r.status_code == 422 and "no true outcomes" in r.json()["error"]["message"]


def test_feedback_reports_unknown_ids_and_is_idempotent(flywheel):
    fw = flywheel
    out = _post(fw, "dee", "/predict", json={"records": _records(fw, 3), "request_id": "loan-42"}).json()
    assert [p["prediction"] for p in out["predictions"]]
    items = [{"request_id": "loan-42", "row": 0, "actual": "tested_positive"},
             {"request_id": "loan-42", "row": 2, "actual": "tested_negative"},
             {"request_id": "never-sent", "actual": "tested_negative"}]
    first = _post(fw, "ana", "/feedback", json={"feedback": items})
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["recorded"], body["unknown"], body["unknown_keys"]) == (2, 1, [{"request_id": "never-sent", "row": 0}])
    assert "match no logged prediction" in body["message"]
    events = _feedback_events(fw)
    again = _post(fw, "ana", "/feedback", json={"feedback": items}).json()
    assert (again["recorded"], again["corrected"], again["unchanged"]) == (0, 0, 2)
    assert _feedback_events(fw) == events  # nothing changed, nothing audited
    fixed = _post(fw, "ana", "/feedback", json={"feedback": [{"request_id": "loan-42", "actual": "tested_negative"}]}).json()
    assert fixed["corrected"] == 1
    stored = {r.row: r.actual for r in _logged(fw, request_id="loan-42")}
    assert stored == {0: "tested_negative", 1: None, 2: "tested_negative"}


def test_a_wrong_label_fails_the_request_and_writes_nothing(flywheel):
    fw = flywheel
    _post(fw, "dee", "/predict", json={"records": _records(fw, 2, 10), "request_id": "typed"})
    r = _post(fw, "ana", "/feedback", json={"feedback": [
        {"request_id": "typed", "row": 0, "actual": "tested_positive"},
        {"request_id": "typed", "row": 1, "actual": "maybe"},
        {"request_id": "typed", "row": "x", "actual": {"a": 1}},
        {"request_id": "bad id with spaces", "actual": "tested_positive"}]})
    assert r.status_code == 422
    err = r.json()["error"]
    assert "nothing was recorded" in err["message"] and "'maybe' is not one of the model's classes" in err["message"]
    assert {(e["row"], e["field"]) for e in err["details"]["errors"]} == {(1, "actual"), (2, "row"), (2, "actual"), (3, "request_id")}
    assert all(row.actual is None for row in _logged(fw, request_id="typed"))
    empty = _post(fw, "ana", "/feedback", json={"feedback": []})
    assert empty.status_code == 422 and "non-empty list" in empty.json()["error"]["message"]


def test_a_version_never_deployed_is_refused_everywhere(flywheel):
    fw = flywheel
    base = f"/api/v1/model-versions/{fw.draft_id}"
    calls = [("post", "/feedback", {"feedback": [{"request_id": "a", "actual": "tested_positive"}]}, "ana"),
             ("post", "/predictions", {"predictions": [{"request_id": "a", "inputs": {}, "prediction": "x"}]}, "dee"),
             ("post", "/monitoring/checks", None, "sam"), ("post", "/retrain", None, "sam"),
             ("get", "/monitoring", None, "sam")]
    for method, path, body, user in calls:
        r = fw.client.request(method.upper(), base + path, json=body, headers=fw.headers(user))
        assert r.status_code == 409 and "never deployed" in r.json()["error"]["message"], (path, r.text)
    health = fw.client.get(base + "/health", headers=fw.headers("ana")).json()
    assert (health["state"], health["label"]) == ("not_deployed", "Not deployed")
    assert fw.client.get("/api/v1/model-versions/999999/health", headers=fw.headers("ana")).status_code == 404


def test_feedback_as_a_file_named_by_the_target(flywheel):
    fw = flywheel
    _post(fw, "dee", "/predict", json={"records": _records(fw, 3, 20), "request_id": "file-batch"})
    csv = f"request_id,row,{TARGET}\nfile-batch,0,tested_positive\nfile-batch,1,tested_negative\nnope,0,tested_negative\n"
    r = _post(fw, "ana", "/feedback/file", files={"file": ("outcomes.csv", csv.encode(), "text/csv")})
    assert r.status_code == 200, r.text
    assert (r.json()["recorded"], r.json()["unknown"]) == (2, 1)
    bad = _post(fw, "ana", "/feedback/file", files={"file": ("o.csv", b"id,outcome\n1,2\n", "text/csv")})
    assert bad.status_code == 422 and "request_id" in bad.json()["error"]["message"]


def test_predictions_served_elsewhere_are_pushed_then_joined(flywheel):
    fw = flywheel
    rec = _records(fw, 1, 30)[0]
    item = {"request_id": "edge-1", "inputs": rec, "prediction": "tested_negative",
            "probabilities": {"tested_negative": 0.7, "tested_positive": 0.3}}
    assert _post(fw, "ana", "/predictions", json={"predictions": [item]}).status_code == 403  # tooling only
    ok = _post(fw, "dee", "/predictions", json={"predictions": [item]})
    assert ok.status_code == 200, ok.text
    (row,) = _logged(fw, request_id="edge-1")
    assert (row.source, row.prediction, row.probabilities, row.inputs["plas"]) == ("external", "tested_negative", [0.7, 0.3], rec["plas"])
    bad = _post(fw, "dee", "/predictions", json={"predictions": [
        {"request_id": "edge-2", "inputs": {**rec, "plas": "high"}, "prediction": "tested_negative"},
        {"request_id": "edge-3", "inputs": rec, "prediction": "purple", "probabilities": {"x": 2}}]})
    assert bad.status_code == 422 and not _logged(fw, request_id="edge-2")
    problems = {e["field"] for e in bad.json()["error"]["details"]["errors"]}
    assert {"prediction", "probabilities"} <= problems
    assert _post(fw, "ana", "/feedback", json={"feedback": [{"request_id": "edge-1", "actual": "tested_positive"}]}).json()["recorded"] == 1


@pytest.mark.db  # the log's insert-or-ignore is written per dialect (ON CONFLICT DO NOTHING)
def test_retries_are_logged_once_drafts_never_and_inputs_only_in_the_sample(flywheel):
    fw = flywheel
    for _ in range(2):
        assert _post(fw, "dee", "/predict", json={"records": _records(fw, 2, 40), "request_id": "retry-1"}).status_code == 200
    fw.client.get(f"/api/v1/model-versions/{fw.deployed_id}/monitoring", headers=fw.headers("sam"))  # flushes
    assert len(_logged(fw, request_id="retry-1")) == 2
    draft = fw.client.post(f"/api/v1/model-versions/{fw.draft_id}/predict", headers=fw.headers("sam"),
                           json={"records": _records(fw, 1), "request_id": "draft-test"})
    assert draft.status_code == 200 and draft.json()["logged"] is False
    bad_id = fw.client.post(f"/api/v1/model-versions/{fw.deployed_id}/predict", json={"records": _records(fw, 1)},
                            headers={**fw.headers("dee"), "X-Request-ID": "no spaces!"})
    assert bad_id.status_code == 422 and "request_id" in bad_id.json()["error"]["message"]
    # Inputs kept for a sample only (here: none); outputs always.
    settings = fw.settings.model_copy(update={"monitoring_input_sample_rate": 0.0})
    writer = PredictionLogWriter(fw.engine, settings)
    with session_scope(fw.engine) as s:
        out = predict_records(s, settings, fw.users["dee"], fw.deployed_id, _records(fw, 4, 50), log=writer,
                              request_id="unsampled")
    assert writer.pending() == 4 and writer.flush() == 4
    rows = _logged(fw, request_id="unsampled")
    assert [r.inputs for r in rows] == [None] * 4 and [r.prediction for r in rows] == [p["prediction"] for p in out["predictions"]]
    assert all(len(r.probabilities) == 2 for r in rows)


def test_batch_predictions_are_logged_under_one_request_id(flywheel):
    fw = flywheel
    csv = fw.data[FEATURES].iloc[60:65].to_csv(index=False)
    r = _post(fw, "dee", "/predict/batch", files={"file": ("rows.csv", csv.encode(), "text/csv")})
    assert r.status_code == 200, r.text
    batch = _logged(fw, source="batch")
    assert len(batch) == 5 and len({b.request_id for b in batch}) == 1 and [b.row for b in batch] == list(range(5))


def test_the_command_line_checks_reads_health_and_takes_outcomes(flywheel, tmp_path):
    fw = flywheel
    env = {**os.environ, "AUTOML_CANVAS_HOME": str(fw.settings.home), "AUTOML_CANVAS_DATABASE_URL": fw.settings.database_url,
           "AUTOML_CANVAS_USER": "sam", "AUTOML_CANVAS_N_JOBS": "1"}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "automl_canvas.cli", "monitor", *args], env=env, capture_output=True, check=False,
                              text=True, timeout=600)

    _post(fw, "dee", "/predict", json={"records": _records(fw, 150, 100), "request_id": "cli-batch"})
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text("request_id,row,actual\n" + "".join(f"cli-batch,{i},{fw.data[TARGET].iat[100 + i]}\n" for i in range(150)))
    fed = cli("feedback", str(fw.deployed_id), str(outcomes))
    assert fed.returncode == 0 and "150 outcome(s) recorded" in fed.stdout, fed.stderr
    checked = cli("check", str(fw.deployed_id))
    assert checked.returncode == 0 and "check " in checked.stdout, checked.stderr
    status = cli("status", str(fw.deployed_id))
    assert status.returncode == 0 and "logged predictions" in status.stdout and "last check" in status.stdout
    refused = cli("check", str(fw.draft_id))
    assert refused.returncode == 2 and "never deployed" in refused.stderr and "Traceback" not in refused.stderr


@pytest.mark.db  # many workers share the schedule through a conditional UPDATE
def test_the_schedule_queues_each_due_check_once(flywheel):
    """A version's check comes due one interval after its last turn.  The interval is an hour, so no turn can come
    by itself while the test runs however slow the machine; time passing is written into the schedule instead."""
    fw = flywheel
    settings = fw.settings.model_copy(update={"monitoring_interval_seconds": 3600})

    def monitor_jobs():
        with session_scope(fw.engine) as s:
            return s.execute(sa.select(sa.func.count()).where(Job.kind == "monitor", Job.status == "queued")).scalar_one()

    def next_check_at():
        with session_scope(fw.engine) as s:
            return s.get(MonitoringSchedule, fw.deployed_id).next_check_at

    def an_hour_passes():
        with session_scope(fw.engine) as s:
            s.execute(sa.update(MonitoringSchedule).where(MonitoringSchedule.version_id == fw.deployed_id)
                      .values(next_check_at=next_check_at() - timedelta(hours=1)))

    before, seen = monitor_jobs(), utcnow()
    assert enqueue_due_checks(fw.engine, settings) == []  # first sight of the deployment: due one interval later
    assert timedelta(minutes=59) < next_check_at() - seen < timedelta(minutes=65)
    an_hour_passes()
    queued = enqueue_due_checks(fw.engine, settings)
    assert len(queued) == 1 and enqueue_due_checks(fw.engine, settings) == []  # not due again for an hour
    an_hour_passes()
    assert enqueue_due_checks(fw.engine, settings) == queued  # still queued: the same job, not a second one
    assert monitor_jobs() == before + 1
    fw.run_jobs()
    assert enqueue_due_checks(fw.engine, fw.settings.model_copy(update={"monitoring_interval_seconds": 0})) == []


def test_retention_and_the_row_cap(flywheel):
    fw = flywheel
    total = len(_logged(fw))
    assert prune_log(fw.engine, fw.settings, fw.deployed_id) == 0
    capped = fw.settings.model_copy(update={"monitoring_max_rows_per_version": 5})
    newest = sorted(r.id for r in _logged(fw))[-5:]
    assert prune_log(fw.engine, capped, fw.deployed_id) == total - 5
    assert sorted(r.id for r in _logged(fw)) == newest
    gone = fw.settings.model_copy(update={"monitoring_retention_days": -1})
    assert prune_log(fw.engine, gone, fw.deployed_id) == 5 and _logged(fw) == []
