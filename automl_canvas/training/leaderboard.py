"""The leaderboard stored with a version: every search trial and the default model, ranked, the chosen one marked."""

from __future__ import annotations

from typing import Any

from .metrics import MetricInfo, to_loss

__all__ = ["DEFAULT_LEARNER", "leaderboard"]

DEFAULT_LEARNER = "hist_gradient_boosting_default"


def leaderboard(trials, metric: MetricInfo, default_val_score: float, default_won: bool, best_learner: str, best_config: dict) -> list[dict[str, Any]]:
    board = []
    for t in trials:
        loss = t["validation_loss"]
        board.append({**t, "validation_score": 1 - loss if metric.higher_is_better else loss, "source": "search"})
    board.append(
        {
            "trial": -1,
            "learner": DEFAULT_LEARNER,
            "config": {},
            "validation_loss": to_loss(metric, default_val_score),
            "validation_score": default_val_score,
            "train_seconds": None,
            "wall_clock_seconds": None,
            "sample_size": None,
            "source": "default_model",
        }
    )
    board.sort(key=lambda r: r["validation_loss"])
    for rank, row in enumerate(board, start=1):
        row["rank"] = rank
        row["chosen"] = (row["source"] == "default_model") if default_won else (
            row["source"] == "search" and row["learner"] == best_learner and row["config"] == best_config
        )
    return board
