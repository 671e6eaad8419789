"""Every page and tab of the review dashboard renders from the real review world without an exception.

Read-only: nothing here changes a version's state (buttons that queue jobs are pressed, the jobs are not run).
"""

from __future__ import annotations

import pytest

from automl_canvas.db import session_scope
from automl_canvas.jobs import queue

from .conftest import TABS, texts

HOOD = "pages/review.py"


def _labels(at) -> list[str]:
    return [b.label for b in at.button]


def test_an_analyst_is_turned_away(open_app):
    at = open_app("ana")
    assert not at.exception
    assert "this app is for: admin, scientist" in texts(at)


def test_queue_lists_the_shared_version_with_its_policy_status(open_app, world):
    at = open_app("sam")
    assert not at.exception
    assert at.title[0].value == "Review queue"
    table = at.dataframe[0].value
    row = table[table["id"] == world.shared_id].iloc[0]
    assert row["project"] == "Loans" and row["requested by"] == "ana" and row["task"] == "binary"
    assert row["policy"].startswith("fails") and "fairness:gender" in row["failed checks"]
    assert row["grade"] in ("Excellent", "Good", "Fair", "Poor")
    assert {"Claim", "Open under the hood"} <= set(_labels(at))
    assert [w.label for w in at.selectbox] == ["Policy status", "Sort by", "Version"]
    assert at.toggle[0].label == "Only what I have claimed"


def test_queue_filters_sorts_and_shows_what_i_claimed(open_app, world):
    at = open_app("sam")
    at.selectbox(key="queue_policy").set_value("Passes every check").run()
    assert not at.exception
    assert "No version matches these filters" in texts(at) or world.shared_id not in set(at.dataframe[0].value["id"])
    at.selectbox(key="queue_policy").set_value("All").run()
    at.selectbox(key="queue_sort").set_value("Grade (best first)").run()
    assert world.shared_id in set(at.dataframe[0].value["id"])
    at.toggle(key="queue_mine").set_value(True).run()
    assert not at.exception
    mine = set(at.dataframe[0].value["id"])
    assert world.in_review_id in mine and world.shared_id not in mine  # sam claimed the third candidate


def test_open_under_the_hood_switches_page(open_app, world):
    at = open_app("sam")
    at.selectbox(key="queue_pick").set_value(world.shared_id).run()
    at.button(key="queue_open").click().run()
    assert not at.exception
    assert at.title[0].value == "Under the hood"
    assert at.session_state["review_version_id"] == world.shared_id


@pytest.mark.parametrize("tab", TABS)
def test_every_tab_renders(open_app, world, tab):
    at = open_app("sam", page=HOOD, review_version_id=world.shared_id, hood_tab=tab)
    assert not at.exception, at.exception
    assert at.title[0].value == "Under the hood"
    shown = texts(at)
    assert "Something went wrong" not in shown
    expected = {
        "Overview": lambda: "Holdout metrics" in shown and "Holdout ROC AUC" in shown and "Baseline" in shown and len(at.get("image")) >= 4
        and "How the model was chosen" in shown and "Delivered model fit on" in shown,
        "Leaderboard": lambda: "Search trajectory" in shown and "Explain this candidate" in _labels(at),
        "Data": lambda: "Holdout rows 80" in shown and "Ready" in shown
        and "application_id" in at.dataframe[0].value.to_string(),
        "Explanations": lambda: at.text_input(key=f"ex_query_{world.shared_id}") is not None and len(at.get("image")) >= 4,
        "Fairness": lambda: "Fails: 'gender'" in shown and "Create a mitigated candidate" in _labels(at),
        "Reproducibility": lambda: "Reproduce now" in _labels(at) and "Difference" in shown,
        "Decision": lambda: "Policy checklist" in shown and "Claim" in _labels(at),
        "History": lambda: "Loan approvals, first try" in shown and "Post comment" in _labels(at),
    }[tab]
    assert expected(), shown


def test_explanations_row_picker_searches_by_id(open_app, world):
    at = open_app("sam", page=HOOD, review_version_id=world.shared_id, hood_tab="Explanations")
    pick = at.selectbox(key=f"ex_row_{world.shared_id}")
    first = pick.options[1]  # e.g. "row 1 · application_id A-00xxxx · approved yes"
    wanted = first.split("application_id ")[1].split(" ·")[0]
    at.text_input(key=f"ex_query_{world.shared_id}").input(wanted).run()
    assert not at.exception
    pick = at.selectbox(key=f"ex_row_{world.shared_id}")
    assert len(pick.options) == 1 and wanted in pick.options[0]
    at.text_input(key=f"ex_query_{world.shared_id}").input("no-such-row-anywhere").run()
    assert "No explained row contains" in texts(at)
    column = at.selectbox(key=f"ex_column_{world.shared_id}")
    column.set_value(column.options[-1]).run()
    assert not at.exception


def test_fairness_shows_the_mitigated_candidates_side_by_side(open_app, world):
    at = open_app("sam", page=HOOD, review_version_id=world.shared_id, hood_tab="Fairness")
    shown = texts(at)
    assert f"Version #{world.deployed_id}" in shown and "demographic parity on 'gender'" in shown
    assert "Performance on the holdout: parent vs mitigated" in shown
    metric = at.selectbox(key=f"fa_metric_{world.shared_id}")
    metric.set_value("tpr").run()
    assert not at.exception


def test_buttons_that_queue_jobs_queue_them(open_app, world):
    at = open_app("sam", page=HOOD, review_version_id=world.shared_id, hood_tab="Leaderboard")
    at.button(key=f"lb_explain_{world.shared_id}").click().run()
    assert not at.exception
    job_id = at.session_state[f"lb_job_{world.shared_id}"]
    at = open_app("sam", page=HOOD, review_version_id=world.shared_id, hood_tab="Reproducibility")
    at.button(key=f"rp_run_{world.shared_id}").click().run()
    assert not at.exception
    with session_scope(world.engine) as s:
        explain_job = queue.get_job(s, job_id)
        reproduce_job = queue.get_job(s, at.session_state[f"rp_job_{world.shared_id}"])
        for j in (explain_job, reproduce_job):  # leave the world as it was: nothing for a later worker to pick up
            queue.request_cancel(s, j.id)
    assert explain_job.kind == "evidence" and explain_job.payload["candidate"] >= 1
    assert reproduce_job.kind == "reproduce"


def test_a_maker_sees_that_they_cannot_approve(open_app, world):
    at = open_app("sky", page=HOOD, review_version_id=world.in_review_id, hood_tab="Decision")
    assert not at.exception
    assert "can never approve it (maker-checker)" in texts(at)  # the core's sentence, not the app's guess
    assert not [b for b in at.button if b.key == f"de_approve_{world.in_review_id}"]


def test_deployed_page_lists_what_runs_where(open_app, world):
    at = open_app("sam", page="pages/deployed.py")
    assert not at.exception
    table = at.dataframe[0].value
    row = table[table["id"] == world.deployed_id].iloc[0]
    assert row["running in"] == "production" and row["approved by"] == "sam" and row["override"] == "yes"
    assert world.approved_id in set(table["id"])
    assert "Revoke approval" in _labels(at)


def test_the_version_picker_says_the_status_in_words():
    from apps.scientist.dashboard_ui import version_label

    label = version_label({"version_id": 7, "project": "Churn", "version": 2, "status": "changes_requested"})
    assert label == "#7 · Churn · v2 (changes requested)"
    assert "pending_review" not in version_label({"id": 3, "version": 1, "status": "pending_review"})
