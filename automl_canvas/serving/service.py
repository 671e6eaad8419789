"""Predictions for deployment tooling and scripts: records in, predictions out.

Rules (auth/policy.py; the API door only translates): scientists may score any
version they can see (to test it); everyone else only an approved or deployed
one - analysts of their own projects, deployment tooling of any.  Input records are
checked against the version's feature schema first, and every bad field of
every row is named at once (row, field, problem), so a caller fixes them in one
go.  The model comes from the in-process cache in :func:`load_model` (verified
once per digest), so a request does no disk reads.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ..auth.policy import require
from ..auth.resources import Access, VersionRef
from ..config import Settings
from ..datasets.parsing import read_table
from ..db import session_scope
from ..errors import NotFoundError, ValidationError
from ..evidence.service import explain_version_row, explanation_background
from ..models import ModelVersion
from ..monitoring.log import check_request_id, frame_rows, is_logged, new_request_id, prediction_rows, write_rows
from ..registry.plain_language import confidence_label as plain_confidence_label
from ..registry.records import validate_records
from ..registry.service import attach_predictions, load_model
from ..serialization import json_safe

__all__ = ["add_contributions", "check_serving_access", "confidence_label", "predict_batch_file", "predict_records",
           "require_predict", "score_and_log", "serving_fields"]

_COLUMNS = (ModelVersion.id, ModelVersion.status, ModelVersion.task, ModelVersion.target, ModelVersion.artifact_path,
            ModelVersion.artifact_sha256, ModelVersion.feature_schema, ModelVersion.operating_point,
            # what the access rule needs (auth/policy.py)
            ModelVersion.project_id, ModelVersion.shared_by_id, ModelVersion.created_by_id, ModelVersion.parent_version_id)


def confidence_label(probability: float) -> str:
    """The plain label for the predicted outcome's probability: the same rule the analyst app shows
    (registry/plain_language.py: Very confident >= 0.90, Confident >= 0.75, Leaning >= 0.60, else Unsure)."""
    return plain_confidence_label("binary", probability)[0]


def _serving_version(session: Session, actor, version_id: int) -> SimpleNamespace:
    """The few fields scoring needs (not the whole leaderboard), after the access rule."""
    require_predict(actor)
    version = serving_fields(session, version_id)
    check_serving_access(actor, version, session)
    return version


def require_predict(actor) -> None:
    """The role rule ('model.predict_approved' in auth/policy.py), before anything is read."""
    require(actor, "model.predict_approved")


def serving_fields(session: Session, version_id: int) -> SimpleNamespace:
    """One query for the fields scoring needs (the hot path caches this per process)."""
    row = session.exec(select(*_COLUMNS).where(ModelVersion.id == version_id)).first()
    if row is None:
        raise NotFoundError(f"Model version {version_id} does not exist.")
    return SimpleNamespace(**{c.key: v for c, v in zip(_COLUMNS, row)})


def check_serving_access(actor, version, session: Session | None = None) -> None:
    """The serving rule ('model.predict_approved' in auth/policy.py): who may see the version (NotFound otherwise),
    then only approved or deployed versions serve, except to scientists testing one.

    Without ``session`` (the hot path's cached fields) a decision that needs the database - an analyst's project
    membership - raises :class:`~automl_canvas.auth.resources.NeedsLookup`; the caller asks again with one.
    """
    require(actor, "model.predict_approved", VersionRef(Access(session, actor) if session is not None else None, version))


def predict_records(session: Session, settings: Settings, actor, version_id: int, records: Any,
                    explain: bool = False, *, log=None, request_id: str | None = None) -> dict[str, Any]:
    """Predictions (and class probabilities with a confidence label; optionally SHAP contributions) per record.

    With ``log`` (a :class:`~automl_canvas.monitoring.log.PredictionLogWriter`), a released version's
    predictions are queued for the prediction log under ``request_id`` (a new one when not given), which
    the answer carries so the caller can send the true outcome later.
    """
    request_id = check_request_id(request_id) if request_id is not None else new_request_id()
    version = _serving_version(session, actor, version_id)
    frame = validate_records(version.feature_schema, records, settings.predict_max_rows)
    if explain and len(frame) > settings.predict_max_explained_rows:
        raise ValidationError(f"SHAP contributions are computed for at most {settings.predict_max_explained_rows} rows "
                              "per request; send fewer records or set explain to false.")
    model = load_model(settings, version)
    out = model.predict_frame(frame)
    classes = [str(c) for c in (version.feature_schema.get("classes") or [])] if version.task != "regression" else []
    prob_cols = [f"probability_{c}" for c in getattr(model, "classes", [])] if classes else []
    results = []
    for k, pred in enumerate(out["prediction"].tolist()):
        item: dict[str, Any] = {"prediction": pred}
        if classes and prob_cols:
            probs = {c: float(out[col].iat[k]) for c, col in zip(classes, prob_cols)}
            said = float(out["confidence"].iat[k])  # the chance of the outcome it says, at the stored cut-off
            item.update(probabilities=probs, confidence=said, confidence_label=confidence_label(said))
        results.append(item)
    logged = log is not None and is_logged(version.status)
    if logged:
        inputs = [{k: r[k] for k in frame.columns} for r in records]
        log.submit(prediction_rows(version_id, request_id, inputs, results, classes, "api",
                                   settings.monitoring_input_sample_rate))
    if explain:
        add_contributions(session, settings, actor, version, frame, results)
    answer = {"version_id": version_id, "task": version.task, "request_id": request_id, "logged": logged,
              "predictions": results}
    if getattr(model, "threshold", None) is not None:
        answer["decision_threshold"] = model.threshold  # binary: 'yes' when its probability is >= this
    return json_safe(answer)


def add_contributions(session: Session, settings: Settings, actor, version, frame: pd.DataFrame,
                      results: list[dict[str, Any]]) -> None:
    """Each scored record's SHAP contributions, added to its result (``explain=true``).

    One place for both the frame path and the hot path (which scores the record itself and only comes here,
    in a thread, for the contributions): the row is not scored a second time."""
    background = explanation_background(session, settings, actor, version.id)
    for item, rec in zip(results, frame.to_dict(orient="records")):
        item["contributions"] = explain_version_row(settings, version, background, rec, predict=False)["explanation"]


def predict_batch_file(engine: Engine, settings: Settings, actor, version_id: int, path: Path,
                       filename: str | None = None) -> pd.DataFrame:
    """Score an uploaded CSV/Excel/Parquet file: its rows with prediction columns appended."""
    with session_scope(engine) as s:
        version = _serving_version(s, actor, version_id)
    rows = read_table(Path(path), filename or Path(path).name, max_bytes=settings.max_upload_bytes,
                      max_columns=settings.max_columns, min_rows=1)
    return score_and_log(engine, settings, version, load_model(settings, version), rows)


def score_and_log(engine: Engine, settings: Settings, version, model, rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with prediction columns appended; a released version's predictions go to the prediction log
    (one request id for the whole file, its rows numbered in file order)."""
    preds = model.predict_frame(rows)
    if is_logged(version.status):
        inputs = rows[[c for c in model.input_columns if c in rows.columns]]
        with engine.begin() as conn:
            write_rows(conn, frame_rows(version.id, new_request_id(), inputs, preds, "batch",
                                        settings.monitoring_input_sample_rate))
    return attach_predictions(rows, preds)
