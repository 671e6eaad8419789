"""Monitoring: is each deployed version still the model that was approved? Drift, live quality, alerts, retraining.

For a skeptical data scientist: every number of every check is shown (PSI, the test, its statistic and p-value,
the binned distributions behind them, the true outcomes behind a live metric), so a badge can be checked
rather than believed.  The page reads ``monitoring_overview`` once per run and calls one core function per
button (``submit_check``, ``retrain_from_feedback``); the thresholds and what counts as drift are the core's.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from apps.common import friendly, get_world, health_badge
from apps.scientist.dashboard_ui import act, flash, read, reviewer, version_label, watch_job
from automl_canvas.monitoring.retrain import retrain_from_feedback
from automl_canvas.monitoring.service import monitored_versions, monitoring_overview, submit_check

#: alert kind (a check's finding) -> heading
_ALERT_TITLES = {"feature_drift": "Inputs drifted", "prediction_drift": "Predictions shifted",
                 "quality_drop": "Live quality dropped"}
#: distribution test (as the core names it) -> how it reads
_TESTS = {"kolmogorov_smirnov": "Kolmogorov-Smirnov", "chi_square": "chi-square"}

user = reviewer()
world = get_world()
st.title("Monitoring")
st.caption("Deployed versions compared with their training data and, where true outcomes came back, with the holdout "
           "score they were approved on. Checks run on a schedule (a worker queues them) or when you press Check now.")
flash()


def _when(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else "never"


def _test(name: str) -> str:
    return _TESTS.get(name, name.replace("_", " "))


def _psi_history(checks: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per (check, feature): the PSI over time; checks with too few rows measured nothing and are left out."""
    return pd.DataFrame([{"checked at": pd.Timestamp(c["checked_at"]), "feature": name, "PSI": f["psi"]}
                         for c in checks for name, f in c["features"].items()],
                        columns=["checked at", "feature", "PSI"])


def _feature_table(features: dict[str, dict[str, Any]]) -> pd.DataFrame:
    rows = [{"feature": name, "kind": f["kind"], "PSI": f["psi"], "test": _test(f["test"]),
             "statistic": f["statistic"], "p-value": f["p_value"], "drifted": f["drifted"]} for name, f in features.items()]
    return pd.DataFrame(rows).sort_values("PSI", ascending=False, ignore_index=True)


def _bins_chart(result: dict[str, Any]) -> None:
    """Reference vs live share per bin, in the bins' own order (quantile bins of the training data, then missing)."""
    bins = pd.DataFrame(result.get("bins") or [])
    if bins.empty:
        return
    long = bins.melt(id_vars="bin", value_vars=["reference", "live"], var_name="data", value_name="share")
    st.bar_chart(long, x="bin", y="share", color="data", stack=False, sort=False, height=280)


def _header(overview: dict[str, Any], vid: int) -> None:
    health_badge(overview["health"])
    log = overview["log"]
    c1, c2, c3 = st.columns(3)
    c1.metric("Predictions logged", f"{log['predictions']:,}")
    c2.metric("With a true outcome", f"{log['with_outcome']:,}")
    c3.metric("Last logged (UTC)", _when(log["last_logged_at"]))
    running = [f"{d['environment']} ({d['status']})" for d in overview["deployments"]]
    st.caption(f"Deployments of v{overview['version']}: {', '.join(running) or 'none recorded'} · "
               f"holdout {overview['metric']} {overview['holdout_score']:.4f} · status {overview['status']}")
    key = f"mon_job_{vid}"
    if st.button("Check now", key=f"mon_check_{vid}",
                 help="Queue a check of this version now instead of waiting for the schedule."):
        job = act("queueing the check", lambda _s: submit_check(world.engine, world.settings, user, vid))
        if job:
            st.session_state[key] = job.id
            st.success(f"Check queued as job {job.id}. A worker runs it; its results appear on this page when it is done.")
    watch_job(key, f"Checking version #{vid}",
              on_done=lambda job: st.session_state.update(flash=f"The check (job {job.id}) is done: its results are below."))


def _insufficient(check: dict[str, Any]) -> None:
    t = check["thresholds"]
    st.info(f"The latest check ({_when(check['checked_at'])} UTC) had too few rows to judge: {check['rows']:,} predictions "
            f"in its {t['window_days']:g}-day window, {check['rows_with_inputs']:,} with their inputs and "
            f"{check['labelled_rows']:,} with a true outcome. Drift needs {t.get('min_rows')} predictions with inputs; "
            f"live quality needs {t.get('min_labelled_rows')} true outcomes.")


def _drift(checks: list[dict[str, Any]], vid: int) -> None:
    st.subheader("Drift per input")
    measured = [c for c in checks if c["features"]]
    if not measured:
        st.caption("No check has had enough predictions with inputs to measure drift yet.")
        return
    latest = measured[0]
    t = latest["thresholds"]
    chart = st.line_chart if len(measured) > 1 else st.scatter_chart  # one check is a point, not a line
    chart(_psi_history(measured), x="checked at", y="PSI", color="feature", height=300)
    st.caption(f"Population stability index of each input against the training data, per check. An input counts as "
               f"drifted when its PSI is at least {t['psi']:g} and its distribution test's p-value is below {t['p_value']:g} "
               f"(thresholds of the latest check).")
    table = _feature_table(latest["features"])
    st.markdown(f"**Latest measured check** ({_when(latest['checked_at'])} UTC, {latest['rows_with_inputs']:,} rows with inputs)")
    st.dataframe(table, hide_index=True, key=f"mon_features_{vid}",
                 column_config={"PSI": st.column_config.NumberColumn(format="%.3f"),
                                "statistic": st.column_config.NumberColumn(format="%.3f"),
                                "p-value": st.column_config.NumberColumn(format="%.2e")})
    feature = st.selectbox("Distribution of", table["feature"].tolist(), key=f"mon_feature_{vid}",
                           help="Share of rows per bin; the bins are fixed by the training data (quantiles, or the "
                                "most frequent categories).")
    _bins_chart(latest["features"][feature])


