"""Evidence files in the artifact store: JSON documents and Parquet tables,
content-addressed, read back only when their digest matches the record."""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd

from ..config import Settings
from ..registry.artifacts import read_verified_bytes, save_bytes
from ..serialization import json_safe

__all__ = ["load_frame", "load_json", "save_frame", "save_json"]


def save_json(settings: Settings, obj: Any) -> dict[str, Any]:
    data = json.dumps(json_safe(obj), sort_keys=True, separators=(",", ":")).encode()
    digest, rel, size = save_bytes(settings, data, "evidence", "json")
    return {"path": rel, "sha256": digest, "size": size, "format": "json"}


def save_frame(settings: Settings, frame: pd.DataFrame) -> dict[str, Any]:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=True)
    digest, rel, size = save_bytes(settings, buf.getvalue(), "evidence", "parquet")
    return {"path": rel, "sha256": digest, "size": size, "format": "parquet"}


def load_json(settings: Settings, entry: dict[str, Any]) -> Any:
    return json.loads(read_verified_bytes(settings, entry["path"], entry["sha256"], "evidence file"))


def load_frame(settings: Settings, entry: dict[str, Any]) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(read_verified_bytes(settings, entry["path"], entry["sha256"], "evidence file")))
