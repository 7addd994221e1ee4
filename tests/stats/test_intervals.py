"""Differential and property tests for equilens.stats._intervals.

References are statsmodels' ``proportion_confint`` / ``confint_proportions_2indep`` and
scipy's normal quantiles. Where the maths is the same closed form, agreement is required to
rtol 1e-12 (atol 1e-14 for values that are 0 up to rounding).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from equilens.stats._intervals import (
    clopper_pearson_interval,
    newcombe_difference_interval,
    normal_interval,
    proportion_interval,
    ratio_interval,
    wilson_interval,
)

RTOL = 1e-12
ATOL = 1e-14


def close(actual: object, expected: object) -> None:
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)


def random_counts(
    rng: np.random.Generator, size: int, n_max: int = 5000
) -> tuple[np.ndarray, np.ndarray]:
    n = rng.integers(1, n_max, size=size)
    x = rng.integers(0, n + 1)
    return x, n


@st.composite
def float_counts(draw: st.DrawFn, min_n: float = 1e-3) -> tuple[float, float]:
    n = draw(st.floats(min_value=min_n, max_value=1e7, allow_nan=False, allow_infinity=False))
    # Realistic weighted shares: exactly 0 or 1, or bounded away from denormal territory.
    frac = draw(st.one_of(st.just(0.0), st.just(1.0), st.floats(1e-9, 1.0 - 1e-9)))
    return frac * n, n


# ---------------------------------------------------------------------------------------
# Wilson
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.05, 0.01, 0.1, 0.32])
def test_wilson_matches_statsmodels_random_integers(alpha: float) -> None:
    rng = np.random.default_rng(101)
    x, n = random_counts(rng, 3000)
    lo, hi = wilson_interval(x, n, alpha)
    ref_lo, ref_hi = proportion_confint(x, n, alpha=alpha, method="wilson")
    close(lo, ref_lo)
    close(hi, ref_hi)


def test_wilson_matches_statsmodels_weighted_counts() -> None:
    rng = np.random.default_rng(102)
    n = rng.uniform(0.5, 800.0, size=2000)
    x = rng.uniform(0.0, 1.0, size=2000) * n
    lo, hi = wilson_interval(x, n)
    ref_lo, ref_hi = proportion_confint(x, n, method="wilson")
    close(lo, ref_lo)
    close(hi, ref_hi)


def test_wilson_edge_cases() -> None:
    x = np.array([0, 5, 0, 1, 0, 10**12, 3 * 10**11])
    n = np.array([5, 5, 1, 1, 10**12, 10**12, 10**12])
    lo, hi = wilson_interval(x, n)
    ref_lo, ref_hi = proportion_confint(x, n, method="wilson")
    close(lo, ref_lo)
    close(hi, ref_hi)
    # Exact boundaries where the estimate sits on them.
    assert lo[0] == 0.0
    assert lo[2] == 0.0
    assert lo[4] == 0.0
    assert hi[1] == 1.0
    assert hi[3] == 1.0
    assert hi[5] == 1.0
    # Known value: x = 0, n = 5 gives hi = z^2 / (n + z^2).
    z = stats.norm.ppf(0.975)
    np.testing.assert_allclose(hi[0], z**2 / (5 + z**2), rtol=1e-14)


def test_wilson_tiny_estimates_keep_relative_precision() -> None:
    # For x/n tiny, lo = q^2 / ((1 + z^2/n) hi) exactly; statsmodels' centre - half cancels.
    n = np.array([81.0, 1e6, 3.0, 1e12])
    x = np.array([1e-30, 1e-3, 1e-12, 1.0])
    z = stats.norm.ppf(0.975)
    lo, hi = wilson_interval(x, n)
    q = x / n
    np.testing.assert_allclose(lo, q**2 / ((1 + z**2 / n) * hi), rtol=1e-13)
    assert np.all(lo < q)
    assert np.all(q < hi)
    # statsmodels agrees to absolute rounding error only.
    ref_lo, _ = proportion_confint(x, n, method="wilson")
    np.testing.assert_allclose(lo, ref_lo, rtol=0, atol=1e-15)


def test_clopper_pearson_denormal_counts_contain_estimate() -> None:
    x = np.array([5e-324, 2.5e-323, 1e-300])
    n = np.array([1.0, 5.0, 2.0])
    lo, hi = clopper_pearson_interval(x, n)
    assert np.all(lo <= x / n)
    assert np.all(x / n <= hi)
    assert np.all(lo >= 0)


def test_wilson_undefined_is_nan_without_warnings() -> None:
    lo, hi = wilson_interval([0, 0, 3, -1, np.nan, 2], [0, -2, 2, 5, 5, np.inf])
    assert np.isnan(lo).all()
    assert np.isnan(hi).all()


def test_wilson_broadcasts_and_keeps_shape() -> None:
    x = np.arange(6).reshape(2, 3)
    lo, hi = wilson_interval(x, 10)
    assert lo.shape == (2, 3)
    assert hi.shape == (2, 3)
    ref_lo, ref_hi = proportion_confint(x.ravel(), 10, method="wilson")
    close(lo.ravel(), ref_lo)
    close(hi.ravel(), ref_hi)
    slo, shi = wilson_interval(3, 10)
    assert slo.shape == ()
    assert shi.shape == ()
    close(slo, ref_lo[3])


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, 1.5, float("nan")])
def test_invalid_alpha_raises(alpha: float) -> None:
    with pytest.raises(ValueError, match="alpha"):
        wilson_interval(3, 10, alpha)
    with pytest.raises(ValueError, match="alpha"):
        clopper_pearson_interval(3, 10, alpha)
    with pytest.raises(ValueError, match="alpha"):
        ratio_interval(3, 10, 4, 10, alpha)
    with pytest.raises(ValueError, match="alpha"):
        normal_interval(0.0, 1.0, alpha)


@settings(max_examples=200, deadline=None)
@given(data=float_counts(), alpha=st.floats(min_value=1e-4, max_value=0.5))
def test_wilson_property_against_statsmodels(data: tuple[float, float], alpha: float) -> None:
    x, n = data
    lo, hi = wilson_interval(x, n, alpha)
    ref_lo, ref_hi = proportion_confint(x, n, alpha=alpha, method="wilson")
    close(lo, ref_lo)
    close(hi, ref_hi)
    p = x / n
    assert 0.0 <= lo <= p <= hi <= 1.0
    # Mirror symmetry: the interval for n - x is 1 minus the reversed interval.
    lo_m, hi_m = wilson_interval(n - x, n, alpha)
    np.testing.assert_allclose([lo_m, hi_m], [1 - hi, 1 - lo], rtol=1e-12, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(data=float_counts(), a1=st.floats(0.001, 0.5), a2=st.floats(0.001, 0.5))
def test_wilson_nested_in_alpha(data: tuple[float, float], a1: float, a2: float) -> None:
    x, n = data
    small, large = sorted((a1, a2))
    lo_wide, hi_wide = wilson_interval(x, n, small)
    lo_narrow, hi_narrow = wilson_interval(x, n, large)
    assert lo_wide <= lo_narrow + 1e-15
    assert hi_narrow <= hi_wide + 1e-15


# ---------------------------------------------------------------------------------------
# Clopper-Pearson
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.05, 0.01, 0.2])
def test_clopper_pearson_matches_statsmodels_random(alpha: float) -> None:
    rng = np.random.default_rng(201)
    x, n = random_counts(rng, 3000, n_max=3000)
    # Force plenty of boundary cases.
    x[:300] = 0
    x[300:600] = n[300:600]
    lo, hi = clopper_pearson_interval(x, n, alpha)
    ref_lo, ref_hi = proportion_confint(x, n, alpha=alpha, method="beta")
    close(lo, ref_lo)
    close(hi, ref_hi)


def test_clopper_pearson_non_integer_counts() -> None:
    rng = np.random.default_rng(202)
    n = rng.uniform(1.0, 500.0, size=1000)
    x = rng.uniform(0.0, 1.0, size=1000) * n
    lo, hi = clopper_pearson_interval(x, n)
    ref_lo, ref_hi = proportion_confint(x, n, method="beta")
    close(lo, ref_lo)
    close(hi, ref_hi)
    assert np.all(lo < x / n)
    assert np.all(x / n < hi)


def test_clopper_pearson_closed_forms_at_boundaries() -> None:
    # x = 0: hi = 1 - (alpha/2)^(1/n); x = n: lo = (alpha/2)^(1/n).
    n = np.array([1.0, 2.0, 7.0, 50.0, 1e6])
    lo0, hi0 = clopper_pearson_interval(0, n)
    lon, hin = clopper_pearson_interval(n, n)
    close(lo0, np.zeros_like(n))
    close(hi0, 1 - 0.025 ** (1 / n))
    close(lon, 0.025 ** (1 / n))
    close(hin, np.ones_like(n))
    # n = 1, x = 0 and x = 1 are mirror images.
    close(clopper_pearson_interval(0, 1)[1], 1 - clopper_pearson_interval(1, 1)[0])


def test_clopper_pearson_undefined_is_nan() -> None:
    lo, hi = clopper_pearson_interval([0, 4, -1, np.nan], [0, 3, 3, 4])
    assert np.isnan(lo).all()
    assert np.isnan(hi).all()


def test_clopper_pearson_huge_n() -> None:
    x = np.array([1, 10**6, 5 * 10**11, 10**12 - 1])
    n = np.full(4, 10**12)
    lo, hi = clopper_pearson_interval(x, n)
    ref_lo, ref_hi = proportion_confint(x, n, method="beta")
    close(lo, ref_lo)
    close(hi, ref_hi)


@settings(max_examples=150, deadline=None)
@given(data=float_counts(min_n=0.05))
def test_clopper_pearson_property(data: tuple[float, float]) -> None:
    x, n = data
    lo, hi = clopper_pearson_interval(x, n)
    ref_lo, ref_hi = proportion_confint(x, n, method="beta")
    close(lo, ref_lo)
    close(hi, ref_hi)
    assert 0.0 <= lo <= x / n <= hi <= 1.0


# ---------------------------------------------------------------------------------------
# proportion_interval
# ---------------------------------------------------------------------------------------


def test_proportion_interval_selects_method_elementwise() -> None:
    x = np.array([0, 3, 9, 0, 5, 2, 0])
    n = np.array([1, 9, 9.99, 10, 10, 100, 0])
    lo, hi, method = proportion_interval(x, n)
    expected = ["clopper-pearson"] * 3 + ["wilson"] * 3 + ["clopper-pearson"]
    assert method.tolist() == expected
    assert method.dtype.kind == "U"
    cp_lo, cp_hi = proportion_confint(x[:3], n[:3], method="beta")
    w_lo, w_hi = proportion_confint(x[3:6], n[3:6], method="wilson")
    close(lo[:3], cp_lo)
    close(hi[:3], cp_hi)
    close(lo[3:6], w_lo)
    close(hi[3:6], w_hi)
    assert np.isnan(lo[6])
    assert np.isnan(hi[6])


def test_proportion_interval_shapes() -> None:
    lo, hi, method = proportion_interval(np.zeros((3, 1)), np.array([[5, 50]]))
    assert lo.shape == hi.shape == method.shape == (3, 2)
    assert method[0].tolist() == ["clopper-pearson", "wilson"]
    _, _, scalar_method = proportion_interval(1, 20)
    assert scalar_method.shape == ()
    assert str(scalar_method) == "wilson"


# ---------------------------------------------------------------------------------------
# Newcombe difference interval
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.05, 0.01, 0.1])
def test_newcombe_matches_statsmodels_random(alpha: float) -> None:
    rng = np.random.default_rng(301)
    x1, n1 = random_counts(rng, 2000)
    x2, n2 = random_counts(rng, 2000)
    x1[:100] = 0
    x2[50:150] = n2[50:150]
    lo, hi = newcombe_difference_interval(x1, n1, x2, n2, alpha)
    ref_lo, ref_hi = confint_proportions_2indep(
        x1, n1, x2, n2, method="newcomb", compare="diff", alpha=alpha
    )
    close(lo, ref_lo)
    close(hi, ref_hi)


def test_newcombe_weighted_counts() -> None:
    rng = np.random.default_rng(302)
    n1 = rng.uniform(1, 300, 1000)
    n2 = rng.uniform(1, 300, 1000)
    x1 = rng.uniform(0, 1, 1000) * n1
    x2 = rng.uniform(0, 1, 1000) * n2
    lo, hi = newcombe_difference_interval(x1, n1, x2, n2)
    ref_lo, ref_hi = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb")
    close(lo, ref_lo)
    close(hi, ref_hi)


def test_newcombe_published_example() -> None:
    # Newcombe (1998), Table II, example (a): 56/70 vs 48/80, method 10: 0.0524 to 0.3339.
    lo, hi = newcombe_difference_interval(56, 70, 48, 80)
    np.testing.assert_allclose([lo, hi], [0.0524, 0.3339], atol=5e-5)
    # Example (e): 0/10 vs 0/20 gives -0.1611 to 0.2775.
    lo, hi = newcombe_difference_interval(0, 10, 0, 20)
    np.testing.assert_allclose([lo, hi], [-0.1611, 0.2775], atol=5e-5)


def test_newcombe_edge_cases() -> None:
    x1 = np.array([0, 1, 0, 1, 10**9, 0, 3, 2])
    n1 = np.array([1, 1, 10**12, 1, 10**12, 0, 4, 5])
    x2 = np.array([1, 0, 10**12, 1, 2 * 10**9, 3, 0, 6])
    n2 = np.array([1, 1, 10**12, 1, 10**12, 5, 0, 5])
    lo, hi = newcombe_difference_interval(x1, n1, x2, n2)
    ok = slice(0, 5)
    ref_lo, ref_hi = confint_proportions_2indep(x1[ok], n1[ok], x2[ok], n2[ok], method="newcomb")
    close(lo[ok], ref_lo)
    close(hi[ok], ref_hi)
    assert np.isnan(lo[5:]).all()
    assert np.isnan(hi[5:]).all()
    assert lo[0] >= -1.0
    assert hi[1] <= 1.0


@settings(max_examples=150, deadline=None)
@given(g1=float_counts(), g2=float_counts())
def test_newcombe_property(g1: tuple[float, float], g2: tuple[float, float]) -> None:
    (x1, n1), (x2, n2) = g1, g2
    lo, hi = newcombe_difference_interval(x1, n1, x2, n2)
    ref_lo, ref_hi = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb")
    close(lo, ref_lo)
    close(hi, ref_hi)
    diff = x1 / n1 - x2 / n2
    assert -1.0 - 1e-12 <= lo <= diff + 1e-12
    assert diff - 1e-12 <= hi <= 1.0 + 1e-12
    # Swapping the groups mirrors the interval.
    lo_s, hi_s = newcombe_difference_interval(x2, n2, x1, n1)
    np.testing.assert_allclose([lo_s, hi_s], [-hi, -lo], rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------------------------------
# Ratio (Katz log) interval
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.05, 0.01])
def test_ratio_matches_statsmodels_random(alpha: float) -> None:
    rng = np.random.default_rng(401)
    n1 = rng.integers(1, 5000, 2000)
    n2 = rng.integers(1, 5000, 2000)
    x1 = rng.integers(1, n1 + 1)
    x2 = rng.integers(1, n2 + 1)
    x1[:100] = n1[:100]
    lo, hi = ratio_interval(x1, n1, x2, n2, alpha)
    ref_lo, ref_hi = confint_proportions_2indep(
        x1, n1, x2, n2, compare="ratio", method="log", alpha=alpha
    )
    close(lo, ref_lo)
    close(hi, ref_hi)


def test_ratio_weighted_counts() -> None:
    rng = np.random.default_rng(402)
    n1 = rng.uniform(1, 300, 1000)
    n2 = rng.uniform(1, 300, 1000)
    x1 = rng.uniform(0.01, 1, 1000) * n1
    x2 = rng.uniform(0.01, 1, 1000) * n2
    lo, hi = ratio_interval(x1, n1, x2, n2)
    ref_lo, ref_hi = confint_proportions_2indep(x1, n1, x2, n2, compare="ratio", method="log")
    close(lo, ref_lo)
    close(hi, ref_hi)


def test_ratio_known_value() -> None:
    # 20/100 vs 10/100: log RR = log 2, var = 1/20 - 1/100 + 1/10 - 1/100 = 0.13.
    lo, hi = ratio_interval(20, 100, 10, 100)
    z = stats.norm.ppf(0.975)
    close([lo, hi], [2 * np.exp(-z * np.sqrt(0.13)), 2 * np.exp(z * np.sqrt(0.13))])


def test_ratio_zero_counts_are_nan() -> None:
    x1 = np.array([0, 5, 0, 5, 3, 1])
    n1 = np.array([10, 10, 10, 0, 3, 1])
    x2 = np.array([5, 0, 0, 5, 2, 1])
    n2 = np.array([10, 10, 10, 10, 2, 1])
    lo, hi = ratio_interval(x1, n1, x2, n2)
    assert np.isnan(lo[:4]).all()
    assert np.isnan(hi[:4]).all()
    # Both rates equal to one: zero variance, the interval collapses to 1 (as statsmodels).
    close(lo[4:], [1.0, 1.0])
    close(hi[4:], [1.0, 1.0])


@settings(max_examples=150, deadline=None)
@given(g1=float_counts(min_n=0.5), g2=float_counts(min_n=0.5))
def test_ratio_property(g1: tuple[float, float], g2: tuple[float, float]) -> None:
    (x1, n1), (x2, n2) = g1, g2
    lo, hi = ratio_interval(x1, n1, x2, n2)
    if x1 == 0 or x2 == 0:
        assert np.isnan(lo)
        assert np.isnan(hi)
        return
    with np.errstate(over="ignore"):  # exp overflows to inf for tiny counts, in both
        ref_lo, ref_hi = confint_proportions_2indep(x1, n1, x2, n2, compare="ratio", method="log")
    close(lo, ref_lo)
    close(hi, ref_hi)
    ratio = (x1 / n1) / (x2 / n2)
    assert lo <= ratio * (1 + 1e-12)
    assert ratio <= hi * (1 + 1e-12)


# ---------------------------------------------------------------------------------------
# Normal interval
# ---------------------------------------------------------------------------------------


def test_normal_interval_matches_scipy() -> None:
    rng = np.random.default_rng(501)
    est = rng.normal(size=500)
    var = rng.exponential(size=500)
    for alpha in (0.05, 0.01, 0.5):
        lo, hi = normal_interval(est, var, alpha)
        ref_lo, ref_hi = stats.norm.interval(1 - alpha, loc=est, scale=np.sqrt(var))
        close(lo, ref_lo)
        close(hi, ref_hi)


def test_normal_interval_edge_cases() -> None:
    lo, hi = normal_interval([0.3, 0.3, np.nan, 0.3, 0.3], [0.0, -1e-3, 1.0, np.inf, np.nan])
    close(lo[0], 0.3)
    close(hi[0], 0.3)
    assert np.isnan(lo[1:]).all()
    assert np.isnan(hi[1:]).all()
