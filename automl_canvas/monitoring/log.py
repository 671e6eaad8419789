"""The prediction log: every record a released version scores, with its output and (a sample of) its inputs.

Serving must not wait for the database, so the API hands its rows to a
:class:`PredictionLogWriter`, which writes them in batches from a background
thread every ``monitoring_log_flush_seconds``.  The buffer is bounded: when
the database cannot keep up, new rows are dropped and counted rather than
slowing or failing predictions (the count is in ``/health``).  Batch scoring
and pushed records are written at once, inside their own request or job.

A row's key is (version, request id, position in the request); a key written
twice is stored once, so a client retrying a request does not double-count.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from ..config import Settings
from ..db import utcnow
from ..errors import ValidationError
from ..jobs.periodic import Periodic
from ..models import PredictionLog
from ..registry.release import RELEASED_STATES
from ..serialization import json_safe

__all__ = ["PredictionLogWriter", "check_request_id", "frame_rows", "is_logged", "new_request_id", "prediction_rows",
           "write_rows"]

log = logging.getLogger(__name__)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/-]{1,100}$")


def new_request_id() -> str:
    return uuid.uuid4().hex


def check_request_id(value: Any, field: str = "request_id") -> str:
    """A caller's key for a prediction: 1-100 letters, digits or . _ : @ / -."""
    if not isinstance(value, str) or not _REQUEST_ID.match(value):
        raise ValidationError(f"'{field}' must be 1-100 letters, digits or . _ : @ / - (got {str(value)[:40]!r}).",
                              details={"field": field})
    return value


def is_logged(status: str) -> bool:
    """Only released versions' predictions are production traffic; a scientist testing a draft is not."""
    return status in RELEASED_STATES


def _keep(sample_rate: float) -> bool:
    return sample_rate >= 1.0 or random.random() < sample_rate


def prediction_rows(version_id: int, request_id: str, inputs: Sequence[dict[str, Any]], outputs: Sequence[dict[str, Any]],
                    classes: Sequence[str], source: str, sample_rate: float, first_row: int = 0) -> list[dict[str, Any]]:
    """Log rows for scored records; ``outputs`` items hold ``prediction`` and, for classification, ``probabilities``
    (class -> probability).  Inputs are kept for a ``sample_rate`` share of the records."""
    now = utcnow()
    rows = []
    for k, (rec, out) in enumerate(zip(inputs, outputs)):
        probs = out.get("probabilities")
        rows.append({
            "version_id": version_id, "request_id": request_id, "row": first_row + k, "source": source,
            "inputs": json_safe(rec) if _keep(sample_rate) else None,
            "prediction": json_safe(out.get("prediction")),
            "probabilities": [float(probs[c]) for c in classes] if probs and classes else None,
            "logged_at": now,
        })
    return rows


def frame_rows(version_id: int, request_id: str, inputs: pd.DataFrame, preds: pd.DataFrame, source: str,
               sample_rate: float) -> list[dict[str, Any]]:
    """Log rows for a scored file: ``preds`` is the model's ``predict_frame`` output for ``inputs``."""
    now = utcnow()
    records = json.loads(inputs.to_json(orient="records", date_format="iso"))
    prob_cols = [c for c in preds.columns if str(c).startswith("probability_")]
    probs = preds[prob_cols].to_numpy(dtype=float).tolist() if prob_cols else [None] * len(preds)
    predictions = json_safe(preds["prediction"].tolist())
    return [{"version_id": version_id, "request_id": request_id, "row": k, "source": source,
             "inputs": rec if _keep(sample_rate) else None, "prediction": pred, "probabilities": p, "logged_at": now}
            for k, (rec, pred, p) in enumerate(zip(records, predictions, probs))]


def _insert(conn: Connection):
    table = PredictionLog.__table__
    dialect = conn.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(constraint="uq_prediction_log_key")
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=["version_id", "request_id", "row"])
    return sa.insert(table)


def write_rows(conn: Connection, rows: Iterable[dict[str, Any]], chunk: int = 2000) -> None:
    """Insert log rows (a key already stored is skipped) on the caller's connection/transaction."""
    rows = list(rows)
    for i in range(0, len(rows), chunk):
        conn.execute(_insert(conn), rows[i:i + chunk])


class PredictionLogWriter:
    """Buffers log rows and writes them in batches from one background thread (started on first use)."""

    def __init__(self, engine: Engine, settings: Settings):
        self.engine, self.settings = engine, settings
        self._rows: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._flusher = Periodic("canvas-prediction-log", settings.monitoring_log_flush_seconds, self.flush)
        self.dropped = 0
        self.written = 0

    def submit(self, rows: list[dict[str, Any]]) -> bool:
        """Queue rows for writing; False (and counted as dropped) when the buffer is full."""
        with self._lock:
            if len(self._rows) + len(rows) > self.settings.monitoring_log_buffer_rows:
                self.dropped += len(rows)
                return False
            self._rows.extend(rows)
            if not self._flusher.started:
                self._flusher.start()
        return True

    def pending(self) -> int:
        with self._lock:
            return len(self._rows)

    def flush(self) -> int:
        """Write everything buffered now (feedback calls this first, so it sees this process's predictions)."""
        with self._write_lock:
            with self._lock:
                rows, self._rows = self._rows, []
            if not rows:
                return 0
            try:
                with self.engine.begin() as conn:
                    write_rows(conn, rows)
            except sa.exc.DBAPIError as exc:
                with self._lock:  # keep them for the next round, within the bound
                    room = max(0, self.settings.monitoring_log_buffer_rows - len(self._rows))
                    self.dropped += max(0, len(rows) - room)
                    self._rows[:0] = rows[:room]
                log.warning("prediction log: could not write %d rows (%s); will retry", len(rows),
                            str(exc).splitlines()[0][:200])
                return 0
            self.written += len(rows)
            return len(rows)

    def close(self) -> None:
        self._flusher.close()
        self.flush()

    def stats(self) -> dict[str, int]:
        return {"pending": self.pending(), "written": self.written, "dropped": self.dropped}
