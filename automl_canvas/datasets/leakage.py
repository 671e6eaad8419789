"""The leakage probe: which columns give the answer away for one target, computed once and stored.

Why a module of its own: the probe fits small models (one depth-5 tree per
column, out of fold), so it is the one expensive part of a target check.  It
used to run inside :func:`profile_frame` every time a target was checked and
again, in full, every time a version was shared.  Now it runs once per
(dataset, target): :func:`ensure_probe` stores its result in the dataset's
profile JSON under ``leakage_probes[target]`` (no migration: the profile is
already a JSON column), and the target check on the Data page, the training
request check and the review read that record.

The probe itself is ``leak_probe.py``.  What it flags: a column that on its own predicts the target almost perfectly
(balanced accuracy >= 0.97, or R² >= 0.95, out of fold), and, for a number
target, pairs of columns that add up exactly to it.  Each suspect comes with a
plain reason ("predicts `churned` almost perfectly on its own: it is probably
only known after the fact") that the training plan reuses when it leaves the
column out.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..db import session_scope
from ..errors import TrainingConfigError
from ..models import Dataset
from .leak_probe import PROBE_VERSION, ProbeResult, run_probe
from .profiling import analyse_columns, target_checks
from .service import load_frame

__all__ = ["PROBES_KEY", "PROBE_VERSION", "ensure_probe", "leak_reasons", "probe_target", "save_probe", "stored_probe"]

#: Where the per-target probe records live inside a dataset's profile JSON.
PROBES_KEY = "leakage_probes"


def probe_target(df: pd.DataFrame, target: str, *, max_classes: int = 100, seed: int = 0) -> dict[str, Any]:
    """The stored record for ``target``: task, class balance, target findings, suspects and their reasons."""
    if target not in df.columns:
        raise TrainingConfigError(f"The target column '{target}' is not in the dataset; pick one of its columns.",
                                  details={"target": target})
    cols = analyse_columns(df, target, seed)
    task, balance, findings = target_checks(df, target, max_classes)
    probe = ProbeResult()
    if not any(f.code in ("single_class", "too_many_classes") for f in findings):
        probe = run_probe(df, target, task, cols, seed)
    return {"probe_version": PROBE_VERSION, "target": target, "task": task, "seed": seed, "n_rows": len(df),
            "class_balance": balance, "findings": [f.to_dict() for f in findings + probe.findings],
            "suspects": list(probe.suspects), "reasons": dict(probe.reasons)}


# --------------------------------------------------------------------------- stored once per (dataset, target)
def stored_probe(profile: dict[str, Any] | None, target: str) -> dict[str, Any] | None:
    """The record stored for ``target`` by the current rules, or None (never computed, or by older rules)."""
    record = ((profile or {}).get(PROBES_KEY) or {}).get(target)
    return record if isinstance(record, dict) and record.get("probe_version") == PROBE_VERSION else None


def leak_reasons(profile: dict[str, Any] | None, target: str) -> dict[str, str] | None:
    """Suspect column -> plain reason for ``target``; None when no probe was run for it.

    Reads the stored record, or, for a profile made by ``profile_frame(df, target)`` (feasibility,
    scripts), the suspects it lists itself.
    """
    record = stored_probe(profile, target)
    if record is not None:
        return {c: record["reasons"].get(c, f"gives `{target}` away") for c in record["suspects"]}
    if profile and profile.get("target") == target and "leakage_suspects" in profile:
        return {c: f"predicts `{target}` almost perfectly on its own: it is probably only known after the fact"
                for c in profile["leakage_suspects"]}
    return None


def save_probe(session, dataset_id: int, record: dict[str, Any]) -> dict[str, Any]:
    """Write ``record`` into the dataset row's profile (a new dict, so the JSON column is seen as changed)."""
    row = session.get(Dataset, dataset_id)
    profile = dict(row.profile or {})
    probes = dict(profile.get(PROBES_KEY) or {})
    probes[record["target"]] = record
    profile[PROBES_KEY] = probes
    row.profile = profile
    session.add(row)
    return profile


def ensure_probe(engine, settings, dataset, target: str) -> dict[str, Any]:
    """The stored record for ``target``, computing and storing it first when it is missing.

    ``dataset`` (a ``DatasetPublic``) is updated in place too, so a caller that goes on to read
    ``dataset.profile`` sees the record without reading the row again.
    """
    record = stored_probe(dataset.profile, target)
    if record is not None:
        return record
    record = probe_target(load_frame(settings, dataset), target, max_classes=settings.max_classes)
    with session_scope(engine) as s:
        profile = save_probe(s, dataset.id, record)
    dataset.profile = {**(dataset.profile or {}), PROBES_KEY: profile[PROBES_KEY]}
    return record
