"""One monitoring check of a deployed version: drift per feature, prediction drift, live quality, alerts.

A check compares the predictions logged in the last ``monitoring_window_days``
with a seeded sample of the version's training data (the reference), scored by
the same verified model, so prediction drift compares like with like.  Its
result is stored as a ``MonitoringCheck`` row (the history the dashboard charts)
with the thresholds it applied.  When a finding appears that the previous check
did not have (a newly drifted feature, prediction drift, a quality drop), the
check raises one ``monitoring.alert`` event: it reaches the event feed and every
webhook subscribed to it, once per episode rather than once per hour.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ..audit import append
from ..config import Settings
from ..datasets.service import load_frame
from ..db import session_scope, utcnow
from ..models import (
    Dataset,
    DatasetPublic,
    ModelVersion,
    ModelVersionPublic,
    MonitoringCheck,
    MonitoringCheckPublic,
    PredictionLog,
)
from ..registry.service import load_model
from .drift import DriftResult, categorical_drift, numeric_drift, to_numeric
from .quality import live_quality

__all__ = ["SYSTEM_ACTOR", "prune_log", "run_check", "thresholds_from"]

#: Who raises alerts of scheduled checks on the audit trail.
SYSTEM_ACTOR = SimpleNamespace(id=None, username="monitoring")


def thresholds_from(settings: Settings) -> dict[str, Any]:
    return {"psi": settings.monitoring_psi_threshold, "p_value": settings.monitoring_p_value,
            "quality_drop": settings.monitoring_quality_drop, "min_rows": settings.monitoring_min_rows,
            "min_labelled_rows": settings.monitoring_min_labelled_rows, "window_days": settings.monitoring_window_days}


def _reference(settings: Settings, session: Session, version: ModelVersion, model, columns: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    dataset = DatasetPublic.model_validate(session.get(Dataset, version.dataset_id))
    frame = load_frame(settings, dataset)
    frame = frame[frame[version.target].notna()] if version.target in frame.columns else frame
    seed = int((version.recipe or {}).get("seed") or settings.default_seed)
    if len(frame) > settings.monitoring_reference_rows:
        frame = frame.sample(n=settings.monitoring_reference_rows, random_state=seed)
    inputs = frame[[c for c in columns if c in frame.columns]].reset_index(drop=True)
    return inputs, model.predict_frame(inputs)


def _live(session: Session, version_id: int, since, cap: int) -> pd.DataFrame:
    t = PredictionLog.__table__
    rows = session.connection().execute(
        sa.select(t.c.inputs, t.c.prediction, t.c.probabilities, t.c.actual)
        .where(t.c.version_id == version_id, t.c.logged_at >= since)
        .order_by(t.c.logged_at.desc()).limit(cap)).all()
    return pd.DataFrame(rows, columns=["inputs", "prediction", "probabilities", "actual"])


def _feature_drift(settings: Settings, schema: dict[str, Any], columns: list[str], ref: pd.DataFrame,
                   live_inputs: pd.DataFrame) -> dict[str, dict[str, Any]]:
    kinds = schema.get("columns") or {}
    out = {}
    for name in columns:
        kind = (kinds.get(name) or {}).get("kind", "categorical")
        live = live_inputs[name] if name in live_inputs else pd.Series([None] * len(live_inputs))
        if kind in ("numeric", "datetime"):
            res = numeric_drift(to_numeric(ref[name], kind), to_numeric(live, kind))
        else:
            res = categorical_drift(ref[name], live)
        out[name] = res.judge(settings.monitoring_psi_threshold, settings.monitoring_p_value).to_dict()
    return out


def _prediction_drift(settings: Settings, task: str, classes: list[str], ref_preds: pd.DataFrame, live: pd.DataFrame) -> dict[str, Any]:
    res: DriftResult
    if task == "binary" and len(classes) == 2 and live["probabilities"].notna().all():
        ref_p = ref_preds[f"probability_{classes[1]}"].to_numpy(dtype=float)
        cur_p = np.array([p[1] for p in live["probabilities"]], dtype=float)
        res, what = numeric_drift(ref_p, cur_p), f"probability of '{classes[1]}'"
    elif task == "regression":
        res, what = numeric_drift(ref_preds["prediction"].to_numpy(dtype=float), to_numeric(live["prediction"])), "predicted value"
    else:
        res, what = categorical_drift(ref_preds["prediction"].map(str), live["prediction"].map(str)), "predicted class"
    return {"of": what, **res.judge(settings.monitoring_psi_threshold, settings.monitoring_p_value).to_dict()}


def _findings(features: dict, prediction: dict, quality: dict) -> list[dict[str, Any]]:
    found = []
    drifted = sorted((k for k, v in features.items() if v["drifted"]), key=lambda k: -features[k]["psi"])
    if drifted:
        found.append({"kind": "feature_drift", "features": drifted,
                      "message": f"{len(drifted)} input(s) no longer look like the training data: "
                                 + ", ".join(f"{k} (PSI {features[k]['psi']:.2f})" for k in drifted[:5]) + "."})
    if prediction.get("drifted"):
        found.append({"kind": "prediction_drift", "message": f"The {prediction['of']} has shifted (PSI {prediction['psi']:.2f})."})
    if quality.get("degraded"):
        found.append({"kind": "quality_drop", "live": quality["live"], "holdout": quality["holdout"],
                      "message": f"Live {quality['metric']} is {quality['live']:.3f} on {quality['n']:,} true outcomes, "
                                 f"against {quality['holdout']:.3f} on the holdout ({quality['worse_by_fraction']:.0%} worse)."})
    return found


def _new_findings(session: Session, version_id: int, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings the previous check did not already have (a feature newly drifted counts as new)."""
    prev = session.exec(select(MonitoringCheck.findings).where(MonitoringCheck.version_id == version_id)
                        .order_by(MonitoringCheck.id.desc()).limit(1)).first() or []
    before = {f["kind"]: f for f in prev}
    new = []
    for f in findings:
        old = before.get(f["kind"])
        if old is None or (f["kind"] == "feature_drift" and set(f["features"]) - set(old.get("features", []))):
            new.append(f)
    return new