def _prediction_drift(checks: list[dict[str, Any]]) -> None:
    st.subheader("Prediction drift")
    latest = next((c for c in checks if c["prediction_drift"]), None)
    if latest is None:
        st.caption("No check has had enough logged predictions to compare them with the training data's yet.")
        return
    p = latest["prediction_drift"]
    verdict = "shifted" if p["drifted"] else "in line with the training data"
    st.markdown(f"Measured: the **{p['of']}** of live predictions against the same model's predictions on the training "
                f"data. PSI **{p['psi']:.3f}**, {_test(p['test'])} statistic {p['statistic']:.3f}, p-value "
                f"**{p['p_value']:.2e}**: {verdict} ({_when(latest['checked_at'])} UTC).")
    with st.expander("Reference vs live predictions per bin"):
        _bins_chart(p)


def _quality(checks: list[dict[str, Any]]) -> None:
    metric = checks[0]["metric"]  # the check's own (accuracy when a probability metric had no probabilities)
    st.subheader(f"Live {metric} against the holdout")
    rows = [{"checked at": pd.Timestamp(c["checked_at"]), "live": c["live_metric"], "holdout": c["holdout_metric"],
             "true outcomes": c["labelled_rows"], "note": c["quality"].get("note", "")}
            for c in checks if c["live_metric"] is not None]
    latest = checks[0]["quality"]
    if latest.get("live") is None:
        st.info(f"No live {latest.get('metric') or metric} in the latest check: {latest.get('n', 0):,} true outcome(s) so far. "
                f"{latest.get('note', '')}".strip())
    if not rows:
        return
    frame = pd.DataFrame(rows)
    chart = st.line_chart if len(frame) > 1 else st.scatter_chart  # one check is a point, not a line
    chart(frame, x="checked at", y=["live", "holdout"], height=260)
    st.caption(f"Live {metric} on the true outcomes that came back in each check's window; the holdout line is the score "
               "the version was approved on. The number of outcomes behind each point is in the table.")
    st.dataframe(frame, hide_index=True, column_config={  # newest first, like the checks
        "live": st.column_config.NumberColumn(format="%.4f"), "holdout": st.column_config.NumberColumn(format="%.4f")})


def _alerts(overview: dict[str, Any], vid: int) -> None:
    st.subheader("Alerts")
    if not overview["alerts"]:
        st.caption("No alerts: a check raises one when something crosses a threshold that the previous check did not.")
        return
    for alert in overview["alerts"]:
        with st.container(border=True):
            st.markdown(f"**{_ALERT_TITLES.get(alert.get('kind'), alert.get('kind'))}** · alert #{alert['id']} · "
                        f"{_when(alert['at'])} UTC · check #{alert.get('check_id')}")
            st.write(alert.get("message", ""))
            if not st.button("Retrain from this alert", key=f"mon_retrain_{alert['id']}",
                             help="A new version on the original rows plus every logged prediction with its true outcome."):
                continue
            out = act("queueing the retraining", lambda _s, a=alert["id"]: retrain_from_feedback(
                world.engine, world.settings, user, vid, alert_event_id=a))
            if out:
                st.session_state[f"mon_retrain_job_{vid}"] = out["job"].id
                st.session_state["flash"] = (
                    f"Retraining queued as job {out['job'].id}: the original {out['original_rows']:,} rows plus "
                    f"{out['feedback_rows']:,} logged predictions with true outcomes. When it is done the new version "
                    f"arrives in the review queue with its comparison to deployed version #{vid} on the same holdout rows.")
                st.rerun()
    watch_job(f"mon_retrain_job_{vid}", "Retraining")


versions = read(monitored_versions, user)
if not versions:
    st.info("No version has been deployed yet. Monitoring starts once deployment tooling records a deployment of an "
            "approved version (see Deployed models).")
    st.stop()
by_id = {v["version_id"]: v for v in versions}
vid = st.selectbox("Deployed version", list(by_id), key="mon_pick",
                   format_func=lambda i: f"{version_label(by_id[i])} · {by_id[i]['health']['label']}")

overview = None
with friendly("reading the monitoring of this version"):
    overview = read(monitoring_overview, user, vid)
if overview is None:
    st.stop()
_header(overview, vid)
checks = overview["checks"]
if not checks:
    st.info("Not checked yet: checks run on a schedule, or press Check now.")
    st.stop()
if checks[0]["status"] == "insufficient":
    _insufficient(checks[0])
with friendly("drawing the checks"):
    _drift(checks, vid)
    _prediction_drift(checks)
    _quality(checks)
    _alerts(overview, vid)
