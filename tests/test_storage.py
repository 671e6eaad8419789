"""The object store (issue 21): local layout unchanged, S3 backend against a real S3 API server.

The S3 server is moto's standalone server, started here on 127.0.0.1 and a free
port and spoken to over HTTP with boto3, exactly as a MinIO or AWS endpoint
would be (``AWS_ENDPOINT_URL``).  Nothing of ours is mocked; the "API machine"
and the "worker" are two Settings with different homes that share only the
database URL and the store URL, so any file read through a shared disk would fail.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import boto3
import pandas as pd
import pytest
from click.testing import CliRunner

from automl_canvas.auth.users import ensure_user
from automl_canvas.config import get_settings
from automl_canvas.datasets.service import ingest_file, load_frame
from automl_canvas.db import init_db, make_engine, session_scope
from automl_canvas.errors import IntegrityError
from automl_canvas.models import Dataset, ProjectCreate
from automl_canvas.projects import create_project
from automl_canvas.registry.artifacts import artifact_path, read_verified_bytes, save_bytes
from automl_canvas.storage import LocalStore, get_store, sha256_bytes
from automl_canvas.storage.migrate import expected_digests, migrate

from .api.server import free_port
from .conftest import SAMPLE_DATA, make_settings

BUCKET = "canvas-test"
_AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def s3_endpoint():
    """A real S3 API (moto server) on loopback; boto3 finds it the standard way, through AWS_ENDPOINT_URL."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    saved = {k: os.environ.get(k) for k in [*_AWS_ENV, "AWS_ENDPOINT_URL", "AWS_PROFILE"]}
    os.environ.update(_AWS_ENV, AWS_ENDPOINT_URL=endpoint)
    os.environ.pop("AWS_PROFILE", None)
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture
def s3_url(s3_endpoint) -> str:
    return f"s3://{BUCKET}/t-{uuid.uuid4().hex[:10]}"


def _world(tmp_path: Path, store_url: str | None, **overrides):
    """Settings on their own home, a shared SQLite database in tmp_path, an analyst and a project."""
    db = f"sqlite:///{tmp_path / 'shared.db'}"
    settings = make_settings(tmp_path / f"home-{uuid.uuid4().hex[:6]}", db, store_url=store_url, **overrides)
    engine = make_engine(settings)
    init_db(engine)
    with session_scope(engine) as s:
        user = ensure_user(s, "ana", ("analyst", "scientist"), "Ana")
        project = create_project(s, user, ProjectCreate(name="Houses", question="What will it sell for?"))
    return settings, engine, user, project


def _raw_s3(url: str):
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    return boto3.client("s3"), bucket, prefix


def test_local_store_keeps_the_existing_layout(settings):
    digest, rel, size = save_bytes(settings, b"model bytes", "models", "joblib")
    assert rel == f"models/{digest[:2]}/{digest}.joblib" and size == 11
    path = settings.artifact_dir / rel
    assert path.read_bytes() == b"model bytes" and artifact_path(settings, rel) == path
    assert oct(path.stat().st_mode & 0o777) == "0o444"
    assert list(get_store(settings).list_keys()) == [rel]  # tmp/, uploads/ are not objects
    os.chmod(path, 0o644)
    path.write_bytes(b"model bytez")
    with pytest.raises(IntegrityError, match="does not match its recorded digest") as err:
        read_verified_bytes(settings, rel, digest, "model artifact")
    assert err.value.code == "integrity_error" and str(settings.artifact_dir) not in err.value.message
    path.unlink()
    with pytest.raises(IntegrityError, match="missing from the object store"):
        read_verified_bytes(settings, rel, digest, "model artifact")


def test_s3_objects_are_verified_and_corruption_is_refused(tmp_path, s3_url):
    settings = make_settings(tmp_path / "home", None, store_url=s3_url)
    digest, rel, _ = save_bytes(settings, b"x" * 500, "evidence", "json")
    assert not (settings.artifact_dir / rel).exists()  # nothing on local disk but the cache
    client, bucket, prefix = _raw_s3(s3_url)
    head = client.head_object(Bucket=bucket, Key=f"{prefix}/{rel}")
    assert head["Metadata"]["sha256"] == digest
    assert read_verified_bytes(settings, rel, digest, "evidence file") == b"x" * 500

    # Someone rewrites the object (keeping its metadata); a reader with an empty cache refuses it.
    client.put_object(Bucket=bucket, Key=f"{prefix}/{rel}", Body=b"y" * 500, Metadata={"sha256": digest})
    other = make_settings(tmp_path / "other", None, store_url=s3_url)
    with pytest.raises(IntegrityError, match="does not match its recorded digest") as err:
        read_verified_bytes(other, rel, digest, "evidence file")
    assert err.value.code == "integrity_error"
    assert bucket not in err.value.message and prefix not in err.value.message and rel not in err.value.message
    assert get_store(other).cache.size() == 0  # the bad bytes were not cached
    with pytest.raises(IntegrityError, match="does not match"):
        artifact_path(other, rel)  # the download path of the API checks the object's own record too

    # A corrupted cached copy is dropped, not served.
    cached = get_store(settings).cache.get(digest)
    os.chmod(cached, 0o644)
    cached.write_bytes(b"z" * 500)
    with pytest.raises(IntegrityError):
        read_verified_bytes(settings, rel, digest, "evidence file")

    client.delete_object(Bucket=bucket, Key=f"{prefix}/{rel}")
    with pytest.raises(IntegrityError, match="missing from the object store"):
        read_verified_bytes(other, rel, digest, "evidence file")


