"""An analyst's cut-off, end to end: train -> choose "catch at least 60 in 100" -> review -> API and batch.

One real training job (FLAML, tiny budget) on an imbalanced table made here, shared by the tests.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from automl_canvas.datasets.service import ingest_file
from automl_canvas.db import init_db, make_engine, session_scope
from automl_canvas.errors import InvalidTransitionError, NotFoundError, PermissionDeniedError
from automl_canvas.evidence.service import list_evidence
from automl_canvas.models import ProjectCreate
from automl_canvas.projects import add_member, create_project
from automl_canvas.registry import service as registry
from automl_canvas.registry.grade import grade_version
from automl_canvas.registry.operating_point import set_operating_point
from automl_canvas.review import approve, claim, share
from automl_canvas.services.training import submit_training
from automl_canvas.training.spec import TrainingRequest
from tests.conftest import make_settings
from tests.helpers import job, run_queued_jobs, users_with_tokens

pytestmark = pytest.mark.slow


def attrition_table(n: int = 2000, seed: int = 3) -> pd.DataFrame:
    """About 16 % leavers, driven by overtime, pay and tenure (a learnable, imbalanced target)."""
    rng = np.random.default_rng(seed)
    overtime = rng.choice(["Yes", "No"], n, p=[0.3, 0.7])
    income = rng.lognormal(8.5, 0.4, n).round(0)
    years = rng.integers(0, 30, n)
    dept = rng.choice(["Sales", "R&D", "HR"], n)
    logit = -2.6 + 1.6 * (overtime == "Yes") - 0.9 * (np.log(income) - 8.5) / 0.4 - 0.06 * years + rng.normal(0, 0.6, n)
    left = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "Yes", "No")
    return pd.DataFrame({"overtime": overtime, "monthly_income": income, "years_at_company": years,
                         "department": dept, "left": left})


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("opoint")
    path = root / "attrition.csv"
    attrition_table().to_csv(path, index=False)
    settings = make_settings(root / "home", None, shap_max_rows=100, fairness_bootstrap=10)
    engine = make_engine(settings)
    init_db(engine)
    with session_scope(engine) as s:
        users, tokens = users_with_tokens(s, settings, {"ana": ("analyst",), "sam": ("scientist",), "dee": ("deployer",),
                                                        "olga": ("analyst",)}, "op tests")
        project = create_project(s, users["ana"], ProjectCreate(name="Attrition", question="Who will leave?"))
    ds = ingest_file(engine, settings, users["ana"], project.id, path)
    queued = submit_training(engine, settings, users["ana"], ds.id, TrainingRequest(target="left", budget=3, seed=5))
    run_queued_jobs(settings, engine)  # training, then its evidence job
    done = job(engine, queued.id)
    assert done.status == "succeeded", done.error
    yield {"settings": settings, "engine": engine, "users": users, "tokens": tokens, "vid": done.result["version_id"],
           "rows": attrition_table(300, seed=11).drop(columns=["left"])}
    engine.dispose()


def _version(w):
    with session_scope(w["engine"]) as s:
        return registry.get_version(s, w["users"]["ana"], w["vid"])


def test_a_new_binary_version_decides_at_the_balanced_cut_off(world):
    v = _version(world)
    p = v.operating_point
    assert p["mode"] == "balance" and p["chosen_on"] == "out-of-fold predictions"
    assert p["positive_class"] == "Yes" and 0 < p["threshold"] < 0.5  # imbalanced: below the implicit 0.5
    # the evidence job's confusion matrix (train-only refit at the stored cut-off) is the operating point's
    with session_scope(world["engine"]) as s:
        perf = next(e for e in list_evidence(s, world["users"]["ana"], v.id) if e.kind == "performance")
    from automl_canvas.evidence.store import load_json

    detail = load_json(world["settings"], perf.files["detail"])
    (tn, fp), (fn, tp) = detail["confusion_matrix"]["matrix"]
    h = p["holdout"]
    assert (tn, fp, fn, tp) == (h["tn"], h["fp"], h["fn"], h["tp"])
    assert v.metrics["model"]["accuracy"] == pytest.approx(h["accuracy"])


def test_another_analyst_cannot_change_the_cut_off(world):
    with session_scope(world["engine"]) as s, pytest.raises(NotFoundError):  # not in the project: no such version
        set_operating_point(s, world["users"]["olga"], world["vid"], "recall", 60)
    with session_scope(world["engine"]) as s:
        add_member(s, world["users"]["ana"], _version(world).project_id, "olga", "viewer")
    with session_scope(world["engine"]) as s, pytest.raises(PermissionDeniedError, match="olga is a viewer"):
        set_operating_point(s, world["users"]["olga"], world["vid"], "recall", 60)


def test_the_cli_shows_previews_and_sets_the_cut_off(world):
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    cli = shutil.which("automl-canvas", path=str(Path(sys.executable).parent)) or "automl-canvas"
    env = {**os.environ, "AUTOML_CANVAS_HOME": str(world["settings"].home)}

    def run(*args):
        proc = subprocess.run([cli, "--user", "ana", "cutoff", str(world["vid"]), *args], env=env, capture_output=True,
                              text=True, timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    assert run().startswith("Balance the two kinds of mistakes")
    assert run("--mode", "top_share", "--value", "20", "--preview").startswith("Flag the riskiest 20 % of rows")
    assert _version(world).operating_point["mode"] == "balance"
    assert run("--mode", "top_share", "--value", "20").startswith("Flag the riskiest 20 %")
    assert _version(world).operating_point["mode"] == "top_share"


def test_catch_60_in_100_then_review_then_api_and_batch_use_the_stored_cut_off(world):
    users, engine, settings = world["users"], world["engine"], world["settings"]
    with session_scope(engine) as s:
        v = set_operating_point(s, users["ana"], world["vid"], "recall", 60)
    h = v.operating_point["holdout"]
    n_pos = h["tp"] + h["fn"]
    se = (0.6 * 0.4 / n_pos) ** 0.5
    assert abs(h["recall"] - 0.60) <= 2 * se, (h, se)
    assert v.metrics["model"]["accuracy"] == pytest.approx(h["accuracy"])
    assert grade_version(v).grade in {"Excellent", "Good", "Fair", "Poor"}
    cut = v.operating_point["threshold"]

    with session_scope(engine) as s:
        share(s, settings, users["ana"], v.id, "please review")
        claim(s, users["sam"], v.id)
        approve(s, settings, users["sam"], v.id, "ok", override_justification="test world")
    with session_scope(engine) as s, pytest.raises(InvalidTransitionError, match="part of what is reviewed"):
        set_operating_point(s, users["ana"], v.id, "recall", 80)

    from apps.api import create_app

    rows = world["rows"]
    with TestClient(create_app(settings, engine=engine), raise_server_exceptions=False) as client:
        auth = {"Authorization": f"Bearer {world['tokens']['dee']}"}
        r = client.post(f"/api/v1/model-versions/{v.id}/predict", headers=auth,
                        json={"records": rows.to_dict(orient="records")})
        assert r.status_code == 200, r.text
        api = pd.DataFrame([{"prediction": p["prediction"], "p_yes": p["probabilities"]["Yes"]} for p in r.json()["predictions"]])
        b = client.post(f"/api/v1/model-versions/{v.id}/predict/batch", headers=auth,
                        files={"file": ("rows.csv", rows.to_csv(index=False).encode(), "text/csv")})
        assert b.status_code == 200, b.text
        batch = pd.read_csv(io.BytesIO(b.content))
    for frame, p_yes in ((api, api["p_yes"]), (batch, batch["probability_Yes"])):
        assert (frame["prediction"] == np.where(p_yes >= cut, "Yes", "No")).all()
    assert (api["prediction"].to_numpy() == batch["prediction"].to_numpy()).all()
    # the cut-off matters here: some rows are 'Yes' only because of it
    assert ((batch["probability_Yes"] >= cut) & (batch["probability_Yes"] < 0.5)).any()


def test_the_api_previews_a_choice_and_refuses_a_change_after_approval(world):
    from apps.api import create_app

    with TestClient(create_app(world["settings"], engine=world["engine"]), raise_server_exceptions=False) as client:
        auth = {"Authorization": f"Bearer {world['tokens']['ana']}"}
        url = f"/api/v1/model-versions/{world['vid']}/operating-point"
        r = client.post(f"{url}/preview", headers=auth, json={"mode": "top_share", "value": 10})
        assert r.status_code == 200, r.text
        assert "curve" not in r.json() and abs(r.json()["selection"]["flagged_share"] - 0.10) < 0.03
        bad = client.post(f"{url}/preview", headers=auth, json={"mode": "cost"})
        assert bad.status_code == 422 and "business inputs" in bad.json()["error"]["message"]
        late = client.put(url, headers=auth, json={"mode": "recall", "value": 80})  # approved by the test above
        assert late.status_code == 409, late.text
        assert "part of what is reviewed" in late.json()["error"]["message"]
