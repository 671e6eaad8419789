"""Share with a data scientist: send the model for review; then follow its status, read and answer the
scientist's comments, retrain and share the new model as the answer to requested changes.

Which controls show comes from the core (``review["actions"]``: what this user may do to this version now),
never from the status or the user's role."""

import streamlit as st

from apps.analyst.analyst_ui import VERSION, db, page, pick_version, version_label
from apps.common import friendly
from automl_canvas.registry.plain_language import review_status_in_words
from automl_canvas.registry.service import list_versions
from automl_canvas.review import add_comment, get_review, share, withdraw
from automl_canvas.services.training import submit_training
from automl_canvas.training.rebuild_request import request_from_version

me, project, world = page("Share with a data scientist", "A data scientist checks the model before anyone relies on it: they can approve it, reject it or ask for changes.")
version = pick_version(me, project)

with friendly("reading the review"):
    with db() as s:
        review = get_review(s, world.settings, me, version.id)
        answerable = [v for v in list_versions(s, me, project.id, status="changes_requested") if v.id != version.id]
    actions = review["actions"]
    st.subheader("Status")
    st.info(review_status_in_words(version.status, review.get("claimed_by")))
    if "share" in review["blocked"]:
        st.caption(review["blocked"]["share"])

    if "share" in actions:
        with st.form(f"share:{version.id}"):
            message = st.text_area("Message to the data scientist",
                                   placeholder="What the model is for, what you checked, what you are unsure about.")
            options = [None] + [v.id for v in answerable]
            names = {v.id: version_label(v) for v in answerable}
            responds = st.selectbox("This model answers the requested changes on", options,
                                    index=len(options) - 1 if answerable else 0,
                                    format_func=lambda i: "(nothing: a new request)" if i is None else names[i])
            go = st.form_submit_button("Share with a data scientist", type="primary")
        if go:
            with friendly("sharing the model"):
                with db() as s:
                    share(s, world.settings, me, version.id, message=message, responds_to_version_id=responds)
                st.rerun()
    if "withdraw" in actions and st.button("Take it back (withdraw from review)", key=f"withdraw:{version.id}"):
        with friendly("withdrawing the model"):
            with db() as s:
                withdraw(s, me, version.id)
            st.rerun()

    requested = [d for d in review["decisions"] if d.decision in ("request_changes", "reject")]
    if requested:
        st.subheader("What the data scientist asked for")
        for d in requested:
            st.warning(f"**{'Changes requested' if d.decision == 'request_changes' else 'Rejected'}** "
                       f"({d.created_at:%Y-%m-%d %H:%M}): {d.comment}")

    st.subheader("Conversation")
    if not review["comments"]:
        st.write("No messages yet.")
    for c in review["comments"]:
        with st.chat_message("user" if c.author_id == me.id else "assistant"):
            st.markdown(f"**{c.author_name}** · {c.created_at:%Y-%m-%d %H:%M}  \n{c.body}")
    if "comment" in actions:
        with st.form(f"reply:{version.id}", clear_on_submit=True):
            body = st.text_area("Reply")
            sent = st.form_submit_button("Send reply")
        if sent:
            with friendly("sending the reply"):
                with db() as s:
                    add_comment(s, me, version.id, body)
                st.rerun()

    if "retrain" in actions:
        st.subheader("Retrain")
        st.write("Build a new model with the changes; when it is ready, share it here as the answer.")
        others = [c for c in version.feature_schema.get("input_columns") or []]
        with st.form(f"retrain:{version.id}"):
            excluded = st.multiselect("Leave these columns out", sorted(set(others) | set(version.recipe.get("excluded_columns") or [])),
                                      default=list(version.recipe.get("excluded_columns") or []))
            seconds = st.number_input("Search time in seconds (0: same as before)", min_value=0, value=0, step=10)
            again = st.form_submit_button("Retrain")
        if again:
            with friendly("starting the retrain"):
                job = submit_training(world.engine, world.settings, me, version.dataset_id,
                                      request_from_version(version, excluded_columns=excluded, budget=float(seconds) or None))
                st.session_state["build_job_id"] = job.id
                st.session_state.pop(VERSION, None)
                st.success("The retrain has started.")
                st.page_link("pages/build.py", label="Watch its progress", icon=":material/model_training:")
