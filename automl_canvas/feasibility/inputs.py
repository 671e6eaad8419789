"""The business side of a project: what the model would decide, how often, and what it is worth.

Every field is optional: a manager fills them in as they learn them, and the
scorecard scores what it can and lists what is missing.  Values are checked
here, with messages that name the input and say what to type instead, so a
door (CLI, API, app) never has to.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from ..db import utcnow
from ..errors import ValidationError
from ..models import BusinessInputsRow

__all__ = ["DELIVERY", "FRESHNESS", "INPUT_LABELS", "BusinessInputs", "missing_inputs", "parse_inputs", "write_inputs_row"]

#: How the predictions would reach the people who act on them (simplest first).
DELIVERY = ("report", "batch", "api", "embedded")
#: How fresh the data behind a prediction must be (least demanding first).
FRESHNESS = ("monthly", "weekly", "daily", "hourly", "real-time")

INPUT_LABELS: dict[str, str] = {
    "decision": "the decision the model informs",
    "acted_on_by": "who acts on the prediction",
    "decisions_per_month": "decisions per month",
    "value_per_decision": "value of a correct decision",
    "cost_false_positive": "cost of a false positive",
    "cost_false_negative": "cost of a false negative",
    "cost_per_unit_error": "cost of one unit of error (regression)",
    "status_quo_accuracy": "status-quo accuracy",
    "status_quo_error": "status-quo error (regression, mean absolute error)",
    "delivery": "delivery mechanism",
    "freshness": "data freshness needed",
}


class BusinessInputs(BaseModel):
    """What a manager knows about the decision; ``None`` means "not known yet".

    Amounts are strict numbers: ``true`` is not 1 (JSON booleans were silently taken as 0/1)."""

    model_config = ConfigDict(extra="forbid")

    decision: str | None = Field(default=None, max_length=2000)
    acted_on_by: str | None = Field(default=None, max_length=500)
    decisions_per_month: float | None = Field(default=None, ge=0, strict=True)
    value_per_decision: float | None = Field(default=None, ge=0, strict=True)
    cost_false_positive: float | None = Field(default=None, ge=0, strict=True)
    cost_false_negative: float | None = Field(default=None, ge=0, strict=True)
    cost_per_unit_error: float | None = Field(default=None, ge=0, strict=True)
    status_quo_accuracy: float | None = Field(default=None, ge=0, strict=True, le=1)
    status_quo_error: float | None = Field(default=None, ge=0, strict=True)
    delivery: Literal["report", "batch", "api", "embedded"] | None = None
    freshness: Literal["monthly", "weekly", "daily", "hourly", "real-time"] | None = None

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump().items() if v not in (None, "")}


def _message(err: dict) -> str:
    field = str(err["loc"][0]) if err.get("loc") else "?"
    label = INPUT_LABELS.get(field)
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return f"'{field}' is not a business input; the inputs are: {', '.join(INPUT_LABELS)}."
    if field == "delivery":
        return f"The delivery mechanism must be one of: {', '.join(DELIVERY)}."
    if field == "freshness":
        return f"The data freshness must be one of: {', '.join(FRESHNESS)}."
    if field == "status_quo_accuracy" and kind == "less_than_equal":
        return "The status-quo accuracy is a share between 0 and 1 (type 0.82 for 82%)."
    if kind == "greater_than_equal":
        return f"The {label} cannot be negative."
    if kind in ("float_parsing", "float_type", "finite_number"):
        return f"The {label} must be a number (got {err.get('input')!r})."
    return f"The {label or field} is not valid: {err.get('msg')}."


def parse_inputs(data: dict[str, Any] | BusinessInputs) -> BusinessInputs:
    """Validate a mapping of inputs; the first problem becomes one clear :class:`ValidationError`."""
    if isinstance(data, BusinessInputs):
        data = data.model_dump()
    if not isinstance(data, dict):
        raise ValidationError("Business inputs must be a mapping of input names to values.")
    cleaned = {k: (v.strip() or None) if isinstance(v, str) and k in ("decision", "acted_on_by") else v for k, v in data.items()}
    for k, v in cleaned.items():
        if isinstance(v, float) and not math.isfinite(v):
            raise ValidationError(f"The {INPUT_LABELS.get(k, k)} must be a finite number.")
    try:
        return BusinessInputs.model_validate(cleaned)
    except pydantic.ValidationError as exc:
        errors = exc.errors()
        raise ValidationError(_message(errors[0]), details={"problems": [_message(e) for e in errors]}) from None


def missing_inputs(inputs: BusinessInputs, task: str | None) -> list[str]:
    """Names of the inputs that would let the scorecard say more, for this kind of problem."""
    regression = task == "regression"
    wanted = ["decision", "acted_on_by", "decisions_per_month"]
    if regression:
        wanted += ["cost_per_unit_error", "status_quo_error"]
    else:
        has_costs = inputs.cost_false_positive is not None and inputs.cost_false_negative is not None
        if inputs.value_per_decision is None and not has_costs:
            wanted.append("value_per_decision")
        wanted += ["cost_false_positive", "cost_false_negative", "status_quo_accuracy"]
    wanted += ["delivery", "freshness"]
    return [name for name in wanted if getattr(inputs, name) in (None, "")]


def write_inputs_row(session: Session, project_id: int, inputs: dict[str, Any], updated_by_id: int) -> datetime:
    """Insert or update the project's business-inputs row in one statement; returns its ``updated_at``.

    Why one statement: a read-then-insert lets two first writers both see "no row"
    and the second fail on the primary key (10 concurrent first PUTs gave nine 500s).
    ``INSERT ... ON CONFLICT (project_id) DO UPDATE`` is atomic on SQLite and
    PostgreSQL alike: every writer succeeds and the last one's values stay.
    """
    from sqlalchemy.dialects import postgresql, sqlite

    now = utcnow()
    values = {"project_id": project_id, "inputs": inputs, "updated_by_id": updated_by_id, "updated_at": now}
    dialect = session.get_bind().dialect.name
    table = BusinessInputsRow.__table__
    if dialect not in ("sqlite", "postgresql"):  # pragma: no cover - the product supports these two
        raise ValidationError(f"Business inputs cannot be stored on a {dialect} database.")
    stmt = (sqlite.insert(table) if dialect == "sqlite" else postgresql.insert(table)).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.project_id],
                                      set_={k: stmt.excluded[k] for k in ("inputs", "updated_by_id", "updated_at")})
    session.execute(stmt)
    # The session may hold the row from the read before: let the next read see what was just written.
    for obj in [o for o in session.identity_map.values() if isinstance(o, BusinessInputsRow) and o.project_id == project_id]:
        session.expire(obj)
    return now
