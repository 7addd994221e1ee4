"""Differential and property tests for equilens.stats._significance.

References: scipy's ``chi2_contingency(correction=False)`` and ``fisher_exact``, statsmodels'
``mcnemar``, ``Table2x2`` and ``proportion_effectsize``.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.stats.contingency import expected_freq
from statsmodels.stats.contingency_tables import Table2x2, mcnemar
from statsmodels.stats.proportion import proportion_effectsize

from equilens.stats._significance import (
    cohens_h,
    mcnemar_test,
    odds_ratio,
    risk_difference,
    risk_ratio,
    two_proportion_test,
    z_test,
)

RTOL = 1e-12
ATOL = 1e-14


def close(actual: object, expected: object) -> None:
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)


def scipy_reference(x1: float, n1: float, x2: float, n2: float) -> tuple[float, float, str]:
    """The documented decision rule, written with scipy's own building blocks."""
    table = np.array([[x1, n1 - x1], [x2, n2 - x2]], dtype=float)
    if expected_freq(table).min() >= 5:
        chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
        assert dof == 1
        return float(chi2), float(p), "chi-square"
    res = stats.fisher_exact(np.rint(table).astype(np.int64))
    return float(res.statistic), float(res.pvalue), "fisher-exact"


def check_against_scipy(x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray) -> None:
    stat, p, name = two_proportion_test(x1, n1, x2, n2)
    ref = [scipy_reference(*row) for row in zip(x1, n1, x2, n2)]
    ref_stat, ref_p, ref_name = (np.array(v) for v in zip(*ref))
    assert name.tolist() == ref_name.tolist()
    close(stat, ref_stat)
    close(p, ref_p)


# ---------------------------------------------------------------------------------------
# two_proportion_test
# ---------------------------------------------------------------------------------------


def test_two_proportion_test_small_tables_match_scipy() -> None:
    rng = np.random.default_rng(11)
    n1 = rng.integers(1, 40, 400)
    n2 = rng.integers(1, 40, 400)
    x1 = rng.integers(0, n1 + 1)
    x2 = rng.integers(0, n2 + 1)
    stat, _, name = two_proportion_test(x1, n1, x2, n2)
    # The sample has a healthy mix of both branches, so both are exercised.
    assert 50 < int(np.sum(name == "fisher-exact")) < 350
    # Fisher's statistic is the sample odds ratio, which can be infinite: compare the finite
    # parts numerically and the infinite ones exactly.
    finite = np.isfinite(stat)
    assert not finite.all()
    check_against_scipy(x1[finite], n1[finite], x2[finite], n2[finite])
    _, p, _ = two_proportion_test(x1, n1, x2, n2)
    for i in np.flatnonzero(~finite):
        ref_stat, ref_p, ref_name = scipy_reference(x1[i], n1[i], x2[i], n2[i])
        assert name[i] == ref_name
        assert stat[i] == ref_stat or (np.isnan(stat[i]) and np.isnan(ref_stat))
        close(p[i], ref_p)


def test_two_proportion_test_large_tables_match_scipy() -> None:
    rng = np.random.default_rng(12)
    n1 = rng.integers(50, 100_000, 500)
    n2 = rng.integers(50, 100_000, 500)
    p1 = rng.uniform(0.05, 0.95, 500)
    x1 = rng.binomial(n1, p1)
    x2 = rng.binomial(n2, np.clip(p1 + rng.normal(0, 0.02, 500), 0.01, 0.99))
    check_against_scipy(x1, n1, x2, n2)
    assert (two_proportion_test(x1, n1, x2, n2)[2] == "chi-square").all()


def test_two_proportion_test_weighted_counts() -> None:
    rng = np.random.default_rng(13)
    n1 = rng.uniform(1, 200, 300)
    n2 = rng.uniform(1, 200, 300)
    x1 = rng.uniform(0, 1, 300) * n1
    x2 = rng.uniform(0, 1, 300) * n2
    stat, p, name = two_proportion_test(x1, n1, x2, n2)
    chi = name == "chi-square"
    assert 30 < chi.sum() < 290
    # The chi-square branch uses the unrounded effective counts.
    check_against_scipy(x1[chi], n1[chi], x2[chi], n2[chi])
    # The Fisher branch rounds each cell.
    for i in np.flatnonzero(name == "fisher-exact"):
        cells = np.rint([[x1[i], n1[i] - x1[i]], [x2[i], n2[i] - x2[i]]]).astype(np.int64)
        res = stats.fisher_exact(cells)
        close(p[i], res.pvalue)
        assert stat[i] == res.statistic or np.isnan(stat[i]) == np.isnan(res.statistic)


