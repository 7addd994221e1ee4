"""Seeded random audit data shared by tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def make_frame(n: int = 2000, seed: int = 0, weights: bool = False) -> pd.DataFrame:
    """Random binary-classification data with three sensitive features of unequal groups."""
    rng = np.random.default_rng(seed)
    race = rng.choice(["a", "b", "c", "d"], size=n, p=[0.5, 0.3, 0.15, 0.05])
    sex = rng.choice(["F", "M"], size=n)
    age = rng.choice(["young", "mid", "old"], size=n, p=[0.3, 0.5, 0.2])
    base = {"a": 0.3, "b": 0.45, "c": 0.5, "d": 0.2}
    y = (rng.random(n) < np.vectorize(base.get)(race)).astype(int)
    score = np.clip(0.35 * y + rng.normal(0.35, 0.2, size=n), 0, 1).round(3)
    pred = (score > 0.5).astype(int)
    df = pd.DataFrame({"y": y, "pred": pred, "score": score, "race": race, "sex": sex, "age": age})
    if weights:
        df["w"] = rng.gamma(2.0, 1.0, size=n)
    return df
