"""Valid records for a version, taken from the sample data (real rows, not made up)."""

from __future__ import annotations

import pandas as pd

from tests.conftest import SAMPLE_DATA


def records_for(client, world, version_id: int, n: int = 2) -> list[dict]:
    schema = client.get(f"/api/v1/model-versions/{version_id}", headers=world.headers("sam")).json()["feature_schema"]
    rows = pd.read_csv(SAMPLE_DATA / "churn.csv", nrows=n)
    cols = schema["input_columns"]
    return [{c: (None if pd.isna(r[c]) else (r[c].item() if hasattr(r[c], "item") else r[c])) for c in cols}
            for _, r in rows.iterrows()]
