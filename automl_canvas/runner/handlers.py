"""Which function runs which kind of job.

Import paths, not imports: the worker's parent process stays light and only the
child that runs a job loads FLAML, SHAP or fairlearn.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from ..errors import ValidationError
from ..jobs.context import JobContext

__all__ = ["HANDLERS", "resolve_handler"]

HANDLERS: dict[str, str] = {
    "train": "automl_canvas.runner.training_job:run_training_job",
    "reproduce": "automl_canvas.registry.service:run_reproduce_job",
    "evidence": "automl_canvas.evidence.service:run_evidence_job",
    "mitigate": "automl_canvas.evidence.mitigation:run_mitigation_job",
    "diagnostic": "automl_canvas.runner.diagnostics:run_diagnostic_job",
    "feasibility": "automl_canvas.feasibility.service:run_feasibility_job",
    "monitor": "automl_canvas.monitoring.service:run_monitor_job",
}


def resolve_handler(kind: str) -> Callable[[JobContext], dict[str, Any]]:
    try:
        module_name, func = HANDLERS[kind].split(":")
    except KeyError:
        raise ValidationError(f"No handler for job kind {kind!r}.") from None
    return getattr(importlib.import_module(module_name), func)
