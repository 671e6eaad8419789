"""Projects: one business question each; create one, pick one, see its datasets and models (and how the ones in use
are doing); a project's owner also sees its members and adds or removes them."""

import streamlit as st

from apps.analyst.analyst_ui import current_project_for_tab, db, deployed_health, remember_project, user, version_label
from apps.common import friendly, health_badge
from automl_canvas.datasets.service import list_datasets
from automl_canvas.models import PROJECT_ROLES, ProjectCreate
from automl_canvas.projects import add_member, can_manage_members, create_project, list_members, list_projects, remove_member
from automl_canvas.registry.grade import grade_version
from automl_canvas.registry.service import list_versions

me = user()
st.title("Projects")
st.caption("A project is one business question: the data that answers it and the models built from that data.")

with db() as s:
    projects = list_projects(s, me)

with st.expander("Create a project", expanded=not projects):
    with st.form("new_project", clear_on_submit=True):
        name = st.text_input("Project name", placeholder="Customer churn")
        question = st.text_area("Business question", placeholder="Which customers are likely to leave next month?")
        decision = st.text_area("Decision it informs", placeholder="Who gets a retention call this week.")
        success = st.text_area("Success criterion", placeholder="Out of 100 customers we call, at least 50 would have left.")
        created = st.form_submit_button("Create project")
    if created:
        with friendly("creating the project"):
            with db() as s:
                project = create_project(s, me, ProjectCreate(name=name, question=question, decision=decision,
                                                             success_criterion=success))
            remember_project(me, project.id)  # the user's current project, in every tab
            st.rerun()

if not projects:
    st.info("No projects yet: create the first one above.")
    st.stop()

ids = [p.id for p in projects]
by_id = {p.id: p for p in projects}
current = getattr(current_project_for_tab(me), "id", None)
picked = st.selectbox("Current project", ids, index=ids.index(current) if current in ids else len(ids) - 1,
                      format_func=lambda i: by_id[i].name)
remember_project(me, picked)
project = by_id[picked]

left, right = st.columns(2)
with left:
    st.markdown(f"**Question:** {project.question or '(not written yet)'}")
    st.markdown(f"**Decision it informs:** {project.decision or '(not written yet)'}")
    st.markdown(f"**Success looks like:** {project.success_criterion or '(not written yet)'}")
with db() as s:
    datasets = list_datasets(s, me, project.id)
    versions = list_versions(s, me, project.id)
with right:
    st.subheader("Datasets")
    if datasets:
        st.dataframe([{"name": d.name, "rows": d.n_rows, "columns": d.n_columns, "uploaded": d.created_at.strftime("%Y-%m-%d %H:%M")}
                      for d in datasets], hide_index=True)
    else:
        st.write("None yet.")
    st.page_link("pages/data.py", label="Upload data", icon=":material/upload_file:")
st.subheader("Models")
if versions:
    st.dataframe([{"model": version_label(v), "grade": grade_version(v).grade, "built": v.created_at.strftime("%Y-%m-%d %H:%M")}
                  for v in reversed(versions)], hide_index=True)
    with friendly("checking how the models in use are doing"):
        for v in reversed(versions):
            health = deployed_health(me, v.id)
            if health is not None:
                health_badge(health, prefix=f"Model {v.version} in use: ")
else:
    st.write("No models yet: upload data, then build one.")


with db() as s:
    manage = can_manage_members(s, me, project.id)
    team = list_members(s, me, project.id) if manage else []
if manage:
    st.subheader("Members")
    st.caption("Only members see this project. Viewers read; editors also upload, build, comment and share; "
               "owners also manage the members.")
    st.markdown("\n".join(f"- **{m.username}**{f' ({m.display_name})' if m.display_name else ''}: {m.role}"
                           for m in team))
    with st.form(f"add_member:{project.id}", clear_on_submit=True):
        who, role = st.columns([2, 1])
        username = who.text_input("Username", placeholder="bob")
        picked_role = role.selectbox("Role", PROJECT_ROLES, index=PROJECT_ROLES.index("editor"))
        added = st.form_submit_button("Add or change member")
    if added:
        with friendly("adding the member"):
            with db() as s:
                add_member(s, me, project.id, username, picked_role)
            st.rerun()
    others = [m.username for m in team if m.user_id != me.id]
    if others:
        left_col, right_col = st.columns([2, 1])
        leaving = left_col.selectbox("Remove a member", others, key=f"remove_pick:{project.id}")
        if right_col.button("Remove", key=f"remove_member:{project.id}"):
            with friendly("removing the member"):
                with db() as s:
                    remove_member(s, me, project.id, leaving)
                st.rerun()
