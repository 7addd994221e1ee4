"""Seeded data for slice-discovery tests: categorical features, a numeric one, a planted slice."""

from __future__ import annotations

import numpy as np
import pandas as pd

FEATURES = ["f0", "f1", "f2", "f3", "f4", "age"]


def planted_frame(
    n: int, rng: np.random.Generator, *, base: float = 0.1, raised: float | None = None
) -> pd.DataFrame:
    """Binary predictions with error rate ``base``; ``raised`` in f0=a & f1=b & f2=c."""
    df = pd.DataFrame({f"f{i}": rng.choice(["a", "b", "c"], n) for i in range(5)})
    df["age"] = rng.normal(40.0, 10.0, n).round(1)
    rate = np.full(n, base)
    if raised is not None:
        rate[((df.f0 == "a") & (df.f1 == "b") & (df.f2 == "c")).to_numpy()] = raised
    y = rng.integers(0, 2, n)
    df["y"] = y
    df["pred"] = np.where(rng.random(n) < rate, 1 - y, y)
    return df
