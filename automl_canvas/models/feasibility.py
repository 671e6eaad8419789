"""Business inputs of a project, and the feasibility assessments computed for it.

The inputs are one JSON document per project (validated by
:class:`automl_canvas.feasibility.inputs.BusinessInputs`): a manager fills them
in over time, and a missing one only means that part of the score is not given.
An assessment keeps the *measurements* (what the data and the quick AutoML run
showed) apart from the *scorecard* (how those numbers, the inputs and the
weights turn into a score), so changing an input re-scores without a new job.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from ._types import created_at_field, json_field

__all__ = ["BusinessInputsRow", "FeasibilityAssessment", "FeasibilityPublic"]


class BusinessInputsRow(SQLModel, table=True):
    __tablename__ = "business_inputs"
    project_id: int = Field(foreign_key="projects.id", primary_key=True)
    inputs: dict[str, Any] = json_field()
    updated_by_id: int = Field(foreign_key="users.id")
    updated_at: datetime = created_at_field()


class FeasibilityBase(SQLModel):
    project_id: int = Field(foreign_key="projects.id", index=True)
    dataset_id: int = Field(foreign_key="datasets.id", index=True)
    job_id: int | None = Field(default=None, foreign_key="jobs.id")
    created_by_id: int = Field(foreign_key="users.id")
    target: str = Field(max_length=300)
    task: str = Field(max_length=16)
    metric: str = Field(max_length=32)
    #: 0-100 over the components that could be scored (None: nothing could be).
    score: float | None = Field(default=None, index=True)
    #: go | promising | not_ready | not_needed
    verdict: str = Field(max_length=16, index=True)
    expected_value_per_month: float | None = None


class FeasibilityAssessment(FeasibilityBase, table=True):
    __tablename__ = "feasibility_assessments"
    id: int | None = Field(default=None, primary_key=True)
    measurements: dict[str, Any] = json_field()
    #: The scorecard: components, reasons, missing inputs, verdict label, weights used.
    scorecard: dict[str, Any] = json_field()
    #: The business inputs the scorecard was computed with (a snapshot).
    inputs: dict[str, Any] = json_field()
    created_at: datetime = created_at_field()
    scored_at: datetime = created_at_field()


class FeasibilityPublic(FeasibilityBase):
    id: int
    measurements: dict[str, Any]
    scorecard: dict[str, Any]
    inputs: dict[str, Any]
    created_at: datetime
    scored_at: datetime
