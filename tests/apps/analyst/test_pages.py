"""Every analyst page renders with a real trained model behind it, without an exception, with its key widgets."""

from __future__ import annotations

from automl_canvas.db import session_scope

from .conftest import open_page


def texts(at) -> str:
    parts = [e.value for kind in ("markdown", "info", "success", "warning", "error", "caption", "title", "subheader")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def test_sign_in_form_when_nobody_is_signed_in(app):
    del app.session_state["canvas_user_id"]
    app.run()
    assert not app.exception
    assert [t.label for t in app.text_input] == ["Username", "Password"]


def test_start_page(app):
    at = open_page(app, "home")
    assert not at.exception
    assert "Welcome, Ana Analyst." in texts(at)


def test_projects_page_lists_datasets_and_models_and_creates_a_project(app, analyst_world):
    at = open_page(app, "projects")
    assert not at.exception
    assert at.selectbox[0].label == "Current project"
    assert "Who will leave?" in texts(at)
    assert len(at.dataframe) == 2  # datasets, models
    next(t for t in at.text_input if t.label == "Project name").input("Loans")
    next(t for t in at.text_area if t.label == "Business question").input("Will a loan be repaid?")
    next(b for b in at.button if b.label == "Create project").click()
    at = at.run()
    assert not at.exception
    assert "Will a loan be repaid?" in texts(at)  # the new project is now the current one
    assert at.session_state["project_id"] != analyst_world.project.id


def test_data_page_shows_preview_readiness_and_target_sentence(app, analyst_world):
    at = open_page(app, "data")
    assert not at.exception
    body = texts(at)
    assert "`customer_id` has a different value on every row, like an ID" in body
    assert "will be left out of the model." in body
    assert "ready to build" in body
    target = next(s for s in at.selectbox if s.label.startswith("The column to predict"))
    target.select("churned")
    at = at.run()
    assert not at.exception
    assert "The model will predict `churned` ('No' or 'Yes') for each of your customers" in texts(at)


def test_build_page_has_modes_advanced_settings_and_the_last_build(app):
    at = open_page(app, "build")
    assert not at.exception
    assert "Choose what to predict" in texts(at)
    next(s for s in at.selectbox if s.label == "Predict").select("churned")
    at = at.run()
    assert at.radio[0].options == ["Quick", "Standard"]
    assert any(b.label == "Start building" for b in at.button)
    assert any(n.label.startswith("Search time in seconds") for n in at.number_input)
    assert {m.label for m in at.multiselect} >= {"Leave these columns out"}
    assert any(e.value.startswith("**Done") for e in [*at.success, *at.warning])  # done, or done with the best so far
    assert not at.get("progress")  # a finished build shows its state, not a full bar


def test_build_page_refuses_a_bad_request_in_words(app):
    at = open_page(app, "build")
    next(s for s in at.selectbox if s.label == "Predict").select("customer_id")  # an identifier as the target: every row its own class
    at = at.run()
    next(b for b in at.button if b.label == "Start building").click()
    at = at.run()
    assert not at.exception
    assert at.error and "Traceback" not in at.error[0].value


def test_results_page_grade_metrics_drivers_and_mistakes(app):
    at = open_page(app, "results")
    assert not at.exception
    assert at.metric[0].label == "Grade"
    assert at.metric[0].value in {"Excellent", "Good", "Fair", "Poor"}
    body = texts(at)
    assert "Out of 100 customers it flags as churned = 'Yes', about" in body
    assert "It misses" in body
    assert "accounts for about" in body


def test_opening_results_warms_the_model_for_try_it_and_batch(app, analyst_world):
    """The first what-if paid for SHAP's import, the artifact's hash and the explainer's build (31.6 s on a busy
    machine): Results now starts that in a background thread, and once it is done the model and its explainer
    are in this process's caches, so Try it's first question costs only itself."""
    from apps.analyst import warm
    from automl_canvas.explain import shap_values
    from automl_canvas.registry import service as registry

    v = analyst_world.version
    at = open_page(app, "results")
    assert not at.exception
    thread = warm._STARTED[(v.id, v.artifact_sha256)]
    thread.join(timeout=240)
    assert not thread.is_alive()
    loaded = [m for k, m in registry._LOADED.items() if k[1] == v.artifact_sha256]
    assert loaded, "the verified model is cached"
    assert any(e.model is loaded[0] for e in shap_values._cache.values()), "its explainer is prepared"
    assert open_page(app, "results") is not None and warm._STARTED[(v.id, v.artifact_sha256)] is thread  # once


def _choose_recall_70(at) -> None:
    next(r for r in at.radio if r.label == "What should its 'yes' decisions do?").set_value("recall")
    next(n for n in at.number_input if n.label.startswith("N (for")).set_value(70)


def test_results_cut_off_control_previews_and_saves_the_analysts_choice(app, analyst_world):
    from automl_canvas.registry.service import get_version

    at = open_page(app, "results")
    assert not at.exception
    assert "When it says 'Yes'" in [h.value for h in at.subheader]
    assert "Balance the two kinds of mistakes: it says 'Yes' when the chance is at least" in texts(at)
    _choose_recall_70(at)
    next(b for b in at.button if b.label == "Show what it would do").click()
    at = at.run()
    assert not at.exception
    assert "Catch at least 70 in 100 of the 'Yes' cases" in texts(at)
    with session_scope(analyst_world.engine) as s:
        assert get_version(s, analyst_world.user, analyst_world.version.id).operating_point["mode"] == "balance"  # only a preview
    _choose_recall_70(at)
    next(b for b in at.button if b.label == "Use this setting").click()
    at = at.run()
    assert not at.exception
    with session_scope(analyst_world.engine) as s:
        point = get_version(s, analyst_world.user, analyst_world.version.id).operating_point
    assert point["mode"] == "recall" and point["value"] == 70 and point["selection"]["recall"] >= 0.70
    assert "Catch at least 70 in 100 of the 'Yes' cases" in texts(at)


def test_try_it_page_predicts_and_compares(app, analyst_world):
    at = open_page(app, "try_it")
    assert not at.exception
    labels = [s.label for s in at.selectbox] + [n.label for n in at.number_input]
    assert {"contract", "tenure_months"} <= set(labels)
    predict = next(b for b in at.button if b.label == "Predict")
    predict.click()
    at = at.run()
    assert not at.exception
    body = texts(at)
    assert "Predicted churned:" in "\n".join(h.value for h in at.subheader)
    assert "chances in 100" in body
    assert "Top reasons" in body
    next(s for s in at.selectbox if s.label == "contract").select("Two year")
    next(b for b in at.button if b.label == "Predict").click()
    at = at.run()
    assert "Changing contract" in texts(at)


def test_batch_page_asks_for_a_file(app):
    at = open_page(app, "batch")
    assert not at.exception
    assert "Columns the model needs" in texts(at)


def test_share_page_shares_then_shows_the_conversation(app):
    at = open_page(app, "share")
    assert not at.exception
    assert "Not shared yet" in texts(at)
    at.text_area[0].input("First churn model, please check the tenure effect.")
    next(b for b in at.button if b.label == "Share with a data scientist").click()
    at = at.run()
    assert not at.exception
    body = texts(at)
    assert "waiting for a data scientist" in body
    assert "please check the tenure effect" in body
    assert any(b.label == "Send reply" for b in at.button)


def test_portfolio_page_ranks_projects_and_takes_business_inputs(app, analyst_world):
    at = open_page(app, "portfolio")
    assert not at.exception
    assert "Portfolio" in [t.value for t in at.title]
    assert len(at.dataframe) >= 1 and "Churn" in at.dataframe[0].value["Project"].tolist()
    decisions = next(n for n in at.number_input if n.label.startswith("Decisions per month"))
    decisions.set_value(1200.0)
    next(b for b in at.button if b.label == "Save inputs").click()
    at = at.run()
    assert not at.exception
    assert any("Saved." in s.value for s in at.success)
    from automl_canvas.db import session_scope
    from automl_canvas.feasibility.service import get_inputs

    with session_scope(analyst_world.engine) as s:
        assert get_inputs(s, analyst_world.user, analyst_world.project.id).inputs.decisions_per_month == 1200
    assert any(b.label == "Assess feasibility" for b in at.button)
