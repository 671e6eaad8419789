"""Fairness: per-group metrics with intervals, disparities against the policy, and mitigated candidates.

Every verdict shown here comes from ``automl_canvas.fairness.verdicts`` (the
same functions the approval policy calls), with the version's declared
favourable outcome and the settings' floors.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from apps.scientist.dashboard_ui import SELECTED, act, figure, read, watch_job
from automl_canvas.evidence.mitigation import CONSTRAINTS, submit_mitigation
from automl_canvas.fairness.findings import with_favourable
from automl_canvas.fairness.plots import METRIC_TITLES, plot_disparities, plot_group_metric
from automl_canvas.fairness.result import FairnessReport
from automl_canvas.fairness.verdicts import mitigation_verdict
from automl_canvas.review.details import mitigated_candidates

from .context import ReviewCtx, cached_document


def _policy_rows(ctx: ReviewCtx) -> None:
    checks = [c for c in ctx.review["checks"] if c["name"].startswith("fairness")]
    for c in checks:
        (st.success if c["passed"] else st.error)(("Passes: " if c["passed"] else "Fails: ") + c["message"])


def _verdict(ctx: ReviewCtx, child, cand: dict, comparison: dict) -> None:
    """'worse — not recommended' in red (or what it achieved), recomputed from the comparison shown below it."""
    if not comparison.get("fairness"):
        return
    v = mitigation_verdict(comparison, feature=cand["sensitive_column"], constraint=cand["constraint"], metric=child.metric,
                           higher_is_better=child.higher_is_better,
                           max_metric_loss=ctx.world.settings.mitigation_max_metric_loss)
    if v.worse:
        st.error(f"**{v.label[:1].upper()}{v.label[1:]}**: " + "; ".join(v.reasons) + ".")
    else:
        st.success(v.message)


def _red_if_widened(row: pd.Series) -> list[str]:
    return ["color: #c62828; font-weight: bold" if row.get("direction") == "widened" else ""] * len(row)


def _mitigation(ctx: ReviewCtx) -> None:
    st.subheader("Mitigated candidates")
    v = ctx.version
    sensitive = list(v.recipe.get("sensitive_columns") or [])
    if v.origin == "mitigation":
        st.info(f"This version is a mitigated candidate of version #{v.parent_version_id}.")
    elif v.task != "binary":
        st.caption("Mitigation by group thresholds is available for yes/no (binary) models.")
    elif sensitive:
        c1, c2 = st.columns(2)
        column = c1.selectbox("Mitigate on", sensitive, key=f"fa_mcol_{ctx.vid}")
        constraint = c2.selectbox("Constraint", CONSTRAINTS, format_func=lambda c: c.replace("_", " "), key=f"fa_con_{ctx.vid}")
        st.caption("Builds a new candidate version: the parent's configuration refit on the training rows, with "
                   "decision thresholds per group fitted on the validation rows and both measured on the same holdout.")
        key = f"fa_job_{ctx.vid}"
        if st.button("Create a mitigated candidate", key=f"fa_mitigate_{ctx.vid}"):
            job = act("queueing the mitigation", lambda _s: submit_mitigation(ctx.world.engine, ctx.world.settings, ctx.user,
                                                                               ctx.vid, column, constraint))
            if job:
                st.session_state[key] = job.id
        watch_job(key, "Building the mitigated candidate")
    for cand in read(mitigated_candidates, ctx.user, ctx.vid):
        child, comparison = cand["version"], cand["comparison"] or {}
        st.markdown(f"**Version #{child.id} (v{child.version})**: {cand['constraint'].replace('_', ' ')} on "
                    f"'{cand['sensitive_column']}' · {child.status.replace('_', ' ')}")
        _verdict(ctx, child, cand, comparison)
        left, right = st.columns(2)
        with left:
            st.caption("Performance on the holdout: parent vs mitigated")
            st.dataframe(pd.DataFrame(comparison.get("performance") or []), hide_index=True)
        with right:
            st.caption("Disparities: parent vs mitigated")
            fair = pd.DataFrame(comparison.get("fairness") or [])
            if not fair.empty:
                if "direction" not in fair:  # a comparison recorded before directions were kept
                    fair["direction"] = ""
                fair = fair[["feature", "measure", "parent", "mitigated", "direction", "parent_flagged", "mitigated_flagged"]]
                st.dataframe(fair.style.apply(_red_if_widened, axis=1), hide_index=True)
            else:
                st.dataframe(fair, hide_index=True)
        if comparison.get("summary"):
            st.caption(comparison["summary"])
        if st.button(f"Open version #{child.id}", key=f"fa_open_{child.id}"):
            st.session_state[SELECTED] = child.id
            st.session_state.pop("hood_version", None)
            st.rerun()


def render(ctx: ReviewCtx) -> None:
    evidence = ctx.evidence.get("fairness")
    sensitive = list(ctx.version.recipe.get("sensitive_columns") or [])
    if not sensitive:
        st.info("No sensitive columns were declared for this version, so there is no fairness report. "
                "Ask the analyst to declare them (e.g. gender, age) and retrain if the use calls for a check.")
        return
    _policy_rows(ctx)
    if evidence is None:
        st.info("The fairness report has not been computed yet (the evidence job may still be running).")
        return
    settings = ctx.world.settings
    report = with_favourable(FairnessReport.from_dict(cached_document(ctx.world, evidence, "report")),
                             ctx.version.recipe.get("favourable_outcome"),
                             min_selection_rate=settings.fairness_min_selection_rate, min_tpr=settings.fairness_min_tpr)
    if report.task == "binary":
        st.caption(f"Favourable outcome (good for the person): '{report.favourable_label}'; the four-fifths rule compares its rates."
                   if report.favourable_label is not None else
                   "No favourable outcome was declared: the four-fifths rule is shown on both answers and judged on the "
                   "stricter one. Ask the analyst to say which answer is good for the person.")
    names = [f.name for f in report.features]
    feature = st.selectbox("Sensitive column or intersection", names, key=f"fa_feature_{ctx.vid}")
    metrics = [m for m in dict.fromkeys(report.groups_frame()["metric"]) if m != "count"]
    metric = st.selectbox("Metric", metrics, format_func=lambda m: METRIC_TITLES.get(m, m), key=f"fa_metric_{ctx.vid}")
    wide = report.groups_frame(wide=True)
    st.dataframe(wide[wide["feature"] == feature].drop(columns=["feature"]), hide_index=True)
    label = None if report.task != "multiclass" else str(report.classes[0])
    try:
        figure(plot_group_metric(report, metric, features=[feature], label=None))
    except KeyError:
        figure(plot_group_metric(report, metric, features=[feature], label=label))

    st.subheader("Disparities")
    disp = report.disparities_frame()
    disp = disp[disp["feature"] == feature][["measure", "label", "value", "ci_low", "ci_high", "low_group", "high_group",
                                             "threshold", "flagged", "groups_compared"]]
    st.dataframe(disp, hide_index=True)
    st.caption("'threshold' is the rule of thumb of the report; the approval policy's limits are checked above.")
    figure(plot_disparities(report))
    for f in report.findings:
        if f.feature in (None, feature):
            text = f.message
            {"high": st.error, "warning": st.warning}.get(f.severity, st.info)(text)
    if any(math.isnan(x) for x in disp["value"].tolist()):
        st.caption("Some measures could not be computed (groups too small or a single outcome).")
    _mitigation(ctx)
