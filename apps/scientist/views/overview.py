"""Overview: holdout and cross-validated metrics against the baseline and the default model, and the curves."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from apps.scientist.dashboard_ui import figure
from automl_canvas.evidence import plots
from automl_canvas.training.leaderboard import DEFAULT_LEARNER
from automl_canvas.training.metrics import metric_label
from automl_canvas.training.operating_point import detail_at

from .context import ReviewCtx, cached_document


def _metrics_table(ctx: ReviewCtx) -> pd.DataFrame:
    m = ctx.version.metrics or {}
    names = list((m.get("model") or {}).keys())
    rows = []
    for name in names:
        rows.append({"metric": name, "model (holdout)": m.get("model", {}).get(name),
                     "baseline (simple guess)": (m.get("baseline") or {}).get(name),
                     "default model": (m.get("default_model") or {}).get(name)})
    if "unmitigated" in m:
        for row in rows:
            row["before mitigation"] = m["unmitigated"].get(row["metric"])
    return pd.DataFrame(rows)


def _retrain_comparison(v) -> None:
    """A retrain from monitoring: the deployed version measured on this version's holdout rows."""
    retrain = (v.recipe or {}).get("retrain") or {}
    c = retrain.get("comparison") or {}
    if not c:
        return
    st.subheader("Compared with the deployed version")
    st.dataframe(pd.DataFrame([
        {"model": f"this version (v{v.version})", f"{c['metric']} on the same holdout": c.get("new_version")},
        {"model": f"deployed version (#{c['deployed_version_id']})", f"{c['metric']} on the same holdout": c.get("deployed_version")},
    ]), hide_index=True)
    alert = retrain.get("alert") or {}
    st.caption(f"Retrained on {retrain.get('original_rows', 0):,} original rows plus {retrain.get('feedback_rows', 0):,} "
               f"logged predictions with true outcomes, measured on {c.get('holdout_rows', 0):,} holdout rows"
               + (f"; answers alert #{alert['id']}: {alert.get('message', '')}" if alert else "") + ". "
               f"The deployed version's own holdout score was {c.get('deployed_version_recorded_holdout')}.")


def _operating_point(v) -> None:
    """The cut-off the version decides at: how it was chosen, and its numbers where it was chosen and on the holdout."""
    point = v.operating_point
    if v.task != "binary" or not point:
        return
    st.subheader("Operating point")
    st.write(point["sentence"])
    rows = [{"rows": f"{name} ({where})", "precision": s["precision"], "recall": s["recall"], "flagged share": s["flagged_share"],
             "F1": s["f1"], "TP": s["tp"], "FP": s["fp"], "FN": s["fn"], "TN": s["tn"]}
            for name, where, s in (("selection", point["chosen_on"], point["selection"]),
                                   ("holdout", "train-only fit", point["holdout"]))]
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    st.caption(f"Cut-off {point['threshold']:.4f} chosen as '{point['mode']}'"
               + (f" = {point['value']:g}" if point.get("value") is not None else "")
               + (f" by {point['chosen_by']}" if point.get("chosen_by") else " at training")
               + f" on {point['chosen_on']}; the holdout only reports. Every prediction (what-if, batch, API, monitoring) uses it.")