def test_s3_read_cache_is_bounded_least_recently_used(tmp_path, s3_url):
    settings = make_settings(tmp_path / "home", None, store_url=s3_url, store_cache_max_bytes=2500)
    objs = {name: save_bytes(settings, name.encode() * 1000, "evidence", "json") for name in "abc"}
    store = get_store(settings)
    cache = store.cache

    def read(n):
        return read_verified_bytes(settings, objs[n][1], objs[n][0])

    read("a")
    read("b")
    os.utime(cache.get(objs["b"][0]), (1, 1))  # b is now the least recently used...
    read("a")
    read("c")  # ...so c's arrival evicts b
    assert cache.get(objs["b"][0]) is None
    assert cache.get(objs["a"][0]) is not None and cache.get(objs["c"][0]) is not None
    assert cache.size() <= 2500

    # A cached object is served without the server: repeated reads do not download again.
    client, bucket, prefix = _raw_s3(s3_url)
    client.delete_object(Bucket=bucket, Key=f"{prefix}/{objs['a'][1]}")
    assert read("a") == b"a" * 1000


@pytest.mark.slow
def test_train_on_s3_then_predict_from_a_worker_with_an_empty_artifact_dir(tmp_path, s3_url):
    from automl_canvas.registry import service as registry
    from automl_canvas.registry.release import open_artifact_for_download
    from automl_canvas.services.training import submit_training
    from automl_canvas.training.spec import TrainingRequest

    from .helpers import job, run_queued_jobs

    settings, engine, user, project = _world(tmp_path, s3_url, evidence_after_training=False)
    ds = ingest_file(engine, settings, user, project.id, SAMPLE_DATA / "house_prices.csv")
    queued = submit_training(engine, settings, user, ds.id, TrainingRequest(target="price", budget=2))
    run_queued_jobs(settings, engine)
    done = job(engine, queued.id)
    assert done.status == "succeeded", done.error
    assert list(LocalStore(settings.artifact_dir).list_keys()) == []  # everything went to the bucket
    in_bucket = set(get_store(settings).list_keys())
    assert ds.storage_path in in_bucket

    # The serving machine: its own empty home, the same database and store URL.
    api = make_settings(tmp_path / "api-home", settings.database_url, store_url=s3_url)
    assert list(LocalStore(api.artifact_dir).list_keys()) == []
    with session_scope(engine) as s:
        v = registry.get_version(s, user, done.result["version_id"])
    assert v.artifact_path in in_bucket
    rows = load_frame(api, ds).drop(columns=["price"]).head(5)
    out = registry.predict_frame(api, user, v, rows)
    assert len(out) == 5 and out.shape[1] > rows.shape[1]
    assert get_store(api).cache.size() > 0
    with session_scope(engine) as s:
        download = open_artifact_for_download(s, api, user, v.id)
    assert download.sha256 == v.artifact_sha256 and download.path.read_bytes()


