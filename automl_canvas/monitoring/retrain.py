"""Close the loop: retrain a deployed version on its original data plus the outcomes that came back.

One action (from an alert, or whenever enough outcomes are in) builds a new
dataset, the original rows plus every logged prediction that has both its
inputs and its true outcome, and queues a training job with the deployed
version's own recipe (target, problem type, metric, budget, excluded and
sensitive columns).  When the job has trained the new version it measures the
deployed version on the *same* new holdout rows, so the reviewer compares like
with like, and shares the new version to the review queue: it is approved (or
not) like any other.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ..audit import append
from ..auth.resources import version_for
from ..config import Settings
from ..datasets.service import get_dataset, ingest_file, load_frame
from ..db import session_scope
from ..errors import ValidationError
from ..models import AuditEvent, ModelVersion, ModelVersionPublic, PredictionLog
from ..registry.service import load_model
from ..review.service import share
from ..serialization import json_safe
from ..services.training import submit_training
from ..training.metrics import score
from ..training.rebuild_request import request_from_version
from ..training.trainer import prepare_rows
from .feedback import monitored_version

__all__ = ["compare_with_deployed", "enter_review", "feedback_frame", "retrain_from_feedback"]


def feedback_frame(session: Session, version: ModelVersion, original: pd.DataFrame) -> pd.DataFrame:
    """Logged inputs with their true outcome as the target column, typed like the original target."""
    t = PredictionLog.__table__
    rows = session.connection().execute(
        sa.select(t.c.inputs, t.c.actual)
        .where(t.c.version_id == version.id, t.c.actual.is_not(None), t.c.inputs.is_not(None)).order_by(t.c.id)).all()
    rows = [(i, a) for i, a in rows if i is not None and a is not None]  # JSON null reads back as None
    if not rows:
        return pd.DataFrame(columns=original.columns)
    frame = pd.DataFrame.from_records([i for i, _ in rows])
    target = original[version.target]
    if version.task == "regression":
        labels = pd.Series([float(a) for _, a in rows])
    else:
        by_text = {str(v): v for v in target.dropna().unique()}
        labels = pd.Series([by_text.get(str(a), a) for _, a in rows], dtype=target.dtype if by_text else object)
    frame[version.target] = labels.to_numpy()
    for col in frame.columns.intersection(original.columns).drop(version.target, errors="ignore"):
        frame[col] = _like(frame[col], original[col])
    return frame.reindex(columns=original.columns)


def _like(values: pd.Series, original: pd.Series) -> pd.Series:
    """Logged JSON values (numbers, text, ISO dates) in the original column's kind, so the two stack into one table."""
    if isinstance(original.dtype, pd.DatetimeTZDtype):
        return pd.to_datetime(values, errors="coerce", utc=True, format="mixed").dt.tz_convert(original.dtype.tz)
    if pd.api.types.is_datetime64_dtype(original.dtype):
        return pd.to_datetime(values, errors="coerce", format="mixed")
    if pd.api.types.is_bool_dtype(original.dtype):
        return values.astype(object)
    if pd.api.types.is_numeric_dtype(original.dtype):
        return pd.to_numeric(values, errors="coerce")
    return values.astype(object).where(values.notna(), None)


def _alert(session: Session, version_id: int, alert_event_id: int | None) -> dict[str, Any] | None:
    if alert_event_id is None:
        return None
    event = session.exec(select(AuditEvent).where(AuditEvent.seq == alert_event_id)).first()
    if event is None or event.action != "monitoring.alert" or event.subject_id != version_id:
        raise ValidationError(f"Event {alert_event_id} is not a monitoring alert of version {version_id}.")
    return {"id": event.seq, "kind": event.payload.get("kind"), "message": event.payload.get("message")}


