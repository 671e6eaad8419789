"""Every model artifact carries its environment; loading it elsewhere names each library that differs.

A real model version is written (a fitted scikit-learn model saved through the
store, a version row pointing at it); a different running environment is
faked by editing the stored environment record, as a model written by another
release would look, never by patching the product's code.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import warnings
from importlib import metadata

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from automl_canvas.datasets.service import ingest_file
from automl_canvas.db import session_scope
from automl_canvas.environment import ARTIFACT_LIBRARIES, EnvironmentMismatchWarning, compare_versions, library_versions
from automl_canvas.errors import IntegrityError
from automl_canvas.models import ModelVersion
from automl_canvas.registry import service as registry
from automl_canvas.registry.artifacts import (
    artifact_environment,
    environment_key,
    load_verified_model,
    load_verified_model_and_environment,
    save_model,
)
from automl_canvas.storage import LocalStore, get_store
from automl_canvas.storage.migrate import expected_digests, migrate
from automl_canvas.training.trainer import library_versions as recipe_libraries


@pytest.fixture
def version(tmp_path, settings, engine, analyst, project):
    """A model version as training leaves it: a dataset, a fitted model in the store, the row that points at it."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=60), "y": np.arange(60) % 2})
    csv = tmp_path / "tiny.csv"
    frame.to_csv(csv, index=False)
    dataset = ingest_file(engine, settings, analyst, project.id, csv)
    model = LogisticRegression().fit(frame[["x"]], frame["y"])
    digest, rel, size = save_model(settings, model)
    with session_scope(engine) as s:
        row = ModelVersion(project_id=project.id, dataset_id=dataset.id, version=1, created_by_id=analyst.id, task="binary",
                           target="y", metric="roc_auc", best_learner="lrl2", holdout_score=0.5, baseline_score=0.5,
                           default_model_score=0.5, artifact_sha256=digest, artifact_path=rel, artifact_size=size,
                           recipe={"libraries": recipe_libraries()}, operating_point={"threshold": 0.5})
        s.add(row)
        s.flush()
        version_id = row.id
    with session_scope(engine) as s:
        return registry.get_version(s, analyst, version_id)


def _spec_path(settings, version):
    return settings.artifact_dir / environment_key(version.artifact_path)


def _edit_spec(settings, version, **versions) -> None:
    """Rewrite the stored record as a model from another environment would have it (objects are read-only)."""
    path = _spec_path(settings, version)
    spec = json.loads(path.read_text())
    spec["versions"].update(versions)
    os.chmod(path, 0o644)
    path.write_text(json.dumps(spec))


def _load(settings, version):
    """The loader every door uses (each test has its own artifact directory, so nothing comes from its cache)."""
    return registry.load_model(settings, version)


def test_every_artifact_is_stored_with_the_versions_it_needs(settings, version):
    spec = json.loads(_spec_path(settings, version).read_text())
    assert spec["format"] == 1 and spec["artifact_sha256"] == version.artifact_sha256
    assert spec["versions"]["python"] == platform.python_version()
    for dist in ("numpy", "pandas", "scikit-learn", "lightgbm", "xgboost", "catboost", "flaml", "pyarrow", "automl-canvas"):
        assert spec["versions"][dist] == metadata.version(dist), dist
    # the training recipe records the same list: one place says what a model needs
    assert set(ARTIFACT_LIBRARIES) <= set(spec["versions"]) and version.recipe["libraries"] == spec["versions"]


def test_no_warning_when_the_environment_is_the_one_it_was_stored_in(settings, version):
    with warnings.catch_warnings():
        warnings.simplefilter("error", EnvironmentMismatchWarning)
        model = _load(settings, version)
    assert model.predict(pd.DataFrame({"x": [0.1, 2.0]})).shape == (2,)
    check = artifact_environment(settings, version.artifact_path, version.artifact_sha256)
    assert check.matches and check.differences == () and check.message() is None
    assert check.to_dict()["status"] == "same"


