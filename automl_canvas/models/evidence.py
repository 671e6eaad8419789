"""Evidence stored with a model version: performance detail, explanations, fairness.

The row holds a small summary (what a queue or a card shows) and the digests of
the files that hold the full data in the artifact store; files are read back
only when their digest matches, like model artifacts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ._types import created_at_field, json_field

__all__ = ["COMPUTED_EVIDENCE_KINDS", "EVIDENCE_KINDS", "Evidence", "EvidencePublic"]

#: performance: curves, confusion matrix, residuals; explanations: SHAP; fairness: group metrics;
#: reproducibility: a refit from the recipe compared with the recorded holdout metric (a reproduce job).
EVIDENCE_KINDS = ("performance", "explanations", "fairness", "reproducibility")
#: The kinds the evidence job computes (and replaces when it runs again).
COMPUTED_EVIDENCE_KINDS = ("performance", "explanations", "fairness")


class EvidenceBase(SQLModel):
    version_id: int = Field(foreign_key="model_versions.id", index=True)
    kind: str = Field(max_length=32)
    #: 0 = the version's own model; N = leaderboard candidate ranked N, refit from its config.
    candidate: int = 0
    job_id: int | None = Field(default=None, foreign_key="jobs.id")


class Evidence(EvidenceBase, table=True):
    __tablename__ = "evidence"
    __table_args__ = (sa.UniqueConstraint("version_id", "kind", "candidate", name="uq_evidence_version_kind_candidate"),)
    id: int | None = Field(default=None, primary_key=True)
    summary: dict[str, Any] = json_field()
    #: name -> {"path": relative artifact path, "sha256": digest, "size": bytes}
    files: dict[str, Any] = json_field()
    created_at: datetime = created_at_field()


class EvidencePublic(EvidenceBase):
    id: int
    summary: dict[str, Any]
    files: dict[str, Any]
    created_at: datetime