def run_check(engine: Engine, settings: Settings, version_id: int, job_id: int | None = None, actor=None, *,
              write=None, on_stored=None) -> MonitoringCheckPublic:
    """Measure, store the check, raise alerts for new findings; returns the stored check.

    ``write`` opens the transaction the check and its alerts are written in (default: a plain one).  A
    monitor job passes its fenced ``JobContext.write`` and ``on_stored(session, check)`` (which finishes the
    job in that same transaction), so an attempt that lost its lease stores no second check and no alert.
    """
    now = utcnow()
    since = now - timedelta(days=settings.monitoring_window_days)
    with session_scope(engine) as s:
        version = s.get(ModelVersion, version_id)
        public = ModelVersionPublic.model_validate(version)
        schema = public.feature_schema or {}
        columns = list(schema.get("input_columns") or (schema.get("columns") or {}).keys())
        classes = [str(c) for c in schema.get("classes") or []] if public.task != "regression" else []
        live = _live(s, version_id, since, settings.monitoring_check_max_rows)
        model = load_model(settings, public)
        ref_inputs, ref_preds = _reference(settings, s, version, model, columns)
    with_inputs = live["inputs"].dropna() if len(live) else pd.Series([], dtype=object)
    labelled = live[live["actual"].notna()] if len(live) else live
    features: dict[str, Any] = {}
    prediction: dict[str, Any] = {}
    if len(with_inputs) >= settings.monitoring_min_rows:
        features = _feature_drift(settings, schema, columns, ref_inputs, pd.DataFrame.from_records(list(with_inputs)))
    if len(live) >= settings.monitoring_min_rows:
        prediction = _prediction_drift(settings, public.task, classes, ref_preds, live)
    quality: dict[str, Any] = {"metric": public.metric, "holdout": public.holdout_score, "n": len(labelled), "live": None,
                               "degraded": False, "note": f"Needs {settings.monitoring_min_labelled_rows} true outcomes."}
    if len(labelled) >= settings.monitoring_min_labelled_rows:
        quality = live_quality(public.task, public.metric, public.higher_is_better, (public.metrics or {}).get("model") or {},
                               classes, labelled["prediction"].tolist(), labelled["probabilities"].tolist(),
                               labelled["actual"].tolist(), settings.monitoring_quality_drop)
    findings = _findings(features, prediction, quality)
    judged = bool(features or prediction or quality.get("live") is not None)
    status = "attention" if findings else ("ok" if judged else "insufficient")
    with (write() if write is not None else session_scope(engine)) as s:
        new = _new_findings(s, version_id, findings)
        row = MonitoringCheck(version_id=version_id, job_id=job_id, status=status, window_start=since, window_end=now,
                              rows=len(live), rows_with_inputs=len(with_inputs), labelled_rows=len(labelled),
                              metric=quality.get("metric") or public.metric, holdout_metric=quality.get("holdout"),
                              live_metric=quality.get("live"), features=features, prediction_drift=prediction,
                              quality=quality, findings=findings, thresholds=thresholds_from(settings))
        s.add(row)
        s.flush()
        alerts = []
        for f in new:
            event = append(s, actor or SYSTEM_ACTOR, "monitoring.alert", "model_version", version_id,
                           {"version_id": version_id, "project_id": public.project_id, "version": public.version,
                            "check_id": row.id, **f})
            alerts.append(event.seq)
        row.alert_event_ids = alerts
        s.add(row)
        s.flush()
        stored = MonitoringCheckPublic.model_validate(row)
        if on_stored is not None:
            on_stored(s, stored)
        return stored


def prune_log(engine: Engine, settings: Settings, version_id: int) -> int:
    """Delete logged predictions past the retention period or beyond the per-version cap (oldest first)."""
    t = PredictionLog.__table__
    cutoff = utcnow() - timedelta(days=settings.monitoring_retention_days)
    with session_scope(engine) as s:
        conn = s.connection()
        n = conn.execute(sa.delete(t).where(t.c.version_id == version_id, t.c.logged_at < cutoff)).rowcount or 0
        keep_from = conn.execute(sa.select(t.c.id).where(t.c.version_id == version_id).order_by(t.c.id.desc())
                                 .offset(settings.monitoring_max_rows_per_version).limit(1)).scalar_one_or_none()
        if keep_from is not None:
            n += conn.execute(sa.delete(t).where(t.c.version_id == version_id, t.c.id <= keep_from)).rowcount or 0
        return n
