"""Tango's paired-proportion score interval, the paired t interval and the median interval."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from equilens.stats._paired import median_interval, t_mean_interval, tango_interval, tango_statistic


def _score_by_optimizer(delta: float, more: int, less: int, n: int) -> float:
    """Tango's statistic with the restricted MLE found numerically (independent of the
    closed form)."""

    def nll(q: float) -> float:
        return -(
            more * np.log(q + delta)
            + less * np.log(q)
            + (n - more - less) * np.log(1 - 2 * q - delta)
        )

    lo, hi = max(0.0, -delta) + 1e-12, (1.0 - delta) / 2.0 - 1e-12
    q = optimize.minimize_scalar(nll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-14}).x
    return (more - less - n * delta) / np.sqrt(n * (2 * q + delta - delta * delta))


@pytest.mark.parametrize(
    ("more", "less", "n", "delta"),
    [(5, 1, 50, 0.1), (5, 1, 50, -0.05), (0, 3, 20, 0.2), (12, 7, 300, 0.0)],
)
def test_statistic_matches_a_numerical_restricted_mle(
    more: int, less: int, n: int, delta: float
) -> None:
    assert float(tango_statistic(delta, more, less, n)) == pytest.approx(
        _score_by_optimizer(delta, more, less, n), rel=1e-6
    )


def test_statistic_at_zero_is_mcnemar() -> None:
    from statsmodels.stats.contingency_tables import mcnemar

    res = mcnemar([[30, 9], [4, 57]], exact=False, correction=False)
    assert float(tango_statistic(0.0, 9, 4, 100)) ** 2 == pytest.approx(res.statistic)


def test_no_discordant_pairs_gives_a_non_degenerate_interval() -> None:
    lo, hi = tango_interval(0, 0, 10)
    z2 = stats.norm.ppf(0.975) ** 2
    assert float(hi) == pytest.approx(z2 / (10 + z2), abs=1e-9)
    assert float(lo) == pytest.approx(-z2 / (10 + z2), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 40), st.integers(0, 40), st.integers(0, 100))
def test_interval_contains_estimate_and_limits_solve_the_score_equation(
    more: int, less: int, extra: int
) -> None:
    n = more + less + extra
    if n == 0:
        return
    lo, hi = (float(x) for x in tango_interval(more, less, n))
    est = (more - less) / n
    z = stats.norm.ppf(0.975)
    assert -1.0 <= lo <= est <= hi <= 1.0
    if lo > -1.0 + 1e-9:
        assert float(tango_statistic(lo, more, less, n)) == pytest.approx(z, abs=1e-6)
    if hi < 1.0 - 1e-9:
        assert float(tango_statistic(hi, more, less, n)) == pytest.approx(-z, abs=1e-6)


def test_tango_coverage_small_n() -> None:
    """Coverage at 30 pairs, p(more) = 0.15, p(less) = 0.05 (true difference 0.10)."""
    rng = np.random.default_rng(3)
    reps, n = 4000, 30
    cells = rng.multinomial(n, [0.15, 0.05, 0.80], size=reps)
    lo, hi = tango_interval(cells[:, 0], cells[:, 1], n)
    cover = np.mean((lo <= 0.10) & (hi >= 0.10))
    mc = np.sqrt(0.95 * 0.05 / reps)
    assert cover >= 0.95 - 3 * mc, cover


def test_t_interval_matches_scipy() -> None:
    x = np.random.default_rng(0).normal(0.2, 1.0, 12)
    mean, lo, hi, stat, p = t_mean_interval(x)
    assert mean == pytest.approx(x.mean())
    ref = stats.ttest_1samp(x, 0.0)
    ci = ref.confidence_interval(0.95)
    assert (lo, hi) == pytest.approx((ci.low, ci.high))
    assert p == pytest.approx(ref.pvalue) and stat == pytest.approx(ref.statistic)
    _, _, _, _, p_g = t_mean_interval(x, null=0.1, alternative="greater")
    assert p_g == pytest.approx(stats.ttest_1samp(x, 0.1, alternative="greater").pvalue)


def test_t_interval_zero_spread() -> None:
    assert t_mean_interval(np.zeros(5)) == (0.0, 0.0, 0.0, None, 1.0)
    # A constant shift: no t statistic; the exact sign-flip p-value, not 0.
    assert t_mean_interval(np.full(5, 0.2), null=0.1, alternative="greater")[3:] == (None, 1 / 32)
    assert t_mean_interval(np.full(5, 0.2))[3:] == (None, 2 / 32)
    assert t_mean_interval(np.full(5, 0.05), null=0.1, alternative="greater")[4] == 1.0


def test_median_interval_order_statistics() -> None:
    med, lo, hi = median_interval(np.arange(10.0))
    # n = 10: [x_(2), x_(9)] has coverage 1 - 2 P(B <= 1) = 0.979; [x_(3), x_(8)] only 0.891.
    assert (med, lo, hi) == (4.5, 1.0, 8.0)
    assert np.isnan(median_interval(np.arange(5.0))[1])


def test_median_interval_coverage_skewed() -> None:
    rng = np.random.default_rng(5)
    x = rng.exponential(1.0, size=(3000, 15))
    cover = np.mean([lo <= np.log(2) <= hi for _, lo, hi in map(median_interval, x)])
    assert cover >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / 3000), cover
