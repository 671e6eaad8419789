"""What every tab receives: who is looking, at which version, and the review record read once per run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from apps.common import World
from automl_canvas.evidence.service import load_document, load_explanation
from automl_canvas.models import EvidencePublic, ModelVersionPublic, UserPublic

__all__ = ["ReviewCtx", "cached_document", "cached_explanation"]


@dataclass
class ReviewCtx:
    world: World
    user: UserPublic
    version: ModelVersionPublic
    review: dict[str, Any]
    evidence: dict[str, EvidencePublic]

    @property
    def vid(self) -> int:
        return self.version.id


def _key(evidence: EvidencePublic) -> tuple:
    return (evidence.id, tuple(sorted((k, v.get("sha256")) for k, v in evidence.files.items())))


@st.cache_resource(max_entries=16, show_spinner=False, hash_funcs={EvidencePublic: _key})
def _explanation(_world: World, store: str, evidence: EvidencePublic):
    return load_explanation(_world.settings, evidence)


@st.cache_resource(max_entries=64, show_spinner=False, hash_funcs={EvidencePublic: _key})
def _document(_world: World, store: str, evidence: EvidencePublic, name: str):
    return load_document(_world.settings, evidence, name)


def cached_explanation(world: World, evidence: EvidencePublic):
    """Stored evidence is immutable per row and digests: read (and verify) it once per artifact store."""
    return _explanation(world, str(world.settings.artifact_dir), evidence)


def cached_document(world: World, evidence: EvidencePublic, name: str):
    return _document(world, str(world.settings.artifact_dir), evidence, name)