def _choice(v) -> None:
    """How the delivered model was chosen (training/selection.py): the contenders on fresh folds, the rule, the members."""
    recipe = v.recipe or {}
    st.subheader("How the model was chosen")
    fresh = recipe.get("fresh_folds")
    if fresh:
        means = fresh.get("mean_scores", {})
        names = {"default": "default model", "single": "best single model (search folds)",
                 "ready_made": "best ready-made model (portfolio)", "ensemble": "weighted ensemble"}
        delivered = fresh.get("delivered") or recipe.get("delivered_kind") or ""
        st.dataframe(pd.DataFrame([{"contender": names.get(k, k), f"mean {fresh.get('metric', v.metric)}": round(val, 4),
                                    "delivered": k == delivered} for k, val in means.items()]),
                     hide_index=True)
        st.caption(f"On {fresh.get('folds')} fresh folds (another seed; nothing was tuned on them) the challenger "
                   f"({names.get(fresh.get('challenger'), fresh.get('challenger'))}) differs from the default model by "
                   f"{fresh.get('mean_difference', 0):+.4f} on average; it is delivered only above one standard error of "
                   f"that paired difference ({fresh.get('margin', 0):.4f}).")
    else:
        st.caption(f"Chosen on {recipe.get('model_selection') or 'the validation rows'}.")
    blend = recipe.get("validation_ensemble")
    if blend:
        single = "default model" if blend.get("single_learner") == DEFAULT_LEARNER else \
            f"search's best ({blend.get('single_learner')})"
        st.dataframe(pd.DataFrame([
            {"contender": single, f"{v.metric} on the validation rows": round(blend["single"], 4), "delivered": not blend["delivered"]},
            {"contender": "weighted ensemble (cross-fitted)", f"{v.metric} on the validation rows": round(blend["ensemble"], 4),
             "delivered": bool(blend["delivered"])},
        ]), hide_index=True)
        st.caption("The ensemble's score is cross-fitted: the validation rows were cut in two halves and each half scored with "
                   "weights chosen on the other, so it is judged on rows its weights never saw; it is delivered only when that "
                   "beats the single model (and its refits fit in the time budget).")
        if blend.get("left_out_for_time"):
            names = ", ".join("default model" if n == DEFAULT_LEARNER else n for n in blend["left_out_for_time"])
            st.caption(f"Left out of the ensemble to finish on time: {names} (refitting it as well would have run past "
                       "the time budget; the ensemble without it was judged again the same way).")
    members = (recipe.get("hyperparameters") or {}).get("members") if recipe.get("learner") == "weighted_ensemble" else None
    if members:
        platt = any(m.get("platt") for m in members)
        st.dataframe(pd.DataFrame([{"member": m["learner"], "weight": m["weight"],
                                    **({"raw score": (f"{m['platt'][0]:+.3f} {m['platt'][1]:+.3f} × probability"
                                                      if m.get("platt") else "its own")} if platt else {}),
                                    "hyperparameters": str(m.get("config") or {})}
                                   for m in members]), hide_index=True)
        st.caption("The ensemble adds its members' raw scores (log-odds, class margins or values) with these weights; "
                   "its SHAP values are the same weighted sum of the members' exact SHAP values."
                   + (" A forest has no raw score of its own: its Platt line (fitted to its out-of-fold probabilities) "
                      "is its log-odds, so its SHAP values are its exact probability SHAP values times the line's slope."
                      if platt else ""))
    st.caption(f"Delivered model fit on {recipe.get('delivered_model_fit_on', 'the train and validation rows')}; the holdout "
               "numbers and every piece of evidence come from the same recipe fitted on the train and validation rows.")


def render(ctx: ReviewCtx) -> None:
    v = ctx.version
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(f"Holdout {metric_label(v.metric)}", f"{v.holdout_score:.4f}", f"{v.holdout_score - v.baseline_score:+.4f} vs baseline",
              delta_color="normal" if v.higher_is_better else "inverse")
    c2.metric("Baseline", f"{v.baseline_score:.4f}")
    c3.metric("Default model", f"{v.default_model_score:.4f}")
    cv = v.cv_metrics or {}
    if cv.get("mean") is not None:
        c4.metric(f"{cv.get('folds', '?')}-fold CV {cv.get('metric', v.metric)}", f"{cv['mean']:.4f}",
                  f"± {cv.get('std', 0):.4f} (std over folds)", delta_color="off", delta_arrow="off")
    else:
        c4.metric("Cross-validation", "not run")
    st.subheader("Holdout metrics")
    st.dataframe(_metrics_table(ctx), hide_index=True)
    if v.task == "binary" and v.operating_point:
        st.caption(f"Accuracy and F1 are the model's at its cut-off ({v.operating_point['threshold']:.3f}); the baseline's "
                   "and the default model's decide at 0.5. The other metrics do not depend on a cut-off.")
    st.caption(f"{ctx.review['grade']['grade']}: {ctx.review['grade']['reason']}")
    _retrain_comparison(v)
    for note in v.notes or []:
        (st.warning if note.get("severity") in ("warning", "critical") else st.info)(note.get("message", ""))
    _choice(v)
    _operating_point(v)

    perf = ctx.evidence.get("performance")
    if perf is None:
        st.info("The performance detail has not been computed yet (the evidence job may still be running).")
        return
    detail = detail_at(cached_document(ctx.world, perf, "detail"), v.operating_point)
    st.subheader("On the holdout")
    if v.task == "regression":
        figure(plots.residuals(detail))
        summary = detail.get("residual_summary") or {}
        st.caption(f"Residual mean {summary.get('mean', 0):.4g}, standard deviation {summary.get('std', 0):.4g}.")
        return
    left, right = st.columns(2)
    with left:
        figure(plots.roc_curve(detail))
    with right:
        figure(plots.confusion_matrix(detail))
    if v.task == "binary":
        left, right = st.columns(2)
        with left:
            figure(plots.precision_recall_curve(detail, v.operating_point))
        with right:
            figure(plots.calibration_curve(detail))
    st.dataframe(pd.DataFrame(detail.get("per_class") or []), hide_index=True)