def test_two_proportion_test_threshold_is_inclusive() -> None:
    # 10/20 vs 10/20: every expected count is exactly 5, so chi-square (statistic 0, p = 1).
    stat, p, name = two_proportion_test(10, 20, 10, 20)
    assert str(name) == "chi-square"
    assert stat == 0.0
    assert p == 1.0
    # 4/20 vs 6/20: expected successes 5, failures 15: chi-square. 4/19 vs 5/19: 4.5 < 5.
    assert str(two_proportion_test(4, 20, 6, 20)[2]) == "chi-square"
    assert str(two_proportion_test(4, 19, 5, 19)[2]) == "fisher-exact"


def test_two_proportion_test_known_values() -> None:
    # Pearson chi-square by hand: N (ad - bc)^2 / (n1 n2 c1 c2).
    a, b, c, d = 30, 70, 50, 50
    chi2 = 200 * (a * d - b * c) ** 2 / (100 * 100 * 80 * 120)
    stat, p, _ = two_proportion_test(a, a + b, c, c + d)
    close(stat, chi2)
    close(p, stats.chi2.sf(chi2, 1))
    # Fisher's tea-tasting table, two-sided p = 34/70.
    stat, p, name = two_proportion_test(3, 4, 1, 4)
    assert str(name) == "fisher-exact"
    close(p, 34 / 70)
    close(stat, 9.0)


def test_two_proportion_test_undefined_and_degenerate() -> None:
    x1 = np.array([0, 3, 0, 0, 5, -1, 6, np.nan, 0.2])
    n1 = np.array([0, 5, 10, 10, 5, 5, 5, 5, 0.4])
    x2 = np.array([3, 0, 0, 20, 7, 2, 2, 2, 1])
    n2 = np.array([5, 0, 20, 20, 7, 5, 5, 5, 3])
    stat, p, name = two_proportion_test(x1, n1, x2, n2)
    # Empty rows and invalid data: undefined.
    for i in (0, 1, 5, 6, 7, 8):
        assert np.isnan(stat[i])
        assert np.isnan(p[i])
        assert name[i] == "none"
    # Zero column margin (no successes anywhere, or no failures anywhere): scipy's p = 1.
    for i in (2, 4):
        assert np.isnan(stat[i])
        assert p[i] == 1.0
        assert name[i] == "fisher-exact"
        assert stats.fisher_exact([[x1[i], n1[i] - x1[i]], [x2[i], n2[i] - x2[i]]]).pvalue == 1.0
    # A zero cell that is not a whole margin: a genuine test with an infinite odds ratio.
    assert np.isinf(stat[3]) or stat[3] == 0.0
    close(p[3], stats.fisher_exact([[0, 10], [20, 0]]).pvalue)


def test_two_proportion_test_huge_n() -> None:
    x1 = np.array([10**9, 3 * 10**11, 5 * 10**11])
    n1 = np.array([10**10, 10**12, 10**12])
    x2 = np.array([10**9 + 10**5, 3 * 10**11 + 10**6, 5 * 10**11])
    n2 = np.array([10**10, 10**12, 10**12])
    check_against_scipy(x1, n1, x2, n2)


def test_two_proportion_test_shapes() -> None:
    stat, p, name = two_proportion_test(np.array([[1], [30]]), 50, np.array([2, 40]), 60)
    assert stat.shape == p.shape == name.shape == (2, 2)
    # 1/50 vs 2/60 has expected successes below 5; the other three tables do not.
    assert name.tolist() == [["fisher-exact", "chi-square"], ["chi-square", "chi-square"]]
    s0, p0, n0 = two_proportion_test(3, 10, 7, 12)
    assert s0.shape == p0.shape == n0.shape == ()


