"""The review gate in a real browser: an analyst's model is shared; a scientist claims it, reads the explanations and
the fairness report, is blocked from approving while the fairness check fails, requests changes; the analyst
retrains without the sensitive column as a feature and shares again; the scientist approves; the approval is in
the approved list.

The analyst's side goes through the core's service functions (the same ones the analyst app calls); jobs run on a
real worker in this process.  Screenshots of every page land in docs/screenshots/scientist-*.png.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from automl_canvas import review
from automl_canvas.auth.users import get_user
from automl_canvas.datasets.service import ingest_file
from automl_canvas.db import session_scope
from automl_canvas.models import ProjectCreate
from automl_canvas.projects import create_project
from automl_canvas.registry.service import list_versions
from automl_canvas.services.training import submit_training
from automl_canvas.training.spec import TrainingRequest

from ..helpers import job as get_job
from ..helpers import run_queued_jobs
from ..review_world import worker_settings
from .conftest import DEMO_PASSWORD
from .harness import REPO, click_button, fill_text, follow_link, screenshot, sign_in, wait_for_text, wait_until_drawn

pytestmark = pytest.mark.e2e

SHOTS = REPO / "docs" / "screenshots"
LOANS = REPO / "sample_data" / "loans.csv"


def _train(engine, settings, ana, dataset_id: int, **request) -> int:
    settings = worker_settings(settings)  # the job's hard time limit is set when it is queued
    job = submit_training(engine, settings, ana, dataset_id, TrainingRequest(target="approved", budget=3,
                                                                            sensitive_columns=["gender"], **request))
    run_queued_jobs(settings, engine)  # training, then its evidence job
    done = get_job(engine, job.id)
    assert done.status == "succeeded", done.error
    return done.result["version_id"]


def _idle(driver, timeout: float = 180.0) -> None:
    """Wait until the script run is over (Streamlit's running indicator is gone), so figures are on the page."""
    wait_until_drawn(driver, quiet=0.5, timeout=timeout)


def _click_tab(driver, name: str, timeout: float = 90.0) -> None:
    """Streamlit's tabs are ``[data-testid=stTab]`` elements (role tab), not buttons."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for el in driver.find_elements("css selector", '[data-testid="stTab"]'):
            try:
                if el.text.strip() == name:
                    el.click()
                    return
            except Exception:  # noqa: BLE001 - re-rendered under our feet: look again
                break
        time.sleep(0.3)
    raise AssertionError(f"no tab '{name}' to click within {timeout}s")


def _tab(driver, name: str, marker: str, shot: str | None = None) -> None:
    _idle(driver)
    _click_tab(driver, name)
    wait_for_text(driver, marker, timeout=120)
    wait_until_drawn(driver, quiet=1.5)  # lazily loaded widgets (tables, pickers) draw after the run ends
    if shot:
        screenshot(driver, SHOTS / f"scientist-{shot}.png")



def _comment(driver, label: str, text: str) -> None:
    from selenium.webdriver.common.keys import Keys

    fill_text(driver, label, text)
    driver.find_element("css selector", f"textarea[aria-label=\"{label}\"]").send_keys(Keys.CONTROL, Keys.ENTER)
    wait_until_drawn(driver, quiet=0.8)


def test_scientist_blocks_requests_changes_then_approves_the_retrain(start_app, browser, engine, settings, product_env,
                                                                     monkeypatch):
    # One OpenMP thread per process: on a shared 2-core machine spinning threads slow the jobs tenfold.
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    with session_scope(engine) as s:
        ana, sam = get_user(s, "ana"), get_user(s, "sam")
        project = create_project(s, ana, ProjectCreate(name="Loan approvals", question="Will this loan be approved?"))
    dataset = ingest_file(engine, settings, ana, project.id, Path(LOANS))
    first = _train(engine, settings, ana, dataset.id, use_sensitive_as_features=True)
    with session_scope(engine) as s:
        review.share(s, settings, ana, first, "First model; it uses gender as a feature.")

    app = start_app("scientist")
    browser.set_window_size(1400, 1600)
    sign_in(browser, app.url, "sam", DEMO_PASSWORD)
    wait_for_text(browser, "fails 1 check")
    wait_until_drawn(browser, quiet=1.5)
    screenshot(browser, SHOTS / "scientist-queue.png")
    click_button(browser, "Claim", timeout=90)
    wait_for_text(browser, f"You claimed version #{first}.")
    _idle(browser)
    click_button(browser, "Open under the hood", timeout=90)
    wait_for_text(browser, "Holdout metrics", timeout=120)
    wait_until_drawn(browser, quiet=1.5)
    screenshot(browser, SHOTS / "scientist-overview.png")
    _tab(browser, "Leaderboard", "Search trajectory", "leaderboard")
    _tab(browser, "Data", "Holdout rows", "data")
    _tab(browser, "Explanations", "Find a row (id or any value)", "explanations")
    _tab(browser, "Fairness", "Sensitive column or intersection", "fairness")
    _tab(browser, "Reproducibility", "Reproduce now", "reproducibility")
    _tab(browser, "Decision", "Policy checklist")
    click_button(browser, "Approve", timeout=90)
    wait_for_text(browser, f"Version {first} fails 1 policy check(s)", timeout=120)
    wait_for_text(browser, "'gender': demographic_parity_difference")
    screenshot(browser, SHOTS / "scientist-decision-blocked.png")
    _comment(browser, "Comment", "Gender must not be a feature here; retrain without it and keep it for the fairness check.")
    click_button(browser, "Request changes", timeout=90)
    wait_for_text(browser, f"Changes requested on version #{first}", timeout=120)
    _tab(browser, "History", "Gender must not be a feature here", "history")
    with session_scope(engine) as s:
        assert review.get_review(s, settings, sam, first)["version"].status == "changes_requested"

    second = _train(engine, settings, ana, dataset.id, use_sensitive_as_features=False)
    with session_scope(engine) as s:
        review.share(s, settings, ana, second, "Retrained: gender is only used for the fairness check now.",
                     responds_to_version_id=first)

    _idle(browser)
    follow_link(browser, "Review queue", "Review queue")
    wait_for_text(browser, "policy: pass", timeout=120)  # the retrain is the only version waiting
    _idle(browser)
    click_button(browser, "Claim", timeout=90)
    wait_for_text(browser, f"You claimed version #{second}.", timeout=120)
    _idle(browser)
    click_button(browser, "Open under the hood", timeout=90)
    wait_for_text(browser, "Holdout metrics", timeout=120)
    _tab(browser, "Decision", "Policy checklist")
    _comment(browser, "Comment", "Fairness check passes; drivers are credit score and income. Approved.")
    click_button(browser, "Approve", timeout=90)
    wait_for_text(browser, f"Version #{second}: your approval is recorded.", timeout=120)
    _idle(browser)
    screenshot(browser, SHOTS / "scientist-decision-approved.png")
    follow_link(browser, "Deployed models", "Approved versions")
    wait_for_text(browser, "running in: not deployed", timeout=120)
    _idle(browser)
    screenshot(browser, SHOTS / "scientist-deployed.png")
    assert "Traceback" not in browser.page_source

    with session_scope(engine) as s:
        approved = [v.id for v in list_versions(s, sam, status="approved")]
        superseded = review.get_review(s, settings, sam, first)["version"].status
        decision = review.list_decisions(s, sam, second)[-1]
    assert approved == [second]
    assert superseded == "superseded"
    # What deployment tooling polls: the approval API's approved list, with a deployer's token.
    from fastapi.testclient import TestClient

    from apps.api import create_app
    from automl_canvas.auth.tokens import create_token

    with session_scope(engine) as s:
        dee = get_user(s, "dee")
        _, token = create_token(s, settings, dee, name="e2e deploy pipeline")
    with TestClient(create_app(settings, engine=engine)) as api:
        listed = api.get("/api/v1/model-versions?status=approved", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200 and [v["id"] for v in listed.json()] == [second]
    assert decision.decision == "approve" and decision.evidence_snapshot["artifact_sha256"]
    assert all(c["passed"] for c in decision.evidence_snapshot["policy"])
