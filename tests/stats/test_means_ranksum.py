"""Welch's test, Hedges' g and the histogram Mann-Whitney test against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from scipy import stats as st

from equilens.stats._means import (
    hedges_g,
    log_ratio_interval,
    mean_minimum_detectable_difference,
    welch_test,
)
from equilens.stats._ranksum import common_bins, histogram_codes, mann_whitney_from_hist


def _moments(x: np.ndarray) -> tuple[float, float, float]:
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size)), float(x.size - 1)


@pytest.mark.parametrize("seed", range(5))
def test_welch_matches_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.lognormal(size=rng.integers(3, 40))
    b = rng.normal(1.0, 3.0, size=rng.integers(3, 40))
    m1, s1, d1 = _moments(a)
    m2, s2, d2 = _moments(b)
    t, p, df, lo, hi = welch_test([m1], [s1], [d1], [m2], [s2], [d2], alpha=0.05)
    ref = st.ttest_ind(a, b, equal_var=False)
    assert t[0] == pytest.approx(ref.statistic, rel=1e-10)
    assert p[0] == pytest.approx(ref.pvalue, rel=1e-8)
    assert df[0] == pytest.approx(ref.df, rel=1e-10)
    ci = ref.confidence_interval(0.95)
    assert (lo[0], hi[0]) == pytest.approx((ci.low, ci.high), rel=1e-8)


def test_welch_zero_variance_is_undefined_not_significant() -> None:
    t, p, _, lo, _ = welch_test([1.0], [0.0], [5.0], [0.0], [0.0], [5.0])
    assert np.isnan(t[0]) and np.isnan(p[0]) and np.isnan(lo[0])


def test_welch_infinite_df_is_z() -> None:
    _, p, _, _, _ = welch_test([1.0], [0.5], [np.inf], [0.0], [0.0], [np.inf])
    assert p[0] == pytest.approx(2 * st.norm.sf(2.0))


def test_hedges_g_formula() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(1, 2, 15), rng.normal(0, 1, 25)
    sp = np.sqrt(((14) * a.var(ddof=1) + 24 * b.var(ddof=1)) / 38)
    expect = (a.mean() - b.mean()) / sp * (1 - 3 / (4 * 40 - 9))
    g = hedges_g([a.mean()], [a.std(ddof=1)], [15], [b.mean()], [b.std(ddof=1)], [25])
    assert g[0] == pytest.approx(expect)


def test_log_ratio_interval_contains_ratio_and_needs_positive() -> None:
    lo, hi = log_ratio_interval([2.0, -1.0], [0.1, 0.1], [50, 50], [1.0, 1.0], [0.1, 0.1], [50, 50])
    assert lo[0] < 2.0 < hi[0]
    assert np.isnan(lo[1]) and np.isnan(hi[1])


def test_mdd_gives_80_percent_power_normal() -> None:
    mdd = mean_minimum_detectable_difference([1.0], [1.0], [np.inf])[0]
    z = mdd / np.sqrt(2.0)
    power = st.norm.sf(1.959963984540054 - z) + st.norm.cdf(-1.959963984540054 - z)
    assert power == pytest.approx(0.8, abs=1e-6)


def _hist_test(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    bins = common_bins(np.concatenate([a, b]))
    assert bins.exact
    k = bins.size
    h1 = np.bincount(bins.codes(a), minlength=k).astype(float)
    h2 = np.bincount(bins.codes(b), minlength=k).astype(float)
    u, p, ps = mann_whitney_from_hist(h1[None], h2[None])
    return float(u[0]), float(p[0]), float(ps[0])


@pytest.mark.parametrize("seed", range(5))
def test_mann_whitney_matches_scipy_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 6, size=rng.integers(5, 60)).astype(float)
    b = rng.integers(1, 7, size=rng.integers(5, 60)).astype(float)
    u, p, ps = _hist_test(a, b)
    ref = st.mannwhitneyu(a, b, method="asymptotic", use_continuity=True)
    assert u == pytest.approx(ref.statistic)
    assert p == pytest.approx(ref.pvalue, rel=1e-9)
    assert ps == pytest.approx(ref.statistic / (a.size * b.size))


@settings(max_examples=60, deadline=None)
@given(
    hs.lists(hs.integers(-3, 3), min_size=2, max_size=30),
    hs.lists(hs.integers(-3, 3), min_size=2, max_size=30),
)
def test_mann_whitney_property(a: list[int], b: list[int]) -> None:
    x, y = np.array(a, float), np.array(b, float)
    u, p, _ = _hist_test(x, y)
    ref = st.mannwhitneyu(x, y, method="asymptotic")
    assert u == pytest.approx(ref.statistic)
    if np.isfinite(ref.pvalue):
        assert p == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-12)
    else:
        assert np.isnan(p)


def test_grid_bins_for_many_values() -> None:
    x = np.random.default_rng(0).normal(size=5000)
    bins = common_bins(x)
    assert not bins.exact and 1000 < bins.size <= 2048
    codes = bins.codes(x)
    assert codes.min() <= 2 and codes.max() >= bins.size - 3  # beyond the table: end bins
    # Non-decreasing in the value: ranks between bins are kept.
    order = np.argsort(x)
    assert np.all(np.diff(codes[order]) >= 0)
    # Most values land in their quantile bin, the others in a neighbouring one (a table cell
    # that straddles an edge maps to the bin of its left end).
    exact = histogram_codes(x, bins.edges)
    assert np.mean(codes == exact) > 0.85
    inner = (x > bins.lo) & (x < bins.lo + bins.width * 65535)
    assert np.all(np.abs(codes[inner] - exact[inner]) <= 2)  # 2: edges closer than a cell
