"""True outcomes for logged predictions, and prediction records pushed by tooling that serves a model itself.

Both need a version that has been deployed (a deployment record exists): monitoring follows
what runs in production.  Feedback names predictions by the request id the prediction
answer carried (and the record's position in it, 0 for a single record).  It is checked
whole before anything is written: a label of the wrong type fails the request, naming each
bad row; request ids that match no logged prediction are reported back, not fatal; the
same outcome sent twice changes nothing, a different one corrects the stored outcome.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from ..audit import append
from ..auth.resources import version_for
from ..config import Settings
from ..datasets.parsing import read_table
from ..db import utcnow
from ..errors import InvalidTransitionError, NotFoundError, ValidationError
from ..models import Deployment, ModelVersion, PredictionLog
from ..registry.records import validate_records
from .log import check_request_id, write_rows

__all__ = ["feedback_from_file", "monitored_version", "push_predictions", "record_feedback"]

_CHUNK = 500


def monitored_version(session: Session, version_id: int) -> ModelVersion:
    """The version, if it exists and has been deployed at least once."""
    version = session.get(ModelVersion, version_id)
    if version is None:
        raise NotFoundError(f"Model version {version_id} does not exist.")
    deployed = session.exec(select(Deployment.id).where(Deployment.version_id == version_id).limit(1)).first()
    if deployed is None:
        raise InvalidTransitionError(
            f"Version {version_id} was never deployed; monitoring, feedback and pushed predictions follow deployed "
            "versions. Record a deployment first (POST /api/v1/model-versions/{id}/deployments).",
            details={"version_id": version_id, "status": version.status})
    return version


def _classes(version: ModelVersion) -> list[str]:
    return [str(c) for c in (version.feature_schema or {}).get("classes") or []] if version.task != "regression" else []


def _label_problem(version: ModelVersion, classes: list[str], value: Any) -> str | None:
    if value is None:
        return "is required"
    if version.task == "regression":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return "must be a number (this model predicts a number)"
        return None
    if not isinstance(value, (str, int, float, bool)):
        return "must be one of the model's classes"
    if str(value) not in classes:
        return f"{str(value)[:40]!r} is not one of the model's classes: {', '.join(classes[:20])}"
    return None


def _key(item: dict[str, Any], i: int, errors: list[dict[str, Any]]) -> tuple[str, int] | None:
    try:
        rid = check_request_id(item.get("request_id"))
    except ValidationError as exc:
        errors.append({"row": i, "field": "request_id", "problem": exc.message})
        return None
    row = item.get("row", 0)
    if isinstance(row, bool) or not isinstance(row, int) or not 0 <= row < 10_000_000:
        errors.append({"row": i, "field": "row", "problem": "must be a whole number from 0 (the record's position in its request)"})
        return None
    return rid, row


def _keyed_items(version: ModelVersion, classes: list[str], items: list, label_field: str, shape: str):
    """([(position, item, (request_id, row) or None, label ok)] for the object items, errors named per item)."""
    errors: list[dict[str, Any]] = []
    checked = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append({"row": i, "field": None, "problem": f"must be an object with {shape}"})
            continue
        key = _key(item, i, errors)
        problem = _label_problem(version, classes, item.get(label_field))
        if problem:
            errors.append({"row": i, "field": label_field, "problem": problem})
        checked.append((i, item, key, problem is None))
    return checked, errors


def _raise(errors: list[dict[str, Any]], what: str) -> None:
    shown = "; ".join(f"item {e['row']}: '{e['field']}' {e['problem']}" for e in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    raise ValidationError(f"The {what} has problems; nothing was recorded: {shown}{more}.", details={"errors": errors[:200]})


def _check_items(items: Any, settings: Settings, what: str) -> list[dict[str, Any]]:
    if not isinstance(items, list) or not items:
        raise ValidationError(f"Send a non-empty list of {what} items.", details={"errors": [{"row": None, "field": what, "problem": "must be a non-empty list"}]})
    if len(items) > settings.feedback_max_rows:
        raise ValidationError(f"{len(items):,} {what} items were sent; one request takes at most {settings.feedback_max_rows:,}. Split it.")
    return items


def record_feedback(session: Session, settings: Settings, actor, version_id: int, items: Any) -> dict[str, Any]:
    """Store true outcomes: ``items`` are {request_id, row (default 0), actual}."""
    version_for(session, actor, "monitoring.feedback", version_id)
    version = monitored_version(session, version_id)
    items = _check_items(items, settings, "feedback")
    classes = _classes(version)
    checked, errors = _keyed_items(version, classes, items, "actual", "request_id, row and actual")
    wanted: dict[tuple[str, int], Any] = {}
    for _, item, key, label_ok in checked:
        if label_ok and key is not None:
            actual = item["actual"]
            wanted[key] = str(actual) if classes else float(actual)
    if errors:
        _raise(errors, "feedback")
    found: dict[tuple[str, int], tuple[int, Any]] = {}
    ids = sorted({k[0] for k in wanted})
    for start in range(0, len(ids), _CHUNK):
        rows = session.exec(select(PredictionLog.id, PredictionLog.request_id, PredictionLog.row, PredictionLog.actual)
                            .where(PredictionLog.version_id == version_id,
                                   PredictionLog.request_id.in_(ids[start:start + _CHUNK]))).all()
        for pid, rid, row, actual in rows:
            found[(rid, row)] = (pid, actual)
    now = utcnow()
    updates, recorded, corrected, unchanged, unknown = [], 0, 0, 0, []
    for key, actual in wanted.items():
        if key not in found:
            unknown.append({"request_id": key[0], "row": key[1]})
            continue
        pid, old = found[key]
        if old == actual:
            unchanged += 1
            continue
        recorded, corrected = (recorded + 1, corrected) if old is None else (recorded, corrected + 1)
        updates.append({"pid": pid, "actual": actual, "actual_at": now})
    if updates:
        table = PredictionLog.__table__
        session.connection().execute(
            sa.update(table).where(table.c.id == sa.bindparam("pid")).values(actual=sa.bindparam("actual"),
                                                                              actual_at=sa.bindparam("actual_at")),
            updates)
    summary = {"received": len(items), "recorded": recorded, "corrected": corrected, "unchanged": unchanged,
               "unknown": len(unknown)}
    if recorded or corrected:
        append(session, actor, "monitoring.feedback", "model_version", version_id, summary)
    message = (f"{recorded:,} outcome(s) recorded, {corrected:,} corrected, {unchanged:,} already known"
               + (f"; {len(unknown):,} request id(s) match no logged prediction of version {version_id}" if unknown else "")
               + ".")
    return {**summary, "unknown_keys": unknown[:100], "message": message}


def feedback_from_file(session: Session, settings: Settings, actor, version_id: int, path: Path,
                       filename: str | None = None) -> dict[str, Any]:
    """Feedback as a CSV/Excel/Parquet file: columns request_id, actual (or the model's target name), optional row."""
    version_for(session, actor, "monitoring.feedback", version_id)
    version = monitored_version(session, version_id)
    frame = read_table(Path(path), filename or Path(path).name, max_bytes=settings.max_upload_bytes,
                       max_columns=settings.max_columns, min_rows=1)
    columns = {str(c).strip().lower(): c for c in frame.columns}
    outcome = columns.get("actual") or columns.get(str(version.target).strip().lower())
    if "request_id" not in columns or outcome is None:
        raise ValidationError(f"A feedback file needs the columns 'request_id' and 'actual' (or '{version.target}'), "
                              f"and may have 'row'; it has: {', '.join(map(str, frame.columns[:20]))}.")
    items = []
    for rec in frame.to_dict(orient="records"):
        actual = rec[outcome]
        actual = None if actual is None or (isinstance(actual, float) and math.isnan(actual)) else actual
        if hasattr(actual, "item"):
            actual = actual.item()
        rid = rec[columns["request_id"]]
        row = rec[columns["row"]] if "row" in columns else 0
        items.append({"request_id": None if pd.isna(rid) else str(rid),
                      "row": int(row) if isinstance(row, (int, float)) and not pd.isna(row) and float(row).is_integer() else row,
                      "actual": actual})
    return record_feedback(session, settings, actor, version_id, items)


def push_predictions(session: Session, settings: Settings, actor, version_id: int, items: Any) -> dict[str, Any]:
    """Prediction records served elsewhere: {request_id, row, inputs, prediction, probabilities?} each."""
    version_for(session, actor, "monitoring.push", version_id)
    version = monitored_version(session, version_id)
    items = _check_items(items, settings, "predictions")
    classes = _classes(version)
    checked, errors = _keyed_items(version, classes, items, "prediction", "request_id, inputs and prediction")
    keys, records = [], []
    for i, item, key, _ in checked:
        keys.append(key)
        probs = item.get("probabilities")
        if probs is not None and (not isinstance(probs, dict) or set(map(str, probs)) != set(classes)
                                  or not all(isinstance(p, (int, float)) and 0 <= p <= 1 for p in probs.values())):
            errors.append({"row": i, "field": "probabilities",
                           "problem": f"must map each class ({', '.join(classes[:10])}) to a probability from 0 to 1"})
        records.append(item.get("inputs"))
    if errors:
        errors.sort(key=lambda e: e["row"])  # each item's problems together, in item order
        _raise(errors, "predictions")
    try:
        frame = validate_records(version.feature_schema, records, settings.feedback_max_rows)
    except ValidationError as exc:
        raise ValidationError(f"The pushed inputs do not match the model's fields; nothing was recorded. {exc.message}",
                              details=exc.details) from None
    now = utcnow()
    clean_inputs = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    rows = []
    for (rid, row), item, rec in zip(keys, items, clean_inputs):
        probs = item.get("probabilities")
        pred = item["prediction"]
        rows.append({"version_id": version_id, "request_id": rid, "row": row, "source": "external", "inputs": rec,
                     "prediction": str(pred) if classes else float(pred),
                     "probabilities": [float(probs[c]) for c in classes] if probs else None, "logged_at": now})
    write_rows(session.connection(), rows)
    return {"received": len(rows), "message": f"{len(rows):,} prediction record(s) logged for version {version_id} "
                                              "(a request id and row already logged are kept as they were)."}
