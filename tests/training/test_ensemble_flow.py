"""A weighted ensemble end to end: trained by a real worker, explained exactly, reproduced, approved and served.

The build is trial-bounded (``max_trials``), so the portfolio, the search and the fresh-fold check run
the same way on a quiet or a busy machine, and the table is one where an ensemble of a linear and a tree
model must win (tests/training/tables.py).
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from fastapi.testclient import TestClient
from numpy.testing import assert_allclose

from automl_canvas.datasets.service import ingest_file
from automl_canvas.db import init_db, make_engine, session_scope
from automl_canvas.explain import explain, model_output
from automl_canvas.models import ProjectCreate
from automl_canvas.projects import create_project
from automl_canvas.registry import service as registry
from automl_canvas.review import approve, claim, share
from automl_canvas.services.training import submit_training
from automl_canvas.training.ensemble import ENSEMBLE_LEARNER
from automl_canvas.training.margins import link, margin_of
from automl_canvas.training.spec import TrainingRequest
from tests.conftest import make_settings
from tests.helpers import job, run_queued_jobs, users_with_tokens

from .tables import additive_table

pytestmark = pytest.mark.slow

ROLES = {"ana": ("analyst",), "sam": ("scientist",), "dee": ("deployer",)}


@pytest.fixture(scope="module")
def ensemble_world(tmp_path_factory):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    root = tmp_path_factory.mktemp("ensemble")
    path = root / "bought.csv"
    additive_table().to_csv(path, index=False)
    settings = make_settings(root / "home", None, shap_max_rows=100, fairness_bootstrap=20,
                             job_time_limit_grace_seconds=1200)
    engine = make_engine(settings)
    init_db(engine)
    with session_scope(engine) as s:
        users, tokens = users_with_tokens(s, settings, ROLES, "ensemble tests")
        project = create_project(s, users["ana"], ProjectCreate(name="Offers", question="Who buys?"))
    ds = ingest_file(engine, settings, users["ana"], project.id, path)
    request = TrainingRequest(target="bought", budget=120, max_trials=2, learners=["lgbm", "lrl1", "extra_tree"], seed=11)
    queued = submit_training(engine, settings, users["ana"], ds.id, request)
    run_queued_jobs(settings, engine)
    done = job(engine, queued.id)
    assert done.status == "succeeded", done.error
    with session_scope(engine) as s:
        share(s, settings, users["ana"], done.result["version_id"], "an ensemble for review")
        version = registry.get_version(s, users["ana"], done.result["version_id"])
    yield settings, engine, users, tokens, version, path
    engine.dispose()


def test_the_delivered_model_is_a_recorded_weighted_ensemble(ensemble_world):
    settings, _, _, _, v, _ = ensemble_world
    assert v.best_learner == ENSEMBLE_LEARNER and v.recipe["delivered_kind"] == "ensemble"
    members = v.recipe["hyperparameters"]["members"]
    assert len(members) >= 2 and abs(sum(m["weight"] for m in members) - 1) < 1e-6
    assert {m["learner"] for m in members} & {"lrl1"}  # the linear member is what the trees lack here
    # a forest joins a binary ensemble through the Platt line fitted to its out-of-fold probabilities
    forests = [m for m in members if m["learner"] == "extra_tree"]
    assert forests and all(len(m["platt"]) == 2 and m["platt"][1] > 0 for m in forests), members
    fresh = v.recipe["fresh_folds"]
    assert fresh["challenger"] == "ensemble" and fresh["mean_difference"] > fresh["margin"]
    assert "fresh cross-validation folds" in v.recipe["model_selection"]  # the test settings use 3 folds
    chosen = [r for r in v.leaderboard if r["chosen"]]
    assert len(chosen) == 1 and chosen[0]["source"] == "ensemble" and chosen[0]["config"]["members"] == members
    assert any(n.get("kind") == "ensemble_delivered" for n in v.notes)
    # the ensemble adds the members' raw scores with the recorded weights; the link of that sum is its probability
    model = registry.load_model(settings, v)
    rows = additive_table().drop(columns=["bought"]).head(25)
    X = model.transform(rows)
    total = sum(m.weight * margin_of("binary", m.learner, m.estimator, X, m.scale) for m in model.estimator.members)
    assert_allclose(model.predict_proba_encoded(X), link("binary", total), atol=1e-12)


def test_ensemble_shap_values_add_up_exactly(ensemble_world):
    settings, _, _, _, v, _ = ensemble_world
    model = registry.load_model(settings, v)
    rows = additive_table().drop(columns=["bought"]).head(40)
    expl = explain(model, rows, background=rows)
    assert expl.explainer == "ensemble" and expl.output_space == "log_odds"
    assert {m["learner"] for m in expl.meta["members"]} == {m["learner"] for m in v.recipe["hyperparameters"]["members"]}
    assert_allclose(expl.output_values(), model_output(model, rows.loc[expl.row_index]), atol=1e-4, rtol=0)


def test_ensemble_is_reproduced_from_its_recipe(ensemble_world):
    settings, engine, users, _, v, _ = ensemble_world
    result = registry.reproduce_version(engine, settings, users["ana"], v.id)
    assert result["learner"] == ENSEMBLE_LEARNER
    assert abs(result["difference"]) < 1e-9  # every member refit from its recorded config, same weights


def test_approved_ensemble_is_served_by_the_api(ensemble_world):
    settings, engine, users, tokens, v, path = ensemble_world
    with session_scope(engine) as s:
        claim(s, users["sam"], v.id)
        approve(s, settings, users["sam"], v.id, "ensemble checked", override_justification="test world")
    from apps.api import create_app

    rows = additive_table().drop(columns=["bought"]).head(3)
    records = [{k: (None if isinstance(val, float) and np.isnan(val) else val) for k, val in r.items()}
               for r in rows.to_dict("records")]
    with TestClient(create_app(settings, engine=engine), raise_server_exceptions=False) as client:
        r = client.post(f"/api/v1/model-versions/{v.id}/predict", json={"records": records, "explain": True},
                        headers={"Authorization": f"Bearer {tokens['dee']}"})
    assert r.status_code == 200, r.text
    body = r.json()
    model = registry.load_model(settings, v)
    expected = model.predict_frame(rows)
    for got, (_, want) in zip(body["predictions"], expected.iterrows()):
        assert got["prediction"] == want["prediction"]
        assert abs(got["probabilities"]["yes"] - want["probability_yes"]) < 1e-9
        assert got["contributions"]


def test_the_ensemble_is_named_to_the_analyst_and_on_the_model_card(ensemble_world):
    from automl_canvas.registry.model_card import build_model_card, render_markdown
    from automl_canvas.registry.plain_language import product_decisions_in_words

    settings, engine, users, _, v, _ = ensemble_world
    members = v.recipe["hyperparameters"]["members"]
    said = product_decisions_in_words(v)
    assert f"The model combines {len(members)} models" in " ".join(said)
    with session_scope(engine) as s:
        card = build_model_card(s, settings, users["sam"], v.id)
    built = card["how_it_was_built"]
    assert built["kind"] == "ensemble" and [m["learner"] for m in built["members"]] == [m["learner"] for m in members]
    assert built["delivered_model_fit_on"] == "all labelled rows"
    text = render_markdown(card)
    assert "A weighted ensemble: " in text and "fresh cross-validation folds" in text


def test_the_dashboard_shows_how_the_ensemble_was_chosen(ensemble_world):
    from pathlib import Path

    from tests.apps.scientist.conftest import texts
    from tests.helpers import app_environment, open_app_test

    settings, _, users, _, v, _ = ensemble_world
    app = Path(__file__).resolve().parents[2] / "apps" / "scientist" / "app.py"
    env = {"AUTOML_CANVAS_HOME": str(settings.home), "AUTOML_CANVAS_DATABASE_URL": settings.database_url}
    with app_environment(env):
        at = open_app_test(app, users["sam"].id, "pages/review.py", review_version_id=v.id, hood_tab="Overview")
    assert not at.exception, at.exception
    shown = texts(at)
    fresh = v.recipe["fresh_folds"]
    assert "How the model was chosen" in shown and f"{fresh['mean_difference']:+.4f}" in shown
    tables = [d.value for d in at.dataframe]
    contenders = next(t for t in tables if "contender" in t.columns)
    assert contenders.loc[contenders["delivered"], "contender"].tolist() == ["weighted ensemble"]
    members = next(t for t in tables if "member" in t.columns)
    assert members["member"].tolist() == [m["learner"] for m in v.recipe["hyperparameters"]["members"]]
    # the forest's raw score is its recorded Platt line, shown as such; the others' are their own
    recorded = v.recipe["hyperparameters"]["members"]
    lines = [f"{m['platt'][0]:+.3f} {m['platt'][1]:+.3f} × probability" if m.get("platt") else "its own" for m in recorded]
    assert members["raw score"].tolist() == lines and "Platt line" in shown
