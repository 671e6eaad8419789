"""Which function runs which kind of job.

Import paths, not imports: the worker's parent process stays light and only the
child that runs a job loads FLAML, SHAP or fairlearn.  A warm job process
(``warm.py``) imports, before its job, the handler modules of the kinds its
worker claims and what those handlers load only once they run (:data:`PRELOAD`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from ..errors import ValidationError
from ..jobs.context import JobContext

__all__ = ["HANDLERS", "PRELOAD", "preload_modules", "resolve_handler"]

HANDLERS: dict[str, str] = {
    "train": "automl_canvas.runner.training_job:run_training_job",
    "reproduce": "automl_canvas.registry.service:run_reproduce_job",
    "evidence": "automl_canvas.evidence.service:run_evidence_job",
    "mitigate": "automl_canvas.evidence.mitigation:run_mitigation_job",
    "diagnostic": "automl_canvas.runner.diagnostics:run_diagnostic_job",
    "feasibility": "automl_canvas.feasibility.service:run_feasibility_job",
    "monitor": "automl_canvas.monitoring.service:run_monitor_job",
}


#: What a warm job process imports for a kind beyond its handler's module: the libraries the handler loads
#: inside its functions (so that the CLI and the worker's parent stay light). Project modules where one
#: loads the library at its top (``training.flaml_learners``: FLAML, LightGBM, XGBoost); the library's own
#: name where none does (SHAP and fairlearn are imported only inside explain/ and fairness/ functions). Only
#: imported, never called, here: their use stays in their one package.
PRELOAD: dict[str, tuple[str, ...]] = {
    "train": ("automl_canvas.training.flaml_learners",),
    "feasibility": ("automl_canvas.training.flaml_learners",),
    "reproduce": ("automl_canvas.training.flaml_learners",),
    "evidence": ("shap", "fairlearn.metrics"),
    "mitigate": ("fairlearn.metrics", "fairlearn.postprocessing"),
}


def preload_modules(kinds: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The modules a warm process imports for a worker that claims ``kinds``, each once: the handlers' modules
    first (any job of these kinds needs its own), then the libraries of :data:`PRELOAD`."""
    known = [k for k in kinds if k in HANDLERS]
    names = [HANDLERS[k].split(":")[0] for k in known] + [m for k in known for m in PRELOAD.get(k, ())]
    return tuple(dict.fromkeys(names))


def resolve_handler(kind: str) -> Callable[[JobContext], dict[str, Any]]:
    try:
        module_name, func = HANDLERS[kind].split(":")
    except KeyError:
        raise ValidationError(f"No handler for job kind {kind!r}.") from None
    return getattr(importlib.import_module(module_name), func)
