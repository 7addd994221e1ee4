"""Differential and property tests for equilens.stats._corrections against statsmodels."""

from __future__ import annotations

import gc
from collections.abc import Callable
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import ArrayLike, NDArray
from statsmodels.stats.multitest import multipletests

from equilens.stats._corrections import benjamini_hochberg, holm

Adjuster = Callable[[ArrayLike], NDArray[np.float64]]

RTOL = 1e-12
ATOL = 1e-14

METHODS = [(holm, "holm"), (benjamini_hochberg, "fdr_bh")]


def reference(p: np.ndarray, method: str) -> np.ndarray:
    """statsmodels on the non-NaN entries, NaN elsewhere."""
    out = np.full(p.shape, np.nan)
    present = ~np.isnan(p)
    if present.any():
        # statsmodels' Holm branch calls gc.collect() on every call (~60 ms with a large heap),
        # which has no bearing on its arithmetic; skip it to keep the suite fast.
        with mock.patch.object(gc, "collect", return_value=0):
            out[present] = multipletests(p[present], method=method)[1]
    return out


def random_family(rng: np.random.Generator, m: int) -> np.ndarray:
    p = np.concatenate([rng.uniform(0, 1, m - m // 3), rng.uniform(0, 1e-3, m // 3)])
    rng.shuffle(p)
    return p


@pytest.mark.parametrize(("func", "method"), METHODS)
@pytest.mark.parametrize("m", [1, 2, 3, 10, 57, 500])
def test_matches_statsmodels_random(func: Adjuster, method: str, m: int) -> None:
    rng = np.random.default_rng(1000 + m)
    for _ in range(20):
        p = random_family(rng, m)
        np.testing.assert_allclose(func(p), reference(p, method), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(("func", "method"), METHODS)
def test_nan_entries_are_excluded_from_the_family(func: Adjuster, method: str) -> None:
    rng = np.random.default_rng(7)
    for _ in range(50):
        p = random_family(rng, 40)
        p[rng.uniform(size=40) < 0.3] = np.nan
        adjusted = func(p)
        np.testing.assert_allclose(adjusted, reference(p, method), rtol=RTOL, atol=ATOL)
        assert np.array_equal(np.isnan(adjusted), np.isnan(p))
        # Same result as adjusting the non-NaN subfamily on its own.
        present = ~np.isnan(p)
        np.testing.assert_array_equal(adjusted[present], func(p[present]))


@pytest.mark.parametrize(("func", "method"), METHODS)
def test_ties_zeros_and_ones(func: Adjuster, method: str) -> None:
    p = np.array([0.0, 0.01, 0.01, 0.01, 1.0, 0.5, 0.0, 0.04, 1.0, 0.03])
    np.testing.assert_allclose(func(p), reference(p, method), rtol=RTOL, atol=ATOL)


def test_textbook_values() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005])
    # Holm: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 with a running maximum.
    np.testing.assert_allclose(holm(p), [0.03, 0.06, 0.06, 0.02], rtol=1e-15)
    # BH: sorted p * 4 / rank with a running minimum from the top.
    np.testing.assert_allclose(benjamini_hochberg(p), [0.02, 0.04, 0.04, 0.02], rtol=1e-15)
    # Capped at one.
    assert holm([0.6, 0.7]).tolist() == [1.0, 1.0]


@pytest.mark.parametrize("func", [holm, benjamini_hochberg])
def test_empty_and_all_nan(func: Adjuster) -> None:
    assert func(np.array([])).shape == (0,)
    out = func([np.nan, np.nan])
    assert out.shape == (2,)
    assert np.isnan(out).all()


@pytest.mark.parametrize("func", [holm, benjamini_hochberg])
def test_invalid_input_raises(func: Adjuster) -> None:
    with pytest.raises(ValueError, match="1-D"):
        func(np.full((2, 2), 0.1))
    with pytest.raises(ValueError, match="1-D"):
        func(0.1)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        func([0.1, 1.2])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        func([-0.1, 0.2])


def test_bh_never_exceeds_holm_and_both_dominate_raw() -> None:
    rng = np.random.default_rng(9)
    for _ in range(100):
        p = random_family(rng, 30)
        bh, hm = benjamini_hochberg(p), holm(p)
        assert np.all(p <= bh + 1e-15)
        assert np.all(bh <= hm + 1e-15)


p_values = st.one_of(
    st.floats(0.0, 1.0),
    st.just(float("nan")),
    st.sampled_from([0.0, 1.0, 0.05, 0.01]),
)


@settings(max_examples=300, deadline=None)
@given(p=st.lists(p_values, min_size=0, max_size=60))
def test_property_against_statsmodels(p: list[float]) -> None:
    arr = np.array(p, dtype=float)
    for func, method in METHODS:
        adjusted = func(arr)
        np.testing.assert_allclose(adjusted, reference(arr, method), rtol=RTOL, atol=ATOL)
        present = ~np.isnan(arr)
        assert np.all(adjusted[present] >= arr[present])
        assert np.all(adjusted[present] <= 1.0)
        # Monotone: a smaller raw p never gets a larger adjusted p.
        order = np.argsort(arr[present], kind="stable")
        assert np.all(np.diff(adjusted[present][order]) >= 0)
