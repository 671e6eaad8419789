"""Explanations: global importance, beeswarm, dependence of one column, and the waterfall of one row."""

from __future__ import annotations

import streamlit as st

from apps.scientist.dashboard_ui import figure, read
from automl_canvas.explain import plots
from automl_canvas.review.details import ROW_POSITION, explained_rows, find_rows

from .context import ReviewCtx, cached_explanation


@st.cache_data(max_entries=8, show_spinner=False)
def _rows(key: tuple, _load):
    """The explained rows joined with their identifiers, once per (version, evidence, store)."""
    return _load()


def render(ctx: ReviewCtx) -> None:
    evidence = ctx.evidence.get("explanations")
    if evidence is None:
        st.info("No explanation has been computed for this version yet (the evidence job may still be running).")
        return
    expl = cached_explanation(ctx.world, evidence)
    output = 0
    if expl.n_outputs > 1:
        output = st.selectbox("Class", list(range(expl.n_outputs)), format_func=lambda k: str(expl.output_names[k]),
                              key=f"ex_output_{ctx.vid}")
    st.caption(f"{expl.explainer.title()} SHAP on {expl.n_rows:,} holdout rows (of {expl.n_rows_total:,}), "
               f"in {expl.output_space.replace('_', ' ')} space.")
    left, right = st.columns(2)
    with left:
        figure(plots.importance_bar(expl, output if expl.n_outputs > 1 else None))
    with right:
        figure(plots.beeswarm(expl, output))

    st.subheader("Dependence")
    ranked = expl.global_importance(output)["column"].tolist()
    column = st.selectbox("Column", ranked, key=f"ex_column_{ctx.vid}")
    figure(plots.dependence(expl, column, output))

    st.subheader("One row")
    rows = _rows((ctx.vid, evidence.id, str(ctx.world.settings.artifact_dir)),
                 lambda: read(explained_rows, ctx.world.settings, ctx.user, ctx.version, expl))
    query = st.text_input("Find a row (id or any value)", key=f"ex_query_{ctx.vid}",
                          placeholder="e.g. an application id, a region, 700")
    hits = find_rows(rows, query)
    if hits.empty:
        st.warning(f"No explained row contains '{query}'. Only the {expl.n_rows:,} explained holdout rows can be searched.")
        return
    st.dataframe(hits, hide_index=True, height=200)
    ident = [c for c in rows.columns if c not in expl.columns and c != ROW_POSITION][:2]

    def label(i: int) -> str:
        r = rows.iloc[i]
        return " · ".join([f"row {i}", *(f"{c} {r[c]}" for c in ident)])

    position = st.selectbox("Row to explain", hits[ROW_POSITION].tolist(), format_func=label, key=f"ex_row_{ctx.vid}")
    figure(plots.waterfall(expl, int(position), output))