@settings(max_examples=200, deadline=None)
@given(
    n1=st.integers(1, 300),
    n2=st.integers(1, 300),
    f1=st.floats(0, 1),
    f2=st.floats(0, 1),
)
def test_two_proportion_test_property(n1: int, n2: int, f1: float, f2: float) -> None:
    x1, x2 = round(f1 * n1), round(f2 * n2)
    stat, p, name = two_proportion_test(x1, n1, x2, n2)
    ref_stat, ref_p, ref_name = scipy_reference(x1, n1, x2, n2)
    assert str(name) == ref_name
    close(p, ref_p)
    np.testing.assert_allclose(stat, ref_stat, rtol=RTOL, atol=ATOL)  # handles inf / nan
    assert 0.0 <= p <= 1.0
    # Swapping the groups leaves the p-value unchanged.
    close(two_proportion_test(x2, n2, x1, n1)[1], p)


# ---------------------------------------------------------------------------------------
# z_test
# ---------------------------------------------------------------------------------------


def test_z_test_matches_scipy() -> None:
    rng = np.random.default_rng(21)
    diff = rng.normal(0, 0.1, 1000)
    se = rng.uniform(0.001, 0.1, 1000)
    z, p = z_test(diff, se)
    close(z, diff / se)
    close(p, 2 * stats.norm.sf(np.abs(diff / se)))


def test_z_test_known_values_and_edges() -> None:
    z, p = z_test([1.959963984540054, -1.959963984540054, 0.0, 30.0, 1.0, 1.0, np.nan], 1.0)
    close(z[:4], [1.959963984540054, -1.959963984540054, 0.0, 30.0])
    close(p[:3], [0.05, 0.05, 1.0])
    # Far tail keeps relative precision (1 - cdf would be 0).
    close(p[3], 2 * stats.norm.sf(30.0))
    assert p[3] > 0
    _, p_bad = z_test([1.0, 1.0, 1.0, 1.0], [0.0, -1.0, np.nan, np.inf])
    assert np.isnan(p_bad).all()
    assert np.isnan(z[6])
    assert np.isnan(p[6])


# ---------------------------------------------------------------------------------------
# Effect sizes
# ---------------------------------------------------------------------------------------


def test_cohens_h_matches_statsmodels() -> None:
    rng = np.random.default_rng(31)
    p1 = rng.uniform(0, 1, 1000)
    p2 = rng.uniform(0, 1, 1000)
    p1[:5] = [0, 1, 0, 1, 0.5]
    p2[:5] = [1, 0, 0, 1, 0.5]
    h = cohens_h(p1, p2)
    close(h, proportion_effectsize(p1, p2))
    close(h[:2], [-np.pi, np.pi])
    close(cohens_h(p2, p1), -h)


def test_cohens_h_invalid_is_nan() -> None:
    assert np.isnan(cohens_h([-0.1, 1.1, np.nan, 0.5], [0.5, 0.5, 0.5, 2.0])).all()


def test_odds_ratio_matches_statsmodels() -> None:
    rng = np.random.default_rng(32)
    n1 = rng.integers(2, 1000, 500)
    n2 = rng.integers(2, 1000, 500)
    x1 = rng.integers(1, n1)
    x2 = rng.integers(1, n2)
    ref = [
        Table2x2(np.array([[a, n - a], [c, m - c]], dtype=float), shift_zeros=False).oddsratio
        for a, n, c, m in zip(x1, n1, x2, n2)
    ]
    close(odds_ratio(x1, n1, x2, n2), ref)
    # Weighted counts.
    close(odds_ratio(2.5, 10.0, 4.0, 7.5), (2.5 * 3.5) / (7.5 * 4.0))


def test_odds_ratio_zero_cells_are_nan() -> None:
    # Each of the four cells zero in turn, then an empty group.
    result = odds_ratio([0, 5, 3, 3, 0], [5, 5, 5, 5, 0], [2, 2, 0, 4, 2], [4, 4, 4, 4, 4])
    assert np.isnan(result).all()


