"""How a build looks in each of its states, and the actions a finished build offers.

Five states read differently by colour, icon *and* words (colour alone is not enough for everyone):
running (a moving bar), done (green), done with the best model found in the time (amber), failed (red,
with "Try again" and "Give it more time") and cancelled (grey, with "Start it again").  A failed build
never shows a full blue bar, which read as finished.  The words come from the core; this only draws.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from automl_canvas.config import BUDGET_PRESETS
from automl_canvas.registry.plain_language import best_so_far_in_words, build_failure_in_words, product_decisions_in_words
from automl_canvas.registry.service import get_version
from automl_canvas.services.training import submit_training
from automl_canvas.training.metrics import resolve_metric
from automl_canvas.training.progress import describe_progress, models_tried
from automl_canvas.training.spec import TrainingRequest, parse_budget

__all__ = ["ANCHOR", "answers_of", "render_build", "scroll_to_progress"]

ANCHOR = "build-progress"


def scroll_to_progress() -> None:
    """Bring the progress into view once, right after "Start building" (it sits below the settings).

    The script is a constant (no user input), so allowing JavaScript here runs nothing a person typed.
    """
    st.html(f"<div id='{ANCHOR}'></div><script>document.getElementById('{ANCHOR}')"
            "?.scrollIntoView({behavior: 'smooth', block: 'start'});</script>", unsafe_allow_javascript=True)


def answers_of(profile: dict, target: str) -> tuple[str | None, str | None]:
    """The target's two answers as (positive, negative): the positive is the last in sorted order, as the core's."""
    col = next((c for c in profile.get("columns") or [] if c["name"] == target), {})
    values = sorted(str(v["value"]) for v in (col.get("stats") or {}).get("top_values") or [])
    return (values[-1], values[0]) if len(values) == 2 else (None, None)


def _details(job, metric: str, label: str, profile: dict, finished: bool, version=None) -> list[str]:
    """The lines under the bar. Once the build made a model (``version``), they count every model compared
    (the standard model, the strong starting models, the search's trials, a combination) and give the delivered
    model's score on the rows it never saw, as the Results page does; while it runs, the search's own count and best."""
    p = dict(job.progress or {})
    pos, neg = answers_of(profile, job.payload["resolved"].get("target", ""))
    if version is not None and finished:
        n = len(version.leaderboard or []) or int(p.get("trials_done") or 1)
        return [f"{n} model{'' if n == 1 else 's'} compared.",
                best_so_far_in_words(metric, label, float(version.holdout_score), True, pos, neg, tested=True)]
    out = []
    if not finished and p.get("stage") == "searching" and p.get("remaining_seconds") is not None:
        out.append(f"About {round(p['remaining_seconds'])} seconds of searching left.")
    if p.get("trials_done"):
        out.append(models_tried(int(p["trials_done"]), finished))
    if p.get("best_score") is not None and str(job.status) != "failed":
        out.append(best_so_far_in_words(metric, label, float(p["best_score"]), finished, pos, neg))
    return out


def _curve(view, label: str) -> None:
    # A single point draws no line (only a stray tick such as "0.690000"): the chart waits for a second model.
    if len(view.curve or []) >= 2:
        frame = pd.DataFrame(view.curve, columns=["Seconds of searching", f"Best {label} so far"])
        st.line_chart(frame, x="Seconds of searching", y=f"Best {label} so far",
                      x_label="Seconds of searching", y_label=f"Best {label} so far", height=240)


def _resubmit(engine, settings, me, job, factor: float, key: str, label: str, icon: str, state_key: str) -> None:
    """A button that starts the same request again (``factor`` times its time budget)."""
    if not st.button(label, key=f"{key}:{job.id}", icon=icon):
        return
    request = TrainingRequest.model_validate(job.payload["request"])
    if factor != 1:
        seconds = parse_budget(request.budget) * factor
        if settings.max_budget_seconds:
            seconds = min(seconds, float(settings.max_budget_seconds))
        request = request.model_copy(update={"budget": seconds})
    new = submit_training(engine, settings, me, job.payload["dataset_id"], request)
    st.session_state[state_key] = new.id
    st.session_state["build_scroll"] = True
    st.rerun()


def render_build(job, me, engine, settings, profile: dict, state_key: str) -> bool:
    """Draw one training job in its state; True once it has finished.  ``state_key``: where the page keeps
    the build it shows (a retry replaces it)."""
    resolved = job.payload["resolved"]
    metric = resolved["metric"]
    label = resolve_metric(resolved["task"], metric).label
    view = describe_progress(job, label)
    version = None
    st.subheader("Progress")
    budget = (job.progress or {}).get("budget_seconds") or resolved.get("budget_seconds")
    if view.state == "failed":
        reason = build_failure_in_words(job.error, budget, BUDGET_PRESETS["quick"])
        st.error(f"**The build failed.** {reason}", icon=":material/error:")
        cols = st.columns(2)
        with cols[0]:
            _resubmit(engine, settings, me, job, 1, "retry", "Try again", ":material/replay:", state_key)
        with cols[1]:
            _resubmit(engine, settings, me, job, 2, "more_time", "Give it more time (twice as long)",
                      ":material/more_time:", state_key)
    elif view.state == "cancelled":
        st.info("**Cancelled.** You stopped this build; no model was saved from it.", icon=":material/cancel:")
        _resubmit(engine, settings, me, job, 1, "restart", "Start it again", ":material/replay:", state_key)
    elif view.state == "succeeded":
        version = get_version_or_none(me, engine, (job.result or {}).get("version_id"))
        notes = [n for n in (version.notes or []) if n.get("kind") == "time_ran_out"] if version else []
        if notes:
            st.warning(f"**Done, with the best model found in the time.** Model {job.result.get('version')} is ready. "
                       + " ".join(product_decisions_in_words(version.model_copy(update={"notes": notes}))),
                       icon=":material/timer_off:")
        else:
            st.success(f"**Done.** Model {job.result.get('version')} is ready.", icon=":material/check_circle:")
    else:
        st.progress(view.fraction, text=f"{view.headline}...")
    for line in _details(job, metric, label, profile, view.finished, version):
        st.write(line)
    _curve(view, label)
    return view.finished


def get_version_or_none(me, engine, version_id):
    """The version a build made, or None (deleted, or not visible to this person): the state still shows."""
    if version_id is None:
        return None
    from automl_canvas.db import session_scope

    try:
        with session_scope(engine) as s:
            return get_version(s, me, version_id)
    except Exception:  # noqa: BLE001 - the look falls back to plain "Done"
        return None
