"""The vectorised hypergeometric tail against scipy's exact one."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from equilens.discovery._hypergeom import hypergeom_sf


@settings(max_examples=200, deadline=None)
@given(
    total=st.integers(1, 5000),
    good_share=st.floats(0.0, 1.0),
    draw_share=st.floats(0.0, 1.0),
    k_share=st.floats(-0.1, 1.1),
)
def test_matches_scipy(total: int, good_share: float, draw_share: float, k_share: float) -> None:
    good = round(total * good_share)
    draws = round(total * draw_share)
    k = round(draws * k_share)
    ours = float(hypergeom_sf(k, total, good, draws))
    ref = float(stats.hypergeom.sf(k - 1, total, good, draws))
    assert np.isclose(ours, ref, rtol=1e-9, atol=1e-14), (k, total, good, draws, ours, ref)


def test_far_tails_at_a_million_rows() -> None:
    rng = np.random.default_rng(3)
    total = np.full(400, 1_000_000)
    good = rng.integers(1_000, 500_000, 400)
    draws = rng.integers(50, 500_000, 400)
    mean = draws * good / total
    sd = np.sqrt(mean * (1 - good / total)) + 1
    k = np.minimum(np.round(mean + sd * rng.uniform(-6, 12, 400)), np.minimum(draws, good))
    ours = hypergeom_sf(k, total, good, draws)
    ref = stats.hypergeom.sf(k - 1, total, good, draws)
    ok = ref > 1e-300
    assert np.allclose(ours[ok], ref[ok], rtol=1e-7, atol=1e-15)