def retrain_from_feedback(engine: Engine, settings: Settings, actor, version_id: int,
                          alert_event_id: int | None = None) -> dict[str, Any]:
    """Queue the retraining job; returns {job, dataset_id, feedback_rows, original_rows}."""
    with session_scope(engine) as s:
        version_for(s, actor, "monitoring.retrain", version_id)  # editors and owners of its project
        version = monitored_version(s, version_id)
        alert = _alert(s, version_id, alert_event_id)
        public = ModelVersionPublic.model_validate(version)
        dataset = get_dataset(s, actor, version.dataset_id)
        original = load_frame(settings, dataset)
        extra = feedback_frame(s, version, original)
    if extra.empty:
        raise ValidationError(f"Version {version_id} has no true outcomes with logged inputs yet, so there is nothing new "
                              "to learn from. Send outcomes first (POST /api/v1/model-versions/{id}/feedback).")
    combined = pd.concat([original, extra], ignore_index=True)
    tmp = settings.artifact_dir / "tmp" / f"retrain-v{version_id}-{os.getpid()}-{len(combined)}.parquet"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    stem = Path(dataset.name).stem[:150]
    try:
        combined.to_parquet(tmp, index=False)
        new_dataset = ingest_file(engine, settings, actor, version.project_id, tmp,
                                  filename=f"{stem} + outcomes of v{public.version}.parquet")
    finally:
        tmp.unlink(missing_ok=True)
    retrain = {"version_id": version_id, "alert": alert, "feedback_rows": len(extra), "original_rows": len(original),
               "original_dataset_id": dataset.id}
    job = submit_training(engine, settings, actor, new_dataset.id, request_from_version(public),
                          extra_payload={"retrain": retrain})
    with session_scope(engine) as s:
        append(s, actor, "monitoring.retrain_requested", "model_version", version_id,
               {**retrain, "job_id": job.id, "dataset_id": new_dataset.id})
    return {"job": job, "dataset_id": new_dataset.id, "feedback_rows": len(extra), "original_rows": len(original)}


def _score(model, task: str, metric: str, X: pd.DataFrame, y_labels: pd.Series) -> float | None:
    """The metric of ``model`` on rows with known labels, encoded by the model's own classes."""
    preds = model.predict_frame(X)
    try:
        if task == "regression":
            return score(task, metric, y_labels.to_numpy(dtype=float), None, preds["prediction"].to_numpy(dtype=float))
        index = {str(c): i for i, c in enumerate(model.classes)}
        keep = y_labels.map(lambda v: str(v) in index).to_numpy()
        y = np.array([index[str(v)] for v in y_labels[keep]])
        pred = np.array([index[str(v)] for v in preds["prediction"][keep]])
        proba = preds.loc[keep, [f"probability_{c}" for c in model.classes]].to_numpy(dtype=float)
        return score(task, metric, y, proba, pred)
    except (ValueError, KeyError):
        return None


def compare_with_deployed(settings: Settings, parent: ModelVersionPublic, new_model, df: pd.DataFrame, spec,
                          holdout_fraction: float, validation_fraction: float) -> dict[str, Any]:
    """Both models on the new version's holdout rows (rows neither was selected on)."""
    rows = prepare_rows(df, spec.task, spec.target, spec.seed, holdout_fraction, validation_fraction)
    X = rows.X_raw.iloc[rows.holdout_idx]
    y = X[spec.target]
    old = _score(load_model(settings, parent), spec.task, spec.metric.name, X, y)
    new = _score(new_model, spec.task, spec.metric.name, X, y)
    better = None
    if old is not None and new is not None:
        better = bool(new > old) if spec.metric.higher_is_better else bool(new < old)
    return {"metric": spec.metric.name, "holdout_rows": len(X), "new_version": new, "deployed_version": old,
            "deployed_version_id": parent.id, "deployed_version_recorded_holdout": parent.holdout_score,
            "new_is_better": better}


def enter_review(session: Session, settings: Settings, actor, version_id: int, retrain: dict[str, Any],
                 comparison: dict[str, Any]) -> ModelVersionPublic:
    """Mark the new version as a retrain of the deployed one and share it to the review queue."""
    row = session.get(ModelVersion, version_id)
    parent = session.get(ModelVersion, retrain["version_id"])
    row.origin, row.parent_version_id = "retrain", parent.id
    # Kept with the recipe: what the version was trained on (and why) is part of reproducing it.
    row.recipe = json_safe({**(row.recipe or {}), "retrain": {**retrain, "comparison": comparison}})
    new, old = comparison.get("new_version"), comparison.get("deployed_version")
    verdict = ("" if new is None or old is None else
               f" On the same {comparison['holdout_rows']:,} holdout rows its {comparison['metric']} is {new:.4f} against "
               f"{old:.4f} for the deployed version {parent.version}.")
    row.notes = [*row.notes, {"severity": "info", "message": (
        f"Retrained from deployed version {parent.version} on the original rows plus {retrain['feedback_rows']:,} "
        f"logged predictions with true outcomes.{verdict}")}]
    session.add(row)
    session.flush()
    why = f" after alert #{retrain['alert']['id']} ({retrain['alert']['message']})" if retrain.get("alert") else ""
    return share(session, settings, actor, version_id,
                 f"Retrained from deployed version {parent.version}{why}, with {retrain['feedback_rows']:,} new labelled rows."
                 f"{verdict}")
