"""The leaderboard stored with a version: every candidate ranked, the chosen one marked.

Rows come from four sources: ``search`` (each FLAML trial), ``default_model``
(the HistGradientBoosting default), ``portfolio`` (the strong defaults fitted
before the search, see training/portfolio.py) and ``ensemble`` (the weighted
ensemble, whose config lists its members and weights).  All are scored on the
same search folds (or validation rows), so their ranks compare like with like;
the final choice was made on fresh folds, which the recipe records.
"""

from __future__ import annotations

from typing import Any

from .metrics import MetricInfo, to_loss

__all__ = ["DEFAULT_LEARNER", "candidate_row", "leaderboard"]

DEFAULT_LEARNER = "hist_gradient_boosting_default"


def candidate_row(learner: str, config: dict, score: float, source: str, metric: MetricInfo, *,
                  train_seconds: float | None = None, description: str | None = None) -> dict[str, Any]:
    """A leaderboard row for a candidate that is not a search trial."""
    row = {"trial": -1, "learner": learner, "config": dict(config), "validation_loss": to_loss(metric, score),
           "validation_score": score, "train_seconds": None if train_seconds is None else round(train_seconds, 3),
           "wall_clock_seconds": None, "sample_size": None, "source": source}
    if description:
        row["description"] = description
    return row


def leaderboard(trials, metric: MetricInfo, others: list[dict[str, Any]], chosen_learner: str, chosen_config: dict) -> list[dict[str, Any]]:
    """Search trials plus ``others`` (rows from :func:`candidate_row`), ranked by validation loss.

    The first row (best rank) with the delivered learner and configuration is marked ``chosen``.
    """
    board = []
    for t in trials:
        loss = t["validation_loss"]
        board.append({**t, "validation_score": 1 - loss if metric.higher_is_better else loss, "source": "search"})
    board.extend(dict(r) for r in others)
    board.sort(key=lambda r: r["validation_loss"])
    marked = False
    for rank, row in enumerate(board, start=1):
        row["rank"] = rank
        hit = not marked and row["learner"] == chosen_learner and (row["config"] or {}) == (chosen_config or {})
        row["chosen"] = hit
        marked = marked or hit
    return board
