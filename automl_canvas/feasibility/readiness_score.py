"""Data readiness: facts read from the dataset profile, and the points they cost.

The facts are measured once, in the job, and stored; :func:`score_readiness` is
pure arithmetic on them, so every deduction in a scorecard can be traced to one
stored number and one rule in the table below.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

__all__ = ["READINESS_RULES", "readiness_facts", "score_readiness"]

#: (fact, comparison, limit, points deducted) — the first matching row of each fact applies.
READINESS_RULES: list[tuple[str, str, float, float]] = [
    ("n_labelled", "<", 100, 30), ("n_labelled", "<", 500, 15), ("n_labelled", "<", 1000, 5),
    ("rows_per_feature", "<", 10, 20), ("rows_per_feature", "<", 30, 10),
    ("labelled_share", "<", 0.5, 15), ("labelled_share", "<", 0.9, 5),
    ("minority_share", "<", 0.02, 20), ("minority_share", "<", 0.10, 10),
    ("n_leakage", ">=", 2, 30), ("n_leakage", ">=", 1, 15),
    ("duplicate_share", ">", 0.20, 15), ("duplicate_share", ">", 0.05, 5),
    ("mean_missing", ">", 0.30, 15), ("mean_missing", ">", 0.10, 5),
    ("shortest_date_span_days", "<", 90, 10),
]


def _span_days(first: str | None, last: str | None) -> float | None:
    try:
        return (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds() / 86400
    except (TypeError, ValueError):
        return None


def readiness_facts(profile: dict[str, Any], plan_kinds: dict[str, str], dropped: dict[str, str], y: np.ndarray,
                    task: str, schema: dict[str, Any], n_rows: int) -> dict[str, Any]:
    """The numbers readiness is judged on (``y`` is the encoded labelled target)."""
    by_name = {c["name"]: c for c in profile.get("columns", [])}
    n_labelled, n_features = len(y), max(1, len(plan_kinds))
    missing = {c: float(by_name[c].get("missing_ratio") or 0.0) for c in plan_kinds if c in by_name}
    leaks = [{"column": f.get("column"), "message": f.get("message"), "value": f.get("value")}
             for f in profile.get("findings", []) if f.get("code") == "leakage"]
    facts: dict[str, Any] = {
        "n_rows": int(n_rows),
        "n_labelled": n_labelled,
        "n_features": len(plan_kinds),
        "rows_per_feature": n_labelled / n_features,
        "labelled_share": n_labelled / n_rows if n_rows else 0.0,
        "minority_share": None,
        "class_counts": None,
        "leakage": leaks,
        "n_leakage": len(leaks),
        "duplicate_share": float(profile.get("n_duplicate_rows") or 0) / n_rows if n_rows else 0.0,
        "mean_missing": float(np.mean(list(missing.values()))) if missing else 0.0,
        "high_missing_columns": sorted((c for c, r in missing.items() if r > 0.4), key=lambda c: -missing[c]),
        "id_like_columns": [c for c, why in dropped.items() if "identifier" in why or "like an ID" in why],
        "dates": [],
        "shortest_date_span_days": None,
    }
    if task != "regression" and n_labelled:
        counts = np.bincount(y)
        facts["class_counts"] = counts.tolist()
        facts["minority_share"] = float(counts[counts > 0].min() / n_labelled)
    for col, kind in plan_kinds.items():
        if kind == "datetime":
            info = schema.get(col, {})
            facts["dates"].append({"column": col, "first": info.get("min"), "last": info.get("max"),
                                   "span_days": _span_days(info.get("min"), info.get("max"))})
    spans = [d["span_days"] for d in facts["dates"] if d["span_days"] is not None]
    facts["shortest_date_span_days"] = min(spans) if spans else None
    return facts


def _fact_text(name: str, facts: dict[str, Any]) -> str:
    v = facts[name]
    return {
        "n_labelled": f"Only {v:,} rows have a known outcome",
        "rows_per_feature": f"There are {v:.1f} labelled rows per feature column ({facts['n_labelled']:,} rows, "
                            f"{facts['n_features']} features)",
        "labelled_share": f"Only {v:.0%} of the rows have a known outcome",
        "minority_share": f"The rarest outcome is {v:.1%} of the rows",
        "n_leakage": f"{v} column(s) look like they give the answer away (" +
                     ", ".join(f"`{x['column']}`" for x in facts["leakage"]) + "); they were left out of the model (the single-column check still looks at them)",
        "duplicate_share": f"{v:.0%} of the rows are exact copies of other rows",
        "mean_missing": f"On average {v:.0%} of the feature values are missing",
        "shortest_date_span_days": f"The data covers only {v:.0f} days (date column), too short to see seasons",
    }[name]


def score_readiness(facts: dict[str, Any]) -> tuple[float, list[dict[str, Any]]]:
    """(points 0-100, reasons): 100 minus the deductions of :data:`READINESS_RULES`."""
    reasons, applied = [], set()
    total = 0.0
    for name, op, limit, points in READINESS_RULES:
        value = facts.get(name)
        if name in applied or value is None:
            continue
        hit = value < limit if op == "<" else (value >= limit if op == ">=" else value > limit)
        if hit:
            applied.add(name)
            total += points
            severity = "critical" if name == "n_leakage" or points >= 20 else "warning"
            reasons.append({"component": "readiness", "severity": severity, "fact": name, "value": value,
                            "points": -points, "message": f"{_fact_text(name, facts)}: −{points:g} readiness points."})
    if facts.get("id_like_columns"):
        cols = ", ".join(f"`{c}`" for c in facts["id_like_columns"][:5])
        reasons.append({"component": "readiness", "severity": "info", "fact": "id_like_columns",
                        "value": len(facts["id_like_columns"]), "points": 0,
                        "message": f"Identifier columns ({cols}) were left out automatically; no points deducted."})
    if not total:
        reasons.append({"component": "readiness", "severity": "good", "fact": "n_labelled", "value": facts["n_labelled"],
                        "points": 0, "message": f"The data is in good shape: {facts['n_labelled']:,} labelled rows, "
                        f"{facts['rows_per_feature']:.0f} per feature, no leakage suspects."})
    return max(0.0, 100.0 - total), reasons
