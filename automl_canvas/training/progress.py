"""A training job's progress as a person reads it: how far along, what it is doing, the best so far.

The job row holds raw progress (stage, trials, best score, seconds left, the
search curve); this turns it into a bar fraction and sentences, so every door
shows the same words for the same state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["STAGE_WORDS", "TrainingProgress", "describe_progress", "models_tried"]

#: stage -> (share of the bar reached when the stage starts, what it means in words)
STAGE_WORDS: dict[str, tuple[float, str]] = {
    "queued": (0.0, "Waiting for a free worker"),
    "preparing data": (0.05, "Preparing the data"),
    "baseline and default model": (0.10, "Measuring a simple guess and a standard model"),
    "searching": (0.15, "Trying different models"),
    "choosing the model": (0.80, "Choosing the best model"),
    "cross-validating": (0.83, "Double-checking the best model on other slices of the data"),
    "refitting the chosen model": (0.88, "Training the chosen model"),
    "final refit on all rows": (0.92, "Training the chosen model on every row"),
    "saving the model": (0.97, "Saving the model"),
    "done": (1.0, "Done"),
    "failed": (1.0, "The build failed"),
    "cancelled": (1.0, "Cancelled"),
}
_SEARCH_SPAN = 0.80 - 0.15


@dataclass
class TrainingProgress:
    state: str  # queued | running | succeeded | failed | cancelled
    fraction: float
    headline: str
    details: list[str] = field(default_factory=list)
    curve: list[list[float]] = field(default_factory=list)
    finished: bool = False


def describe_progress(job, metric_label: str = "score") -> TrainingProgress:
    """Bar fraction, a headline and detail sentences for a training job (a JobPublic)."""
    p: dict[str, Any] = dict(job.progress or {})
    status = str(job.status)
    stage = p.get("stage") or ("queued" if status == "queued" else "preparing data")
    if status in ("succeeded", "failed", "cancelled"):
        stage = {"succeeded": "done", "failed": "failed", "cancelled": "cancelled"}[status]
    start, words = STAGE_WORDS.get(stage, (0.5, stage.capitalize()))
    fraction = start
    details: list[str] = []
    if stage == "searching":
        budget, elapsed = p.get("budget_seconds") or 0, p.get("search_elapsed_seconds") or 0
        if budget:
            fraction = start + _SEARCH_SPAN * min(1.0, elapsed / budget)
        if p.get("remaining_seconds") is not None:
            details.append(f"About {round(p['remaining_seconds'])} seconds of searching left.")
    finished = status in ("succeeded", "failed", "cancelled")
    if p.get("trials_done"):
        details.append(models_tried(int(p["trials_done"]), finished))
    if p.get("best_score") is not None and status != "failed":
        learner = f" ({p['best_learner']})" if p.get("best_learner") else ""
        details.append(f"Best {metric_label}{' found' if finished else ' so far'}: {p['best_score']:.3f}{learner}.")
    if status == "failed":
        details.insert(0, (job.error or {}).get("message") or "The worker reported an error; try again or ask for help.")
    if job.cancel_requested and status == "running":
        words = "Stopping (cancel requested)"
    return TrainingProgress(status, max(0.0, min(1.0, fraction)), words, details, list(p.get("search_curve") or []), finished)


def models_tried(n: int, finished: bool) -> str:
    """ "1 model tried." / "7 models tried so far." (the one wording, for the CLI and the apps)."""
    return f"{n} model{'' if n == 1 else 's'} tried{'' if finished else ' so far'}."