def test_risk_difference_and_ratio() -> None:
    rng = np.random.default_rng(33)
    n1 = rng.integers(1, 1000, 500)
    n2 = rng.integers(1, 1000, 500)
    x1 = rng.integers(0, n1 + 1)
    x2 = rng.integers(1, n2 + 1)
    close(risk_difference(x1, n1, x2, n2), x1 / n1 - x2 / n2)
    ref = [
        Table2x2(np.array([[a, n - a], [c, m - c]], dtype=float), shift_zeros=False).riskratio
        for a, n, c, m in zip(x1, n1, x2, n2)
    ]
    close(risk_ratio(x1, n1, x2, n2), ref)


def test_risk_ratio_and_difference_undefined() -> None:
    rr = risk_ratio([0, 3, 3, 3, 2], [5, 5, 0, 5, 1], [2, 0, 2, 2, 1], [5, 5, 5, 0, 1])
    assert rr[0] == 0.0
    assert np.isnan(rr[1:4]).all()
    assert np.isnan(rr[4])  # x1 > n1 is invalid data
    rd = risk_difference([0, 3, 3], [5, 0, 5], [2, 1, 2], [5, 5, 0])
    close(rd[0], -0.4)
    assert np.isnan(rd[1:]).all()


# ---------------------------------------------------------------------------------------
# McNemar
# ---------------------------------------------------------------------------------------


def statsmodels_mcnemar(b: float, c: float, exact: bool) -> tuple[float, float]:
    table = np.array([[10, b], [c, 10]])
    res = mcnemar(table, exact=exact, correction=False)
    return float(res.statistic), float(res.pvalue)


def test_mcnemar_grid_matches_statsmodels() -> None:
    b, c = np.meshgrid(np.arange(0, 41), np.arange(0, 41))
    b, c = b.ravel(), c.ravel()
    stat, p, name = mcnemar_test(b, c)
    exact = (b + c) < 25
    assert (name[exact] == "mcnemar-exact").all()
    assert (name[~exact] == "mcnemar-chi-square").all()
    ref = np.array([statsmodels_mcnemar(bi, ci, e) for bi, ci, e in zip(b, c, exact)])
    close(stat, ref[:, 0])
    close(p, ref[:, 1])


def test_mcnemar_known_values() -> None:
    # b + c = 0: no discordant pairs, statsmodels' exact test gives p = 1.
    stat, p, name = mcnemar_test(0, 0)
    assert (float(stat), float(p), str(name)) == (0.0, 1.0, "mcnemar-exact")
    # b = 0, c = 10: p = 2 * 0.5^10.
    close(mcnemar_test(0, 10)[1], 2 * 0.5**10)
    # Chi-square branch: (b - c)^2 / (b + c).
    stat, p, name = mcnemar_test(30, 12)
    close(stat, 18**2 / 42)
    assert str(name) == "mcnemar-chi-square"


def test_mcnemar_large_and_weighted() -> None:
    b = np.array([10**9, 123.4, 30.0, 12.6])
    c = np.array([10**9 + 10**5, 99.9, 40.5, 3.4])
    stat, p, name = mcnemar_test(b, c)
    for i in range(3):
        ref = statsmodels_mcnemar(b[i], c[i], exact=False)
        close([stat[i], p[i]], ref)
    # 12.6 + 3.4 = 16 < 25: exact on the rounded counts 13 and 3.
    assert name[3] == "mcnemar-exact"
    close([stat[3], p[3]], statsmodels_mcnemar(13, 3, exact=True))


def test_mcnemar_invalid_is_nan() -> None:
    stat, p, name = mcnemar_test([-1, np.nan, 3], [2, 2, np.inf])
    assert np.isnan(stat).all()
    assert np.isnan(p).all()
    assert name.tolist() == ["none"] * 3


@settings(max_examples=200, deadline=None)
@given(b=st.integers(0, 500), c=st.integers(0, 500))
def test_mcnemar_property(b: int, c: int) -> None:
    stat, p, name = mcnemar_test(b, c)
    exact = b + c < 25
    assert str(name) == ("mcnemar-exact" if exact else "mcnemar-chi-square")
    close([stat, p], statsmodels_mcnemar(b, c, exact))
    close(mcnemar_test(c, b)[1], p)
    assert 0.0 <= p <= 1.0
