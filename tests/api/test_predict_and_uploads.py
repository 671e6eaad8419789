"""Predictions (validation naming each bad field, probabilities with a confidence label, SHAP),
batch files, streamed dataset uploads with the size limit, and training jobs through the API."""

from __future__ import annotations

import io

import pandas as pd
from fastapi.testclient import TestClient

from tests.api.records import records_for
from tests.conftest import SAMPLE_DATA


def test_predict_returns_predictions_probabilities_and_a_confidence_label(client, world):
    recs = records_for(client, world, world.approved_id, 3)
    r = client.post(f"/api/v1/model-versions/{world.approved_id}/predict", json={"records": recs}, headers=world.headers("dee"))
    assert r.status_code == 200, r.text
    preds = r.json()["predictions"]
    cut = r.json()["decision_threshold"]  # the version's stored operating point
    assert len(preds) == 3
    for p in preds:
        assert p["prediction"] == ("Yes" if p["probabilities"]["Yes"] >= cut else "No")
        assert abs(sum(p["probabilities"].values()) - 1) < 1e-6
        assert p["confidence"] == p["probabilities"][p["prediction"]]  # the chance of what it says
        assert p["confidence_label"] in ("Very confident", "Confident", "Leaning", "Unsure")


def test_predict_with_shap_contributions(client, world):
    recs = records_for(client, world, world.approved_id, 1)
    r = client.post(f"/api/v1/model-versions/{world.approved_id}/predict", json={"records": recs, "explain": True},
                    headers=world.headers("ana"))
    assert r.status_code == 200, r.text
    contributions = r.json()["predictions"][0]["contributions"]
    assert contributions and contributions[0]["contributions"]


def test_one_explained_record_is_scored_by_the_hot_path_and_answers_as_the_frame_path(client, world):
    """explain=true with one record: the fast scorer scores it and only the contributions are computed in a
    thread (the row is not scored twice); two records take the frame path.  Both answer the same for it."""
    rec = records_for(client, world, world.approved_id, 1)[0]
    url, headers = f"/api/v1/model-versions/{world.approved_id}/predict", world.headers("dee")
    serving = client.app.state.canvas.serving
    client.post(url, json={"records": [rec], "explain": True}, headers=headers)  # fills the caches
    fast = serving.stats()["fast"]
    hot = client.post(url, json={"records": [rec], "explain": True}, headers=headers)
    assert hot.status_code == 200, hot.text
    assert serving.stats()["fast"] == fast + 1
    frame = client.post(url, json={"records": [rec, rec], "explain": True}, headers=headers)
    assert frame.status_code == 200, frame.text
    one, two = hot.json()["predictions"][0], frame.json()["predictions"][0]
    assert one["contributions"] and one == two
    assert hot.json()["decision_threshold"] == frame.json()["decision_threshold"]


def test_predict_422_names_each_bad_field(client, world):
    good = records_for(client, world, world.approved_id, 2)
    numeric = next(k for k, v in good[0].items() if isinstance(v, (int, float)) and not isinstance(v, bool))
    dropped = next(iter(good[0]))
    bad0 = {**good[0], numeric: "lots", "favourite_colour": "blue"}
    bad1 = {k: v for k, v in good[1].items() if k != dropped}
    r = client.post(f"/api/v1/model-versions/{world.approved_id}/predict", json={"records": [bad0, bad1]},
                    headers=world.headers("dee"))
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "invalid_input"
    problems = {(e["row"], e["field"]) for e in err["details"]["errors"]}
    assert {(0, numeric), (0, "favourite_colour"), (1, dropped)} <= problems
    assert {numeric, "favourite_colour", dropped} <= set(err["details"]["fields"])
    for name in (numeric, "favourite_colour", dropped):
        assert name in err["message"]
    empty = client.post(f"/api/v1/model-versions/{world.approved_id}/predict", json={"records": []}, headers=world.headers("dee"))
    assert empty.status_code == 422


def test_batch_scoring_csv_and_parquet(client, world):
    rows = pd.read_csv(SAMPLE_DATA / "churn.csv", nrows=50)
    r = client.post(f"/api/v1/model-versions/{world.approved_id}/predict/batch", headers=world.headers("dee"),
                    files={"file": ("rows.csv", rows.to_csv(index=False).encode(), "text/csv")})
    assert r.status_code == 200, r.text
    out = pd.read_csv(io.BytesIO(r.content))
    assert len(out) == 50 and "prediction" in out.columns and "confidence" in out.columns
    buf = io.BytesIO()
    rows.to_parquet(buf, index=False)
    r = client.post(f"/api/v1/model-versions/{world.approved_id}/predict/batch", headers=world.headers("dee"),
                    files={"file": ("rows.parquet", buf.getvalue(), "application/octet-stream")})
    assert r.status_code == 200 and len(pd.read_parquet(io.BytesIO(r.content))) == 50
    missing = client.post(f"/api/v1/model-versions/{world.approved_id}/predict/batch", headers=world.headers("dee"),
                          files={"file": ("rows.csv", b"customer_id\nC-1\n", "text/csv")})
    assert missing.status_code == 422 and missing.json()["error"]["details"]["missing_columns"]


def test_dataset_upload_streams_and_dedups(client, world):
    data = (SAMPLE_DATA / "loans.csv").read_bytes()
    r = client.post(f"/api/v1/projects/{world.project_id}/datasets", headers=world.headers("ana"),
                    files={"file": ("loans.csv", data, "text/csv")})
    assert r.status_code == 201, r.text
    again = client.post(f"/api/v1/projects/{world.project_id}/datasets", headers=world.headers("ana"),
                        files={"file": ("loans.csv", data, "text/csv")})
    assert again.json()["id"] == r.json()["id"] and r.json()["n_rows"] == 2000
    assert not list((world.settings.artifact_dir / "uploads").iterdir())  # the streamed copy is removed
    no_file = client.post(f"/api/v1/projects/{world.project_id}/datasets", headers=world.headers("ana"), data={"x": "1"})
    assert no_file.status_code == 422


def test_upload_over_the_limit_is_413(world):
    from apps.api import create_app

    small = world.settings.model_copy(update={"max_upload_bytes": 10_000})
    with TestClient(create_app(small, engine=world.engine), raise_server_exceptions=False) as c:
        r = c.post(f"/api/v1/projects/{world.project_id}/datasets", headers=world.headers("ana"),
                   files={"file": ("big.csv", b"a,b\n" + b"1,2\n" * 10_000, "text/csv")})
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"
    assert not list((world.settings.artifact_dir / "uploads").iterdir())


def test_training_job_create_progress_cancel(client, world):
    h = world.headers("ana")
    bad = client.post(f"/api/v1/datasets/{world.dataset_id}/training-jobs", json={"target": "nope"}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_training_config"
    r = client.post(f"/api/v1/datasets/{world.dataset_id}/training-jobs", json={"target": "churned", "budget": 2}, headers=h)
    assert r.status_code == 202 and r.json()["status"] == "queued"
    job_id = r.json()["id"]
    progress = client.get(f"/api/v1/jobs/{job_id}", headers=h)
    assert progress.status_code == 200 and progress.json()["progress"]["stage"] == "queued"
    cancelled = client.post(f"/api/v1/jobs/{job_id}/cancel", headers=h)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client.post(f"/api/v1/jobs/{job_id}/cancel", headers=h).status_code == 409
