"""In a real browser: a deployed model drifts, the scientist sees it on the Monitoring page and retrains from
the alert; the analyst sees "Needs attention" on the model in use.

The traffic comes through the real approval API (TestClient) and the check is run by a real worker; the
two Streamlit apps are real server processes on this test's database.  Screenshots land in
docs/screenshots/scientist-monitoring.png and analyst-health.png.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from automl_canvas.auth.users import set_password
from automl_canvas.db import session_scope
from automl_canvas.models import Job
from tests.monitoring_world import TARGET

from .conftest import DEMO_PASSWORD
from .harness import (
    REPO,
    StreamlitServer,
    click_button,
    follow_link,
    make_browser,
    screenshot,
    sign_in,
    wait_for_text,
    wait_until_drawn,
)

pytestmark = pytest.mark.e2e

SHOTS = REPO / "docs" / "screenshots"



def _drifted(fw) -> None:
    """Normal traffic, then drifted traffic (plas shifted) whose outcomes are the opposite; one check by a worker."""
    control = fw.data.sample(n=200, random_state=11)
    shifted = fw.data.drop(control.index).sample(n=200, random_state=12).copy()
    shifted["plas"] = shifted["plas"] + 60
    fw.predict(control, "e2e-control")
    fw.feedback("e2e-control", control[TARGET].tolist())
    fw.predict(shifted, "e2e-drifted")
    fw.feedback("e2e-drifted", ["tested_negative" if y == "tested_positive" else "tested_positive" for y in shifted[TARGET]])
    r = fw.client.post(f"/api/v1/model-versions/{fw.deployed_id}/monitoring/checks", headers=fw.headers("sam"))
    assert r.status_code == 202, r.text
    fw.run_jobs()


def test_scientist_sees_the_drift_and_retrains_from_the_alert(flywheel, tmp_path):
    fw = flywheel
    with session_scope(fw.engine) as s:
        for name in ("sam", "ana"):
            set_password(s, fw.settings, fw.users["root"], name, DEMO_PASSWORD)
    _drifted(fw)
    servers = []
    driver = make_browser()
    try:
        servers.append(StreamlitServer(REPO / "apps" / "scientist" / "app.py", fw.env(), tmp_path / "scientist.log"))
        driver.set_window_size(1400, 2200)
        sign_in(driver, servers[0].url, "sam", DEMO_PASSWORD)
        wait_for_text(driver, "Review queue", timeout=120)
        follow_link(driver, "Monitoring", "Needs attention")
        wait_for_text(driver, "Inputs drifted")
        wait_for_text(driver, "Live quality dropped")
        wait_until_drawn(driver)  # charts draw after the script run ends
        screenshot(driver, SHOTS / "scientist-monitoring.png")
        click_button(driver, "Retrain from this alert", timeout=60)
        wait_for_text(driver, "arrives in the review queue", timeout=120)
        with session_scope(fw.engine) as s:
            trains = s.execute(sa.select(Job).where(Job.kind == "train", Job.status == "queued")).scalars().all()
            assert len(trains) == 1 and trains[0].payload["retrain"]["version_id"] == fw.deployed_id

        servers.append(StreamlitServer(REPO / "apps" / "analyst" / "app.py", fw.env(), tmp_path / "analyst.log"))
        sign_in(driver, servers[1].url, "ana", DEMO_PASSWORD)
        follow_link(driver, "Projects", "Who will test positive?")
        wait_for_text(driver, "in use: Needs attention", timeout=120)
        wait_until_drawn(driver)
        screenshot(driver, SHOTS / "analyst-health.png")
    finally:
        driver.quit()
        for server in servers:
            server.stop()
