"""A hand-written set of measurements (what a feasibility job stores), for arithmetic tests."""

from __future__ import annotations

import copy


def measurements(**changes) -> dict:
    m = {
        "task": "binary", "target": "y", "metric": "roc_auc", "metric_label": "ROC AUC", "higher_is_better": True,
        "readiness": {
            "n_rows": 500, "n_labelled": 400, "n_features": 10, "rows_per_feature": 40.0, "labelled_share": 0.8,
            "minority_share": 0.05, "class_counts": [380, 20], "n_leakage": 1,
            "leakage": [{"column": "leak", "message": "", "value": 0.99}], "duplicate_share": 0.06,
            "mean_missing": 0.0, "high_missing_columns": [], "id_like_columns": [], "dates": [],
            "shortest_date_span_days": None,
        },
        "lift": {"metric": "roc_auc", "metric_label": "ROC AUC", "higher_is_better": True, "model": 0.70, "baseline": 0.5,
                 "lift": 0.20, "normalised": 0.40, "n_holdout": 100, "n_bootstrap": 500, "level": 0.95,
                 "ci_low": 0.10, "ci_high": 0.25, "normalised_ci_low": 0.20, "normalised_ci_high": 0.50},
        "accuracy": {"kind": "accuracy", "model": 0.85, "baseline": 0.75},
        "simple_rule": {"kind": "best single-feature threshold", "description": "`x` at or below 3 versus above",
                        "score": 0.65, "normalised": 0.30},
        "learning_curve": {"points": [], "trend": "unknown", "gain_last_half": None},
    }
    for path, value in changes.items():
        node = m
        *parents, leaf = path.split("__")
        for p in parents:
            node = node[p]
        node[leaf] = copy.deepcopy(value)
    return m
