"""Seeded data for the mitigation tests: two groups whose approval rates differ."""

from __future__ import annotations

import numpy as np
import pandas as pd


def credit_frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """Numeric features, a sensitive ``sex``, a row id and a label correlated with both."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(np.array(["female", "male"]), size=n, p=[0.35, 0.65])
    x1 = rng.normal(size=n) + 0.6 * (sex == "male")
    x2 = rng.normal(size=n)
    logit = 0.4 + 1.2 * x1 + 0.8 * x2
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {"row_id": np.arange(n, dtype=float), "x1": x1, "x2": x2, "sex": sex, "y": y}
    )
