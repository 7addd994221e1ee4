"""Each slice test and interval against an independent implementation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

from equilens.discovery._evidence import DEN, NUM, compare, descendant_bound, interval
from equilens.discovery._search import SumCounter


def _rate_sums(x: int, n: int) -> np.ndarray:
    s = np.zeros(7)
    s[[0, 1, DEN]] = n
    s[NUM] = x
    return s


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"),
    [(12, 60, 90, 900), (0, 50, 5, 500), (30, 40, 200, 1000), (3, 80, 1, 20)],
)
def test_rate_test_is_one_sided_fisher(x1: int, n1: int, x2: int, n2: int) -> None:
    s, c = _rate_sums(x1, n1)[None], _rate_sums(x2, n2)[None]
    got = compare(s, c, proportion=True)
    ref = stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]], alternative="greater").pvalue
    assert got.p_value[0] == pytest.approx(ref, rel=1e-9)
    assert got.difference[0] == pytest.approx(x1 / n1 - x2 / n2)
    lo, hi = interval(s, c, True, 0.05)
    ref_lo, ref_hi = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
    assert (lo[0], hi[0]) == pytest.approx((ref_lo, ref_hi), rel=1e-9)


def test_mean_test_is_one_sided_welch() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.exponential(1.3, 70), rng.exponential(1.0, 400)
    x = np.concatenate([a, b])
    cell = np.r_[np.zeros(70, dtype=np.int64), np.ones(400, dtype=np.int64)]
    sums = SumCounter(x, np.ones_like(x), np.ones_like(x), False).cells(cell, 2)
    got = compare(sums[:1], sums[1:], proportion=False)
    ref = stats.ttest_ind(a, b, equal_var=False, alternative="greater")
    assert got.p_value[0] == pytest.approx(ref.pvalue, rel=1e-8)
    lower = compare(sums[:1], sums[1:], proportion=False, worse="lower")
    assert lower.p_value[0] == pytest.approx(1 - ref.pvalue, rel=1e-8)
    lo, hi = interval(sums[:1], sums[1:], False, 0.05)
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert (lo[0], hi[0]) == pytest.approx((ci.low, ci.high), rel=1e-8)


def test_ratio_standard_error_is_the_linearised_one() -> None:
    """Ratio of sums over clusters: the textbook ratio-estimator variance, by hand."""
    rng = np.random.default_rng(1)
    num, den = rng.poisson(3, 40).astype(float), rng.integers(5, 30, 40).astype(float)
    r = num.sum() / den.sum()
    k = num.size
    se = np.sqrt(k / (k - 1) * np.sum((num - r * den) ** 2)) / den.sum()
    other_num, other_den = rng.poisson(2, 300).astype(float), rng.integers(5, 30, 300).astype(float)
    r2 = other_num.sum() / other_den.sum()
    se2 = np.sqrt(300 / 299 * np.sum((other_num - r2 * other_den) ** 2)) / other_den.sum()
    cell = np.r_[np.zeros(40, dtype=np.int64), np.ones(300, dtype=np.int64)]
    counter = SumCounter(np.r_[num, other_num], np.r_[den, other_den], np.ones(340), False)
    sums = counter.cells(cell, 2)
    got = compare(sums[:1], sums[1:], proportion=False)
    t = (r - r2) / np.hypot(se, se2)
    df = (se**2 + se2**2) ** 2 / (se**4 / 39 + se2**4 / 299)
    assert got.p_value[0] == pytest.approx(stats.t.sf(t, df), rel=1e-8)


def test_descendant_bound_is_below_every_sub_slice() -> None:
    """No sub-slice (any rows, any events out of the slice's) beats the bound."""
    total_n, total_x = 2000, 300
    slice_n, slice_x = 120, 40
    total = _rate_sums(total_x, total_n)
    bound = descendant_bound(_rate_sums(slice_x, slice_n)[None], total)[0]
    d = np.repeat(np.arange(1, slice_n + 1), slice_x + 1)
    x = np.tile(np.arange(slice_x + 1), slice_n)
    ok = (x <= d) & (d - x <= slice_n - slice_x)
    s = np.zeros((ok.sum(), 7))
    s[:, DEN], s[:, NUM] = d[ok], x[ok]
    p = compare(s, total[None] - s, proportion=True).p_value
    assert np.nanmin(p) == pytest.approx(bound, rel=1e-9)
