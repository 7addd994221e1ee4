"""Shared data for the tests of equilens.data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def make_frame(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """A small audit table with missing sensitive values, int labels, scores and weights.

    Column names equal the role names, so passing the same values as bare arrays
    (``data=None``) yields the same column names and fingerprint.
    """
    rng = np.random.default_rng(seed)
    sex = rng.choice(np.array(["female", "male", "nonbinary"], dtype=object), n)
    sex[rng.random(n) < 0.1] = None
    race = rng.choice(np.array(["Black", "White", "Asian", "Hispanic"], dtype=object), n)
    age = rng.integers(18, 80, n).astype(np.float64)
    age[rng.random(n) < 0.05] = np.nan
    y_true = rng.integers(0, 2, n)
    y_pred = rng.integers(0, 2, n)
    y_score = np.round(rng.random(n), 6)
    weight = np.round(rng.random(n) * 3, 3)
    return pd.DataFrame(
        {
            "sex": sex,
            "race": race,
            "age": age,
            "y_true": y_true,
            "y_pred": y_pred,
            "y_score": y_score,
            "sample_weight": weight,
            "unused": rng.random(n),
        }
    )


@pytest.fixture
def frame() -> pd.DataFrame:
    """The default small audit table."""
    return make_frame()
