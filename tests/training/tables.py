"""Small generated tables with a known structure, for the training-engine tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def additive_table(n: int = 700, seed: int = 3) -> pd.DataFrame:
    """A linear part (a logistic regression's strength) plus a step and a category (trees' strength).

    No single model family gets both right, so a weighted ensemble of a linear and a tree model
    beats each of them: the case an ensemble exists for.
    """
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n), "x3": rng.normal(size=n),
                       "region": rng.choice(["north", "south", "east", "west"], n)})
    z = 1.5 * df.x1 - 1.0 * df.x2 + 1.2 * (df.x3 > 0.3) + (df.region == "north") * 0.8 + rng.normal(0, 0.8, n)
    df["bought"] = np.where(z > 0.5, "yes", "no")
    return df


def noise_table(n: int = 400, seed: int = 5) -> pd.DataFrame:
    """A target unrelated to every column: no model can beat the default model beyond noise."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.choice(["x", "y", "z"], n)})
    df["label"] = rng.choice(["yes", "no"], n)
    return df
