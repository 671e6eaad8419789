"""The feasibility commands through click's CliRunner, with the real local worker the CLI starts."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from automl_canvas.cli import main
from automl_canvas.config import get_settings
from automl_canvas.feasibility import VERDICTS

from ..conftest import SAMPLE_DATA, truncate_all


@pytest.fixture
def cli(tmp_path, monkeypatch, pg_database_url):
    monkeypatch.setenv("AUTOML_CANVAS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AUTOML_CANVAS_N_JOBS", "1")
    monkeypatch.setenv("AUTOML_CANVAS_CV_FOLDS", "3")
    if pg_database_url:
        monkeypatch.setenv("AUTOML_CANVAS_DATABASE_URL", pg_database_url)
        truncate_all(pg_database_url)
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args, code: int = 0):
        result = runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    run("init")
    yield run
    get_settings.cache_clear()


@pytest.mark.slow
def test_feasibility_inputs_and_portfolio_agree(cli):
    out = cli("feasibility", "Churn", "--dataset", SAMPLE_DATA / "churn.csv", "--target", "churned", "--budget", "2",
              "--decisions-per-month", "2000", "--value-per-decision", "25", "--delivery", "batch", "--json")
    a = json.loads(out.stdout.strip().splitlines()[-1])
    assert a["verdict"] in VERDICTS and 0 <= a["score"] <= 100
    assert a["inputs"]["decisions_per_month"] == 2000 and a["expected_value_per_month"] is not None
    assert {c["name"] for c in a["scorecard"]["components"]} == {"readiness", "lift", "advantage", "impact", "risk"}
    assert len(a["measurements"]["learning_curve"]["points"]) == 4

    ranked = json.loads(cli("portfolio", "--json").stdout)
    assert ranked[0]["assessment_id"] == a["id"] and ranked[0]["score"] == a["score"] and ranked[0]["verdict"] == a["verdict"]

    # changing an input through the CLI re-scores: the portfolio follows
    shown = json.loads(cli("inputs", "Churn", "--decisions-per-month", "4000", "--json").stdout)
    assert shown["inputs"]["decisions_per_month"] == 4000 and "freshness" in shown["missing"]
    after = json.loads(cli("portfolio", "--json").stdout)[0]
    assert after["expected_value_per_month"] == pytest.approx(2 * a["expected_value_per_month"])

    text = cli("portfolio").stdout
    assert "Churn" in text and a["scorecard"]["verdict_label"] in text
    card = cli("feasibility", "Churn", "--dataset", "1", "--target", "churned", "--budget", "2").stdout
    assert "why:" in card and "Data readiness" in card and "missing inputs:" in card


def test_bad_input_is_one_line_and_exit_code_2(cli):
    bad = cli("feasibility", "Churn", "--dataset", SAMPLE_DATA / "churn.csv", "--target", "churned",
              "--status-quo-accuracy", "82", code=2)
    assert "error: The status-quo accuracy is a share between 0 and 1 (type 0.82 for 82%)." in bad.output
    missing = cli("feasibility", "Churn", "--dataset", "nope.csv", "--target", "churned", code=2)
    assert "The file nope.csv does not exist" in missing.output
    target = cli("feasibility", "Churn", "--dataset", "1", "--target", "churn_flag", code=2)
    assert "The target column 'churn_flag' does not exist" in target.output
    assert "no projects yet" not in cli("portfolio").stdout