def test_a_different_running_environment_is_named_library_by_library(settings, version, caplog):
    running_sklearn, running_pandas = metadata.version("scikit-learn"), metadata.version("pandas")
    _edit_spec(settings, version, **{"scikit-learn": "1.6.0", "pandas": "2.2.3"})
    with caplog.at_level(logging.WARNING, logger="automl_canvas.registry.artifacts"), \
            pytest.warns(EnvironmentMismatchWarning) as caught:
        model = _load(settings, version)
    assert model.predict(pd.DataFrame({"x": [0.3]})).shape == (1,)  # it still loads: the warning says what may differ
    (warning,) = [w for w in caught if w.category is EnvironmentMismatchWarning]
    text = str(warning.message)
    assert f"scikit-learn 1.6.0 when stored, {running_sklearn} here" in text
    assert f"pandas 2.2.3 when stored, {running_pandas} here" in text
    assert version.artifact_sha256[:12] in text and "numpy" not in text  # only what differs
    assert text in caplog.text

    check = artifact_environment(settings, version.artifact_path, version.artifact_sha256)
    assert check.status == "different" and not check.matches
    assert [d.to_dict() for d in check.differences] == [
        {"library": "pandas", "stored": "2.2.3", "running": running_pandas},
        {"library": "scikit-learn", "stored": "1.6.0", "running": running_sklearn},
    ]
    assert check.to_dict()["message"] == text


def test_a_library_missing_here_and_another_python_are_differences_too(settings, version):
    _edit_spec(settings, version, python="3.10.4", **{"tabpfn-client": "0.1.0"})
    with pytest.warns(EnvironmentMismatchWarning, match=r"python 3\.10\.4 when stored, .* here.*tabpfn-client 0\.1\.0 when stored, "
                                                        r"not installed here"):
        _, check = load_verified_model_and_environment(settings, version.artifact_path, version.artifact_sha256)
    assert {d.library: d.running for d in check.differences} == {"python": platform.python_version(), "tabpfn-client": None}


def test_an_artifact_from_before_environment_records_loads_without_a_warning(settings, version):
    path = _spec_path(settings, version)
    os.chmod(path, 0o644)
    path.unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error", EnvironmentMismatchWarning)
        _load(settings, version)
    check = artifact_environment(settings, version.artifact_path, version.artifact_sha256)
    assert check.status == "not_recorded" and check.stored is None and "without an environment record" in check.message()


@pytest.mark.parametrize("damage", ["not json", "other artifact", "unknown format"])
def test_a_damaged_environment_record_is_reported_not_trusted(settings, version, damage):
    path = _spec_path(settings, version)
    spec = json.loads(path.read_text())
    text = {"not json": "{versions: ", "other artifact": json.dumps({**spec, "artifact_sha256": "0" * 64}),
            "unknown format": json.dumps({**spec, "format": 99})}[damage]
    os.chmod(path, 0o644)
    path.write_text(text)
    with pytest.warns(EnvironmentMismatchWarning, match="environment record that cannot be read"):
        load_verified_model(settings, version.artifact_path, version.artifact_sha256)
    assert artifact_environment(settings, version.artifact_path, version.artifact_sha256).status == "unreadable"


def test_an_unpickling_failure_under_a_version_gap_names_the_gap(settings, version):
    """Bytes whose unpickling fails (as a pickle from another scikit-learn can) while the record shows a gap."""
    _edit_spec(settings, version, **{"scikit-learn": "1.6.0"})
    broken = b"not a pickle at all"
    digest = hashlib.sha256(broken).hexdigest()
    rel = f"models/{digest[:2]}/{digest}.joblib"
    get_store(settings).put_bytes(rel, broken)
    get_store(settings).put_bytes(environment_key(rel), _spec_path(settings, version).read_bytes().replace(
        version.artifact_sha256.encode(), digest.encode()))
    with pytest.warns(EnvironmentMismatchWarning), pytest.raises(IntegrityError, match=r"scikit-learn 1\.6\.0 when stored.*"
                                                                                     r"Loading it here failed") as err:
        load_verified_model(settings, rel, digest)
    assert err.value.details["reason"] == "environment_mismatch"
    assert err.value.details["differences"][0]["library"] == "scikit-learn"


def test_the_record_travels_with_a_store_migration(tmp_path, settings, engine, version):
    """Its key names the model's digest, not its own: the migration checks it against its own bytes."""
    dest = LocalStore(tmp_path / "elsewhere")
    report = migrate(get_store(settings), dest, expected_digests(engine))
    key = environment_key(version.artifact_path)
    assert key in report.copied and version.artifact_path in report.copied
    assert dest.get_bytes(key) == get_store(settings).get_bytes(key)
    assert not migrate(get_store(settings), dest, expected_digests(engine)).copied  # idempotent


def test_compare_versions_only_counts_what_was_recorded():
    running = library_versions()
    assert compare_versions({"numpy": running["numpy"]}, running) == ()
    assert [d.sentence() for d in compare_versions({"numpy": "1.0.0"}, {"numpy": "2.0.0", "catboost": "1.2"})] == [
        "numpy 1.0.0 when stored, 2.0.0 here"]
