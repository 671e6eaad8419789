"""Which columns a version uses that the leakage probe flags for its target.

Read when a version is shared and kept on the version for the approval policy.
Why it reads instead of recomputing: the probe fits models, and it has already
run for this (dataset, target) when the version was trained (training stores it
in the dataset's profile, see :mod:`automl_canvas.datasets.leakage`).  Only a
dataset trained before the probe was stored (or by older probe rules) has none;
then it is computed here, and stored when a session is given.
"""

from __future__ import annotations

from ..config import Settings
from ..datasets.leakage import probe_target, save_probe, stored_probe
from ..datasets.service import load_frame

__all__ = ["leakage_suspects_for"]


def leakage_suspects_for(settings: Settings, dataset, version, session=None) -> list[str]:
    """Suspected leaks among the columns ``version`` uses (the stored probe; computed only if missing)."""
    record = stored_probe(dataset.profile, version.target)
    if record is None:
        record = probe_target(load_frame(settings, dataset), version.target, max_classes=settings.max_classes)
        if session is not None:
            save_probe(session, dataset.id, record)
    used = set(version.feature_schema.get("input_columns") or [])
    return [c for c in record["suspects"] if c in used]
