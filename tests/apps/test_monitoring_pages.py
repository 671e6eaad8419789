"""The monitoring views of both apps on a real deployed model (the Pima flywheel world, tests/monitoring_world.py).

One world for the module and the tests in order, as the model's life goes: deployed and not checked yet; a
"Check now" with too few predictions; a clean check (still accurate); drifted traffic whose outcomes go wrong
(needs attention, alerts); retraining from an alert (refused for an admin, queued for a scientist).  Predictions
go through the approval API, checks are run by a real worker (``run_queued_jobs``), and every page is a Streamlit
AppTest of the real app: no mocks.  (Plus one empty world first: nothing deployed yet.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from automl_canvas.auth.users import ensure_user
from automl_canvas.db import session_scope
from automl_canvas.jobs import queue
from automl_canvas.models import AuditEvent
from automl_canvas.monitoring.service import monitoring_overview, submit_check
from tests.apps.scientist.conftest import texts
from tests.helpers import app_environment, open_app_test
from tests.monitoring_world import TARGET

pytestmark = pytest.mark.slow

APPS = Path(__file__).resolve().parents[2] / "apps"
MONITORING = "pages/monitoring.py"


@pytest.fixture(scope="module")
def fw(flywheel):
    """The flywheel world with both apps pointed at it, plus the traffic the tests send: control rows (like the
    training data) and drifted rows (plasma glucose shifted by 60), disjoint samples of the shared table."""
    control = flywheel.data.sample(n=300, random_state=1)
    rest = flywheel.data.drop(control.index)
    shifted = rest.sample(n=300, random_state=2).copy()
    shifted["plas"] = shifted["plas"] + 60
    flywheel.extra.update(control=control, shifted=shifted, few=rest.drop(shifted.index).head(40))
    with app_environment(flywheel.env()):
        yield flywheel


def _open(fw, app: str, username: str, page: str | None = None, **state):
    """An AppTest of ``apps/<app>/app.py`` signed in as ``username``, on ``page``, that showed no error."""
    at = open_app_test(APPS / app / "app.py", fw.users[username].id, page, **state)
    assert not at.exception, at.exception
    assert "Something went wrong" not in texts(at)
    return at


def _monitoring(fw):
    at = _open(fw, "scientist", "sam", MONITORING)
    assert at.title[0].value == "Monitoring"
    return at


def _analyst(fw, page: str, version_id: int):
    return _open(fw, "analyst", "ana", f"pages/{page}.py", project_id=fw.project_id, version_id=version_id)


def _check(fw) -> int:
    """A check of the deployed version queued through the core and run by a real worker; its job id."""
    job = submit_check(fw.engine, fw.settings, fw.users["sam"], fw.deployed_id)
    fw.run_jobs()
    with session_scope(fw.engine) as s:
        done = queue.get_job(s, job.id)
    assert done.status == "succeeded", done.error
    return job.id


def _features(at):
    """The latest check's table of inputs (the one data frame with a 'feature' column)."""
    return next(d.value for d in at.dataframe if "feature" in d.value.columns)


def _labels(at) -> list[str]:
    return [b.label for b in at.button]


def test_nothing_deployed_yet(settings, engine):
    """An empty world (no model at all): the page says monitoring starts with a deployment."""
    with session_scope(engine) as s:
        sam = ensure_user(s, "sam", ("scientist",), "Sam")
    with app_environment({"AUTOML_CANVAS_HOME": str(settings.home), "AUTOML_CANVAS_DATABASE_URL": settings.database_url}):
        at = open_app_test(APPS / "scientist" / "app.py", sam.id, MONITORING)
    assert not at.exception, at.exception
    assert "No version has been deployed yet." in texts(at) and "Check now" not in _labels(at)


def test_an_analyst_cannot_open_the_monitoring_page(fw):
    at = _open(fw, "scientist", "ana")
    assert "this app is for: admin, scientist" in texts(at)  # app.py's sign-in gate
    # Reached without app.py (Streamlit runs a pages/ script alone while no run has registered the navigation,
    # as here after the gate stopped): the page's own check.
    at.switch_page(MONITORING).run()
    assert not at.exception, at.exception
    assert "sign in on its start page as admin or scientist" in texts(at)
    assert "Monitoring" not in [t.value for t in at.title] and "Check now" not in _labels(at)


def test_deployed_but_not_checked_yet(fw):
    at = _monitoring(fw)
    options = at.selectbox(key="mon_pick").options
    assert len(options) == 1 and options[0].startswith(f"#{fw.deployed_id} ")  # the deployed version, not the draft
    shown = texts(at)
    assert "Not checked yet" in shown and "Not checked yet: checks run on a schedule, or press Check now." in shown
    assert "Predictions logged 0" in shown and "production (active)" in shown and "Check now" in _labels(at)

    results = texts(_analyst(fw, "results", fw.deployed_id))
    assert "In use: Not checked yet" in results and "has not been checked yet" in results
    assert "In use:" not in texts(_analyst(fw, "results", fw.draft_id))  # never deployed: no badge at all


