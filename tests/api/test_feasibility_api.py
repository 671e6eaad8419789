"""Feasibility through the API agrees with the core and the CLI: inputs, a real job, the portfolio."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.helpers import run_queued_jobs

pytestmark = pytest.mark.slow


def test_inputs_job_assessment_and_portfolio_agree(client, world, monkeypatch):
    h = world.headers("ana")
    p = world.project_id
    bad = client.put(f"/api/v1/projects/{p}/business-inputs", json={"status_quo_accuracy": 82}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_input"
    put = client.put(f"/api/v1/projects/{p}/business-inputs",
                     json={"decisions_per_month": 400, "value_per_decision": 25.0}, headers=h)
    assert put.status_code == 200, put.text
    assert put.json()["inputs"]["decisions_per_month"] == 400 and "cost_false_positive" in put.json()["missing"]
    none_yet = client.get(f"/api/v1/projects/{p}/feasibility", headers=h)
    assert none_yet.status_code == 404 and none_yet.json()["error"]["code"] == "not_found"

    started = client.post(f"/api/v1/projects/{p}/feasibility",
                          json={"dataset_id": world.dataset_id, "target": "churned", "budget": 2, "excluded_columns": ["customer_id"]},
                          headers=h)
    assert started.status_code == 202, started.text
    run_queued_jobs(world.settings, world.engine)
    job = client.get(f"/api/v1/jobs/{started.json()['id']}", headers=h).json()
    assert job["status"] == "succeeded", job

    latest = client.get(f"/api/v1/projects/{p}/feasibility", headers=h)
    assert latest.status_code == 200
    card = latest.json()["scorecard"]
    assert 0 <= card["score"] <= 100 and card["verdict"] and card["reasons"]
    ranked = client.get("/api/v1/portfolio", headers=h).json()
    entry = next(e for e in ranked if e["project_id"] == p)
    assert entry["score"] == pytest.approx(card["score"])

    from automl_canvas.cli import main
    from automl_canvas.config import get_settings

    monkeypatch.setenv("AUTOML_CANVAS_HOME", str(world.settings.home))
    monkeypatch.setenv("AUTOML_CANVAS_DATABASE_URL", world.settings.database_url)
    get_settings.cache_clear()
    try:
        out = CliRunner().invoke(main, ["--user", "ana", "portfolio", "--json"])
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 0, out.output
    cli_entry = next(e for e in json.loads(out.output) if e["project_id"] == p)
    assert cli_entry["score"] == pytest.approx(entry["score"]) and cli_entry["verdict"] == entry["verdict"]
