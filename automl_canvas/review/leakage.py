"""Which columns a version uses that the leakage check flags for its target.

Computed when a version is shared (the profile stored at upload has no target,
so it cannot know), kept on the version, and read by the approval policy.
"""

from __future__ import annotations

from ..config import Settings
from ..datasets.profiling import profile_frame
from ..datasets.service import load_frame

__all__ = ["leakage_suspects_for"]


def leakage_suspects_for(settings: Settings, dataset, version) -> list[str]:
    df = load_frame(settings, dataset)
    profile = profile_frame(df, version.target, max_classes=settings.max_classes, seed=int(version.recipe.get("seed", 0)))
    used = set(version.feature_schema.get("input_columns") or [])
    return [c for c in profile.leakage_suspects if c in used]
