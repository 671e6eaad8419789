"""Models shared by the explanation tests (fitted once per session: they are read-only)."""

from __future__ import annotations

import pytest

from .builders import fit_model, make_frame


@pytest.fixture(scope="session")
def model_cache():
    """(task, learner, numeric_only) -> (frame, model), filled on demand."""
    cache: dict = {}

    def get(task: str, learner: str, numeric_only: bool = False):
        key = (task, learner, numeric_only)
        if key not in cache:
            df = make_frame(task, numeric_only=numeric_only)
            cache[key] = (df, fit_model(df, task, learner))
        return cache[key]

    return get
