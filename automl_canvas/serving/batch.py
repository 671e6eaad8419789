"""Batch predictions for an uploaded file: check its columns against the model first, then score it.

A missing column is refused before any work, naming every one; extra columns
are not an error (they are passed through) but the caller gets a sentence to show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from ..auth.policy import require
from ..config import Settings
from ..datasets.parsing import read_table
from ..db import session_scope
from ..errors import ValidationError
from ..registry.plain_language import batch_columns_report
from ..registry.service import get_version, load_model
from .service import score_and_log

__all__ = ["BatchResult", "predict_upload"]


@dataclass
class BatchResult:
    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)


def predict_upload(engine: Engine, settings: Settings, actor, version_id: int, path: Path, filename: str | None = None) -> BatchResult:
    require(actor, "model.predict")
    with session_scope(engine) as s:
        version = get_version(s, actor, version_id)
    rows = read_table(Path(path), filename or Path(path).name, max_bytes=settings.max_upload_bytes,
                      max_columns=settings.max_columns, min_rows=1)
    report = batch_columns_report(version, [str(c) for c in rows.columns])
    if not report["ok"]:
        raise ValidationError(report["sentences"][0], details={"missing_columns": report["missing"]})
    scored = score_and_log(engine, settings, version, load_model(settings, version), rows)
    return BatchResult(scored, report["sentences"], report["extra"])
