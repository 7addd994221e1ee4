"""Drift scores and the sequential detector against independent implementations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats
from statsmodels.stats.proportion import proportion_confint

from equilens.monitor import (
    RateNull,
    chi_square_counts,
    clopper_pearson,
    ks_binned,
    log_sr_path,
    psi,
    psi_interval,
)
from equilens.monitor._drift import quantile_groups
from equilens.monitor._sequential import log_mixture_ratio, wilson_interval


@pytest.mark.parametrize("seed", range(5))
def test_chi_square_equals_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 8))
    r = rng.integers(0, 50, k).astype(float)
    c = rng.integers(0, 50, k).astype(float)
    r[0] += 1
    c[1] += 1
    keep = (r + c) > 0
    expected = stats.chi2_contingency(np.vstack([r[keep], c[keep]]), correction=False)
    got = chi_square_counts(r, c)
    assert got.value == pytest.approx(expected.statistic, rel=1e-10)
    assert got.p_value == pytest.approx(expected.pvalue, rel=1e-8)
    assert got.dof == expected.dof


def test_chi_square_drops_empty_categories_and_handles_one_category() -> None:
    assert chi_square_counts(np.array([5.0, 0, 3]), np.array([2.0, 0, 4])).dof == 1
    assert math.isnan(chi_square_counts(np.array([5.0]), np.array([3.0])).value)


@pytest.mark.parametrize("seed", range(5))
def test_ks_binned_equals_scipy_on_values_at_the_bins(seed: int) -> None:
    rng = np.random.default_rng(seed)
    bins = 30
    a = rng.integers(0, bins, int(rng.integers(20, 400)))
    b = np.minimum(
        rng.integers(0, bins, int(rng.integers(20, 400))) + int(rng.integers(0, 3)), bins - 1
    )
    got = ks_binned(
        np.bincount(a, minlength=bins).astype(float), np.bincount(b, minlength=bins).astype(float)
    )
    ref = stats.ks_2samp(a, b, method="asymp")
    assert got.value == pytest.approx(ref.statistic, abs=1e-12)
    assert got.p_value == pytest.approx(ref.pvalue, rel=1e-8)


@given(st.lists(st.integers(0, 100), min_size=2, max_size=12))
@settings(max_examples=50, deadline=None)
def test_psi_is_zero_on_equal_shares_and_nonnegative(counts: list[int]) -> None:
    r = np.asarray(counts, dtype=float)
    if r.sum() == 0:
        assert math.isnan(psi(r, r))
        return
    assert psi(r, 3 * r) == pytest.approx(0.0, abs=1e-12)
    c = r[::-1].copy()
    assert psi(r, c) >= 0
    assert psi(r, c) == pytest.approx(psi(c, r))  # symmetric


def test_psi_matches_the_formula_with_epsilon() -> None:
    r, c = np.array([50.0, 30, 20, 0]), np.array([40.0, 40, 10, 10])
    rp, cp = np.maximum(r / 100, 1e-4), np.maximum(c / 100, 1e-4)
    assert psi(r, c) == pytest.approx(float(np.sum((cp - rp) * np.log(cp / rp))))
    ci = psi_interval(r * 10, c * 10)
    assert ci.ci_low is not None and ci.ci_high is not None
    assert ci.ci_low <= ci.value <= ci.ci_high


def test_quantile_groups_make_deciles_of_a_uniform_histogram() -> None:
    groups = quantile_groups(np.ones(100), 10)
    assert np.array_equal(np.bincount(groups), np.full(10, 10))
    heavy = np.zeros(100)
    heavy[5] = 1000
    heavy[50:] = 1
    assert quantile_groups(heavy, 10).max() < 10  # a heavy bin is never split


@pytest.mark.parametrize(("x", "n"), [(0, 10), (10, 10), (3, 17), (40, 1000)])
def test_clopper_pearson_and_wilson_equal_statsmodels(x: int, n: int) -> None:
    lo, hi = proportion_confint(x, n, alpha=0.01, method="beta")
    assert clopper_pearson(x, n, 0.01) == pytest.approx((lo, hi), abs=1e-10)
    lo, hi = proportion_confint(x, n, alpha=0.05, method="wilson")
    assert wilson_interval(x, n) == pytest.approx((lo, hi), abs=1e-10)


@pytest.mark.parametrize(("x", "n"), [(0, 5), (7, 20), (20, 20), (130, 400)])
def test_mixture_ratio_equals_numerical_integration(x: int, n: int) -> None:
    null = RateNull(0.2, 0.35, 2.0, 5.0, 10.0)
    marginal, _ = integrate.quad(
        lambda p: stats.beta.pdf(p, 2.0, 5.0) * p**x * (1 - p) ** (n - x), 0, 1, epsabs=0, limit=200
    )
    grid = np.linspace(0.2, 0.35, 20001)
    null_max = np.max(special.xlogy(x, grid) + special.xlog1py(n - x, -grid))
    expected = math.log(marginal) - null_max
    got = float(log_mixture_ratio(np.array([x]), np.array([n]), null)[0])
    assert got == pytest.approx(expected, abs=1e-6)


def test_sr_path_equals_the_sum_over_start_points() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 30, 12).astype(float)
    n = x + rng.integers(0, 60, 12)
    n[4] = x[4] = 0  # an empty look adds nothing
    null = RateNull.from_reference(40, 200, alpha_stream=0.01, horizon=12, min_shift=0.05)
    log_r, start = log_sr_path(x, n, null)
    for t in range(1, 13):
        terms = [
            float(log_mixture_ratio(np.array([x[k:t].sum()]), np.array([n[k:t].sum()]), null)[0])
            for k in range(t)
        ]
        assert log_r[t - 1] == pytest.approx(float(special.logsumexp(terms)))
        assert start[t - 1] == int(np.argmax(terms))


def test_doob_bound_holds_for_a_known_null() -> None:
    """P(max_{t<=T} R_t >= A) <= T / A when the true rate is in the null interval."""
    rng = np.random.default_rng(0)
    looks, reps, p = 20, 2000, 0.3
    null = RateNull(p, p, 3.0, 7.0, math.log(80.0))  # A = 80: bound 20 / 80 = 0.25
    n = np.full(looks, 50.0)
    hits = sum(
        bool(
            np.any(
                log_sr_path(rng.binomial(50, p, looks).astype(float), n, null)[0]
                >= null.log_threshold
            )
        )
        for _ in range(reps)
    )
    rate = hits / reps
    assert rate <= 0.25 + 3 * math.sqrt(0.25 * 0.75 / reps)
    assert hits > 0  # the bound is not vacuous at this threshold: false alarms do happen


def test_null_from_reference_covers_the_reference_with_tolerance() -> None:
    null = RateNull.from_reference(
        30, 300, alpha_stream=0.004, horizon=100, min_shift=0.05, tolerance=0.02
    )
    lo, hi = clopper_pearson(30, 300, 0.002)
    assert (null.low, null.high) == pytest.approx((lo - 0.02, hi + 0.02))
    assert null.log_threshold == pytest.approx(math.log(2 * 100 / 0.004))
    assert null.prior_a / (null.prior_a + null.prior_b) == pytest.approx(0.1)
