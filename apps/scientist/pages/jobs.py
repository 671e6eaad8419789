"""Job queue (admins): every running and waiting job, who asked for it, the worker holding it, where each stands.

The whole queue names every person's jobs and the machines running them, so it is for admins
(``job.queue.read`` in automl_canvas/auth/policy.py, the same rule as ``automl-canvas jobs --all``);
a scientist gets a sentence saying so.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from apps.scientist.dashboard_ui import read, reviewer
from automl_canvas.auth.policy import allowed
from automl_canvas.jobs.position import duration_words
from automl_canvas.jobs.service import queue_overview_for

#: A job kind as a person says it.
KIND_WORDS = {"train": "training", "evidence": "explanations and fairness", "reproduce": "reproduction check",
              "mitigate": "fairness mitigation", "feasibility": "feasibility study", "monitor": "monitoring check",
              "diagnostic": "diagnostic"}
LANE_WORDS = {"short": "short lane", "general": "general"}

user = reviewer()
st.title("Job queue")
if not allowed(user, "job.queue.read"):
    st.warning("The job queue is for administrators: it shows every person's jobs and the machines that run them. "
               "The jobs you started show their progress on the page where you started them.")
    st.stop()
st.caption("Running jobs with the worker holding each, then waiting jobs in the order workers will take them. "
           "Estimates come from each job's planned time (its budget, else its time limit).")


def _ago(seconds: float | None) -> str:
    return "not yet" if seconds is None else duration_words(seconds)


def _common(row: dict) -> dict:
    return {"job": f"#{row['id']}", "kind": KIND_WORDS.get(row["kind"], row["kind"]),
            "project": row["project"] or "no project",
            "asked by": row["requested_by"] or f"user #{row['created_by_id']}"}


def _attempt(row: dict, running: bool) -> str:
    n = row["attempt"] if running else row["attempt"] + 1  # a waiting job's next try
    return f"{n} of {row['max_attempts']}"


view = read(queue_overview_for, user)
running, queued = view["running"], view["queued"]
c1, c2, c3 = st.columns(3)
c1.metric("Running", len(running))
c2.metric("Waiting", len(queued))
c3.metric("Busy workers", len({r["worker"] for r in running if r["worker"]}))
if st.button("Refresh", key="jobs_refresh"):
    st.rerun()
if not running and not queued:
    st.info("No job is running or waiting.")
    st.stop()

rows = [{**_common(r), "state": f"running ({r['stage']})" if r["stage"] else "running",
         "worker": r["worker"] or "none", "lane": LANE_WORDS.get(r["lane"], f"{r['lane']} lane"),
         "age": f"running for {_ago(r['age_seconds'])} (last heartbeat {_ago(r['heartbeat_age_seconds'])} ago)",
         "attempt": _attempt(r, running=True),
         "position / estimate": f"running now, about {duration_words(r['left_seconds'])} left of its plan"
         if r["left_seconds"] > 0 else "running now, past its planned time"}
        for r in running]
rows += [{**_common(q), "state": "waiting", "worker": "none yet",
          "lane": "short lane or a general worker" if q["lane"] == "short" else "a general worker",
          "age": f"waiting for {_ago(q['waiting_seconds'])}", "attempt": _attempt(q, running=False),
          "position / estimate": f"#{q['position']}: {q['message']}"}
         for q in queued]
st.dataframe(pd.DataFrame(rows), hide_index=True)
