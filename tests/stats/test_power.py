"""Tests for equilens.stats._power against statsmodels' NormalIndPower.

``NormalIndPower().power`` is a closed form, so agreement with it is required to 1e-12.
``NormalIndPower().solve_power`` inverts it with ``brentq_expanding``, whose default
``xtol`` is 1e-5 (absolute, in units of h), so comparisons with the *solved* effect size can
only be as tight as that; the tight check is that statsmodels' own power formula returns the
target power at our h.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.power import NormalIndPower

from equilens.stats._power import (
    achieved_power,
    minimum_detectable_difference,
    minimum_detectable_h,
)
from equilens.stats._significance import cohens_h

SM_POWER = NormalIndPower()
SOLVER_XTOL = 2e-5  # 2 x brentq_expanding's default xtol used by solve_power


def sm_power(h: float, n1: float, n2: float, alpha: float = 0.05) -> float:
    return float(SM_POWER.power(effect_size=h, nobs1=n1, alpha=alpha, ratio=n2 / n1))


# ---------------------------------------------------------------------------------------
# minimum_detectable_h
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("alpha", "power"), [(0.05, 0.8), (0.01, 0.9), (0.1, 0.5), (0.05, 0.2)])
def test_mdh_solves_statsmodels_power_equation(alpha: float, power: float) -> None:
    rng = np.random.default_rng(41)
    n1 = rng.uniform(2, 5000, 200)
    n2 = rng.uniform(2, 50000, 200)
    h = minimum_detectable_h(n1, n2, alpha, power)
    achieved = [sm_power(hi, a, b, alpha) for hi, a, b in zip(h, n1, n2)]
    np.testing.assert_allclose(achieved, power, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("n1", "n2"), [(5, 5), (20, 100), (37.5, 412.25), (1000, 50000), (1e5, 1e6), (3, 1e7)]
)
def test_mdh_matches_statsmodels_solve_power(n1: float, n2: float) -> None:
    h = minimum_detectable_h(n1, n2)
    solved = SM_POWER.solve_power(effect_size=None, nobs1=n1, ratio=n2 / n1, alpha=0.05, power=0.8)
    np.testing.assert_allclose(h, solved, rtol=0, atol=SOLVER_XTOL)


def test_mdh_versus_textbook_closed_form() -> None:
    # (z_{1-a/2} + z_power) sqrt(1/n1 + 1/n2) ignores the far rejection tail, so it is larger
    # by a constant factor, 1 + ~1.2e-6 at alpha = 0.05, power = 0.8.
    n1 = np.array([5.0, 50.0, 5000.0])
    n2 = np.array([7.0, 500.0, 5.0])
    closed = (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * np.sqrt(1 / n1 + 1 / n2)
    ratio = closed / minimum_detectable_h(n1, n2)
    assert np.all(ratio > 1.0)
    np.testing.assert_allclose(ratio, 1.0, rtol=2e-6)
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-13)


def test_mdh_invalid() -> None:
    h = minimum_detectable_h([0, -3, np.nan, 10, np.inf], [10, 10, 10, 0, 10])
    assert np.isnan(h).all()
    with pytest.raises(ValueError, match="power"):
        minimum_detectable_h(10, 10, alpha=0.05, power=0.05)
    with pytest.raises(ValueError, match="power"):
        minimum_detectable_h(10, 10, alpha=0.05, power=1.0)
    with pytest.raises(ValueError, match="alpha"):
        minimum_detectable_h(10, 10, alpha=0.0)


# ---------------------------------------------------------------------------------------
# minimum_detectable_difference
# ---------------------------------------------------------------------------------------


def test_mdd_is_the_closer_fitting_direction() -> None:
    rng = np.random.default_rng(42)
    p_ref = rng.uniform(0, 1, 2000)
    p_ref[:4] = [0.0, 1.0, 0.5, 1e-9]
    n_group = rng.uniform(5, 3000, 2000)
    n_ref = rng.uniform(5, 30000, 2000)
    mdd = minimum_detectable_difference(p_ref, n_group, n_ref)
    h = minimum_detectable_h(n_group, n_ref)
    ok = ~np.isnan(mdd)
    assert ok.sum() > 1900
    up = p_ref + mdd
    down = p_ref - mdd
    h_up = np.abs(cohens_h(np.minimum(up, 1.0), p_ref))
    h_down = np.abs(cohens_h(np.maximum(down, 0.0), p_ref))
    # One of the two candidates hits h exactly (up to rounding)...
    hit_up = np.isclose(h_up, h, rtol=1e-9, atol=0) & (up <= 1.0 + 1e-12)
    hit_down = np.isclose(h_down, h, rtol=1e-9, atol=0) & (down >= -1e-12)
    assert np.all((hit_up | hit_down)[ok])
    # ...and it is the smaller difference among the directions that stay in [0, 1].
    phi = 2 * np.arcsin(np.sqrt(p_ref))
    d_up = np.where(phi + h <= np.pi, np.sin((phi + h) / 2) ** 2 - p_ref, np.inf)
    d_down = np.where(phi - h >= 0, p_ref - np.sin((phi - h) / 2) ** 2, np.inf)
    np.testing.assert_allclose(mdd[ok], np.minimum(d_up, d_down)[ok], rtol=1e-12, atol=1e-15)
    assert np.array_equal(~ok, np.isinf(np.minimum(d_up, d_down)))


def test_mdd_power_at_the_detectable_rate_is_the_target() -> None:
    rng = np.random.default_rng(43)
    p_ref = rng.uniform(0.01, 0.99, 300)
    n_group = rng.uniform(20, 3000, 300)
    n_ref = rng.uniform(20, 30000, 300)
    mdd = minimum_detectable_difference(p_ref, n_group, n_ref)
    ok = ~np.isnan(mdd)
    for p, d, a, b in zip(p_ref[ok], mdd[ok], n_group[ok], n_ref[ok]):
        candidates = [q for q in (p + d, p - d) if 0.0 <= q <= 1.0]
        powers = [float(achieved_power(q, p, a, b)) for q in candidates]
        assert min(abs(pw - 0.8) for pw in powers) < 1e-9


def test_mdd_known_values_and_boundaries() -> None:
    h = float(minimum_detectable_h(100, 100))
    # p_ref = 0: only upward; p = sin^2(h / 2).
    # p_ref = 1: only downward; p = cos^2(h / 2).
    # p_ref = 0.5: symmetric.
    mdd = minimum_detectable_difference([0.0, 1.0, 0.5], 100, 100)
    np.testing.assert_allclose(mdd[0], np.sin(h / 2) ** 2, rtol=1e-13)
    np.testing.assert_allclose(mdd[1], 1 - np.cos(h / 2) ** 2, rtol=1e-13)
    np.testing.assert_allclose(mdd[2], 0.5 - np.sin((np.pi / 2 - h) / 2) ** 2, rtol=1e-13)
    # Symmetry p <-> 1 - p.
    p = np.linspace(0, 1, 41)
    np.testing.assert_allclose(
        minimum_detectable_difference(p, 50, 400),
        minimum_detectable_difference(1 - p, 50, 400),
        rtol=1e-10,
    )
    # For p_ref < 0.5 the downward difference is the smaller one when it fits.
    p_ref = 0.3
    d = float(minimum_detectable_difference(p_ref, 200, 2000))
    np.testing.assert_allclose(
        abs(float(cohens_h(p_ref - d, p_ref))), minimum_detectable_h(200, 2000), rtol=1e-10
    )


def test_mdd_undefined_cases() -> None:
    # n = 1 on each side: h > pi, so no rate in [0, 1] is far enough from any p_ref.
    assert float(minimum_detectable_h(1, 1)) > np.pi
    out = minimum_detectable_difference([0.5, 0.0, 1.0], 1, 1)
    assert np.isnan(out).all()
    out = minimum_detectable_difference([-0.1, 1.1, np.nan, 0.3, 0.3], [50, 50, 50, 0, 50], 50)
    assert np.isnan(out[:4]).all()
    assert np.isfinite(out[4])


def test_mdd_decreases_with_sample_size_and_shapes() -> None:
    n = np.array([10, 30, 100, 300, 1000, 10**4, 10**6, 10**9])
    mdd = minimum_detectable_difference(0.2, n, 10 * n)
    assert np.all(np.diff(mdd) < 0)
    # Large samples: ~ c * sqrt(p (1 - p) (1/n1 + 1/n2)) on the proportion scale.
    c = float(minimum_detectable_h(1, 1)) / np.sqrt(2)
    approx = c * np.sqrt(0.16 * (1 / n[-1] + 1 / (10 * n[-1])))
    np.testing.assert_allclose(mdd[-1], approx, rtol=1e-4)
    grid = minimum_detectable_difference(np.array([[0.1], [0.5]]), np.array([20, 200, 2000]), 500)
    assert grid.shape == (2, 3)


# ---------------------------------------------------------------------------------------
# achieved_power
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.05, 0.01, 0.2])
def test_achieved_power_matches_statsmodels(alpha: float) -> None:
    rng = np.random.default_rng(44)
    p1 = rng.uniform(0, 1, 300)
    p2 = rng.uniform(0, 1, 300)
    n1 = rng.uniform(2, 5000, 300)
    n2 = rng.uniform(2, 5000, 300)
    power = achieved_power(p1, p2, n1, n2, alpha)
    h = np.abs(cohens_h(p1, p2))
    ref = [sm_power(hi, a, b, alpha) for hi, a, b in zip(h, n1, n2)]
    np.testing.assert_allclose(power, ref, rtol=1e-12, atol=1e-14)


def test_achieved_power_edges() -> None:
    power = achieved_power([0.3, 0.0, 0.2, 0.2, 1.2, 0.3], [0.3, 1.0, 0.3, 0.3, 0.3, 0.4], 50, 50)
    np.testing.assert_allclose(power[0], 0.05, rtol=1e-12)  # no difference: power = alpha
    np.testing.assert_allclose(power[1], 1.0, rtol=1e-12)  # h = pi with n = 50
    close_12 = achieved_power(0.2, 0.3, [50, 0, -1, np.nan], 50)
    assert np.isfinite(close_12[0])
    assert np.isnan(close_12[1:]).all()
    assert np.isnan(power[4])
    # Symmetric in the two groups.
    np.testing.assert_allclose(
        achieved_power(0.2, 0.35, 40, 400), achieved_power(0.35, 0.2, 400, 40), rtol=1e-13
    )


@settings(max_examples=150, deadline=None)
@given(
    p_ref=st.floats(0.0, 1.0),
    n_group=st.floats(2.0, 1e6),
    n_ref=st.floats(2.0, 1e6),
    power=st.sampled_from([0.5, 0.8, 0.9, 0.95]),
)
def test_mdd_property(p_ref: float, n_group: float, n_ref: float, power: float) -> None:
    d = float(minimum_detectable_difference(p_ref, n_group, n_ref, power=power))
    h = float(minimum_detectable_h(n_group, n_ref, power=power))
    assert sm_power(h, n_group, n_ref) == pytest.approx(power, abs=1e-12)
    if np.isnan(d):
        phi = 2 * np.arcsin(np.sqrt(p_ref))
        assert phi + h > np.pi
        assert phi - h < 0
        return
    assert 0.0 < d <= 1.0
    fits = [q for q in (p_ref + d, p_ref - d) if -1e-12 <= q <= 1 + 1e-12]
    assert fits
    assert any(
        abs(abs(float(cohens_h(min(max(q, 0.0), 1.0), p_ref))) - h) <= 1e-7 * max(h, 1.0)
        for q in fits
    )
