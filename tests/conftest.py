"""Shared fixtures: seeded random audit data."""

from __future__ import annotations

import pandas as pd
import pytest

from _data import make_frame


@pytest.fixture
def frame() -> pd.DataFrame:
    return make_frame()


@pytest.fixture
def weighted_frame() -> pd.DataFrame:
    return make_frame(weights=True, seed=1)