def test_check_now_queues_a_check_and_too_few_rows_are_said_plainly(fw):
    fw.predict(fw.extra["few"], "few")
    fw.flush_log()
    at = _monitoring(fw)
    at.button(key=f"mon_check_{fw.deployed_id}").click().run()
    assert not at.exception, at.exception
    with session_scope(fw.engine) as s:
        queued = [j for j in queue.list_jobs(s, status="queued") if j.kind == "monitor"]
    assert [j.payload["version_id"] for j in queued] == [fw.deployed_id]
    shown = texts(at)
    assert any(f"Check queued as job {queued[0].id}. A worker runs it" in e.value for e in at.success)
    # while it waits, the page says where it is in the queue (not "reload this tab")
    assert f"waiting for a free worker (yours is next), job {queued[0].id}. The result appears here by itself" in shown

    fw.run_jobs()
    at = _monitoring(fw)
    shown = texts(at)
    assert "Waiting for data" in shown and "Predictions logged 40" in shown
    assert "had too few rows to judge: 40 predictions" in shown and "Drift needs 100 predictions with inputs" in shown
    assert "No check has had enough predictions with inputs to measure drift yet." in shown


def test_a_clean_check_reads_still_accurate(fw):
    control = fw.extra["control"]
    fw.predict(control, "control")
    assert fw.feedback("control", control[TARGET].tolist())["recorded"] == 300
    _check(fw)

    at = _monitoring(fw)
    shown = texts(at)
    assert "Still accurate" in shown and "With a true outcome 300" in shown
    features = _features(at)
    assert len(features) == 8 and not features["drifted"].any()
    assert "No alerts" in shown and "Retrain from this alert" not in _labels(at)

    assert "In use: Still accurate" in texts(_analyst(fw, "results", fw.deployed_id))
    assert "in use: Still accurate" in texts(_analyst(fw, "projects", fw.deployed_id))


def test_drift_shows_on_the_monitoring_page_with_its_alerts(fw):
    shifted = fw.extra["shifted"]
    flipped = ["tested_negative" if y == "tested_positive" else "tested_positive" for y in shifted[TARGET]]
    fw.predict(shifted, "drifted")
    fw.feedback("drifted", flipped)
    _check(fw)

    at = _monitoring(fw)
    shown = texts(at)
    assert "Needs attention" in shown
    features = _features(at)
    assert features.iloc[0]["feature"] == "plas" and features.iloc[0]["PSI"] >= 0.2  # sorted by PSI
    assert features[features["drifted"]]["feature"].tolist() == ["plas"]
    assert "PSI is at least 0.2" in shown and "p-value is below 0.01" in shown
    assert "Inputs drifted" in shown and "Live quality dropped" in shown and "plas (PSI" in shown
    assert _labels(at).count("Retrain from this alert") >= 2
    at.selectbox(key=f"mon_feature_{fw.deployed_id}").set_value("plas").run()
    assert not at.exception, at.exception
    assert len(at.get("vega_lite_chart")) >= 3  # PSI over time, plas per bin, live vs holdout

    results = texts(_analyst(fw, "results", fw.deployed_id))
    assert "In use: Needs attention" in results and "a data scientist has been alerted" in results
    assert "PSI" not in results


def _queued_training(fw) -> list:
    with session_scope(fw.engine) as s:
        return [j for j in queue.list_jobs(s, status="queued") if j.kind == "train"]


def test_retrain_refused_by_the_core_is_its_sentence(fw):
    with session_scope(fw.engine) as s:
        alert = monitoring_overview(s, fw.users["sam"], fw.deployed_id)["alerts"][0]
    at = _open(fw, "scientist", "root", MONITORING)  # an admin may check, not retrain
    at.button(key=f"mon_retrain_{alert['id']}").click().run()
    assert not at.exception, at.exception
    assert "root may not perform 'monitoring.retrain'; it needs one of the roles: analyst, scientist." in texts(at)
    assert _queued_training(fw) == []


def test_retrain_from_an_alert_queues_a_training_job(fw):
    with session_scope(fw.engine) as s:
        alerts = monitoring_overview(s, fw.users["sam"], fw.deployed_id)["alerts"]
    alert = next(a for a in alerts if a["kind"] == "quality_drop")
    at = _monitoring(fw)
    at.button(key=f"mon_retrain_{alert['id']}").click().run()
    assert not at.exception, at.exception
    train = _queued_training(fw)
    with session_scope(fw.engine) as s:
        requested = s.exec(select(AuditEvent).where(AuditEvent.action == "monitoring.retrain_requested")).one()
    assert len(train) == 1 and train[0].payload["retrain"]["alert"]["id"] == alert["id"]
    assert train[0].payload["retrain"]["version_id"] == fw.deployed_id and train[0].payload["retrain"]["feedback_rows"] == 600
    assert requested.payload["job_id"] == train[0].id
    shown = texts(at)
    assert f"Retraining queued as job {train[0].id}" in shown and "arrives in the review queue" in shown
