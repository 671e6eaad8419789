"""Run a real feasibility job through the service, as a door would."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from automl_canvas.datasets.service import ingest_file
from automl_canvas.db import session_scope
from automl_canvas.feasibility import FeasibilityRequest, get_assessment, set_inputs, submit_feasibility

from ..helpers import job, run_queued_jobs


def assess(settings, engine, actor, project_id: int, data: pd.DataFrame | Path, target: str, *, tmp_path: Path,
           budget: float = 3, inputs: dict | None = None, **request):
    """Ingest ``data`` (a frame is written to CSV first), run the job with a real worker, return the assessment."""
    path = data
    if isinstance(data, pd.DataFrame):
        path = tmp_path / f"data-{project_id}-{len(data)}.csv"
        data.to_csv(path, index=False)
    ds = ingest_file(engine, settings, actor, project_id, path)
    if inputs:
        with session_scope(engine) as s:
            set_inputs(s, actor, project_id, inputs)
    queued = submit_feasibility(engine, settings, actor, project_id,
                                FeasibilityRequest(dataset_id=ds.id, target=target, budget=budget, seed=7, **request))
    run_queued_jobs(settings, engine)
    done = job(engine, queued.id)
    assert done.status == "succeeded", done.error
    with session_scope(engine) as s:
        return get_assessment(s, actor, done.result["assessment_id"])


def new_project(engine, actor, name: str) -> int:
    from automl_canvas.models import ProjectCreate
    from automl_canvas.projects import create_project

    with session_scope(engine) as s:
        return create_project(s, actor, ProjectCreate(name=name)).id


def reasons(a, component: str | None = None) -> list[str]:
    return [r["message"] for r in a.scorecard["reasons"] if component is None or r["component"] == component]