def test_interrupted_migration_resumes_and_verifies(tmp_path, s3_url, monkeypatch):
    settings, engine, user, project = _world(tmp_path, None)
    ds = ingest_file(engine, settings, user, project.id, SAMPLE_DATA / "loans.csv")
    saved = [save_bytes(settings, f"object {i}".encode(), "evidence", "json") for i in range(4)]
    # A dataset from before issue 21, filed under the digest of the upload rather than of its Parquet copy.
    old = ingest_file(engine, settings, user, project.id, SAMPLE_DATA / "churn.csv")
    legacy = f"datasets/{old.sha256[:2]}/{old.sha256}.parquet"
    (settings.artifact_dir / legacy).parent.mkdir(parents=True, exist_ok=True)
    os.replace(settings.artifact_dir / old.storage_path, settings.artifact_dir / legacy)
    with session_scope(engine) as s:
        s.get(Dataset, old.id).storage_path = legacy
    old = old.model_copy(update={"storage_path": legacy})
    local = get_store(settings)
    keys = list(local.list_keys())
    assert len(keys) == 6

    def interrupt_after_two(key, copied):
        if copied and sum(1 for k in keys if get_store_dest.exists(k)) >= 2:
            raise KeyboardInterrupt

    from automl_canvas.storage import open_store

    get_store_dest = open_store(s3_url, settings)
    with pytest.raises(KeyboardInterrupt):
        migrate(local, get_store_dest, expected_digests(engine), interrupt_after_two)

    # Resume through the command line, as an operator would.
    home = settings.home
    monkeypatch.setenv("AUTOML_CANVAS_HOME", str(home))
    monkeypatch.setenv("AUTOML_CANVAS_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    from automl_canvas.cli import main

    result = CliRunner().invoke(main, ["store", "migrate", "--to", s3_url, "--quiet"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "6 objects: 4 copied and verified, 2 already there." in result.output
    again = migrate(local, get_store_dest, expected_digests(engine))
    assert len(again.skipped) == 6 and not again.copied  # idempotent

    # A machine with nothing local reads every object back from the bucket, verified.
    remote = make_settings(tmp_path / "remote", settings.database_url, store_url=s3_url)
    for digest, rel, _ in saved:
        assert read_verified_bytes(remote, rel, digest) == read_verified_bytes(settings, rel, digest)
    pd.testing.assert_frame_equal(load_frame(remote, ds), load_frame(settings, ds))
    assert sha256_bytes((settings.artifact_dir / ds.storage_path).read_bytes()) in ds.storage_path  # Parquet digest
    # The legacy dataset's copy is checked against the digest the migration recorded with it.
    pd.testing.assert_frame_equal(load_frame(remote, old), load_frame(settings, old))
    client, bucket, prefix = _raw_s3(s3_url)
    client.put_object(Bucket=bucket, Key=f"{prefix}/{legacy}", Body=b"not parquet",
                      Metadata=client.head_object(Bucket=bucket, Key=f"{prefix}/{legacy}")["Metadata"])
    with pytest.raises(IntegrityError, match="dataset .* does not match its recorded digest"):
        load_frame(make_settings(tmp_path / "third", settings.database_url, store_url=s3_url), old)


@pytest.mark.slow
def test_the_whole_flow_on_s3_with_no_shared_directory(tmp_path, s3_url):
    """Ingest and build on one machine, train and compute evidence on a worker, approve, then the API machine
    serves the artifact and predictions: three homes that share only the database URL and the store URL."""
    from fastapi.testclient import TestClient

    from apps.api import create_app
    from automl_canvas.review import approve, claim, share
    from automl_canvas.services.training import submit_training
    from automl_canvas.training.spec import TrainingRequest

    from .helpers import job, run_queued_jobs, users_with_tokens

    small = {"shap_max_rows": 100, "fairness_bootstrap": 10}
    builder, engine, _, project = _world(tmp_path, s3_url, **small)
    worker = make_settings(tmp_path / "worker-home", builder.database_url, store_url=s3_url, **small)
    api = make_settings(tmp_path / "api-home", builder.database_url, store_url=s3_url, **small)
    with session_scope(engine) as s:
        users, tokens = users_with_tokens(s, builder, {"ana2": ("analyst",), "sam": ("scientist",), "dee": ("deployer",)}, "s3")
        project = create_project(s, users["ana2"], ProjectCreate(name="Churn on S3", question="Who leaves?"))
    table = tmp_path / "churn.csv"
    pd.read_csv(SAMPLE_DATA / "churn.csv", nrows=600).to_csv(table, index=False)
    ds = ingest_file(engine, builder, users["ana2"], project.id, table)
    queued = submit_training(engine, builder, users["ana2"], ds.id, TrainingRequest(target="churned", budget=2, learners=["lgbm"]))
    run_queued_jobs(worker, engine)  # the training job, then the evidence job it queues, both on the worker
    done = job(engine, queued.id)
    assert done.status == "succeeded", done.error
    vid = done.result["version_id"]
    with session_scope(engine) as s:
        share(s, builder, users["ana2"], vid, "please review")
        claim(s, users["sam"], vid)
        approve(s, builder, users["sam"], vid, "ok", override_justification="storage test")

    with TestClient(create_app(api, engine=engine), raise_server_exceptions=False) as client:
        auth = {"Authorization": f"Bearer {tokens['dee']}"}
        art = client.get(f"/api/v1/model-versions/{vid}/artifact", headers=auth)
        assert art.status_code == 200, art.text
        version = client.get(f"/api/v1/model-versions/{vid}", headers=auth).json()
        assert sha256_bytes(art.content) == version["artifact_sha256"]
        records = pd.read_csv(table).drop(columns=["churned"]).head(3).astype(object)
        records = records.where(records.notna(), None).to_dict(orient="records")
        r = client.post(f"/api/v1/model-versions/{vid}/predict", headers=auth, json={"records": records})
        assert r.status_code == 200, r.text
        assert len(r.json()["predictions"]) == 3
        evidence = client.get(f"/api/v1/model-versions/{vid}/evidence", headers=auth)
        assert evidence.status_code == 200 and {e["kind"] for e in evidence.json()} >= {"performance", "explanations"}
    for home in (builder, worker, api):  # nothing was written to, or read from, a machine's own artifact folder
        assert list(LocalStore(home.artifact_dir).list_keys()) == []
