"""Fairness evidence for a model version: reports, mitigation and plots.

The only package that imports fairlearn (one importer per heavy library), so
its version churn stays here.  Computations return plain data
(:class:`FairnessReport`, :class:`MitigatedModel`); plots only read that data.

Mitigation (scikit-learn) and plots (matplotlib) are imported on first use, so
``import automl_canvas.fairness`` stays cheap for the doors.
"""

from __future__ import annotations

from importlib import import_module

from .findings import with_favourable
from .groups import MISSING
from .report import fairness_report
from .result import Disparity, FairnessReport, FeatureGroups, Finding, GroupInfo, MetricValue
from .verdicts import WORSE, describe_change, four_fifths, mitigation_verdict, selection_health

__all__ = [
    "MISSING",
    "WORSE",
    "Disparity",
    "FairnessReport",
    "FeatureGroups",
    "Finding",
    "GroupInfo",
    "MetricValue",
    "MitigatedModel",
    "compare",
    "describe_change",
    "evaluate_predictions",
    "fairness_report",
    "four_fifths",
    "mitigate",
    "mitigation_verdict",
    "plot_disparities",
    "plot_group_metric",
    "selection_health",
    "with_favourable",
]

_LAZY = {
    "MitigatedModel": "mitigation",
    "compare": "mitigation",
    "evaluate_predictions": "mitigation",
    "mitigate": "mitigation",
    "plot_disparities": "plots",
    "plot_group_metric": "plots",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
