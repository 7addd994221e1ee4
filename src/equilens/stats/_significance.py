"""Vectorised significance tests and effect sizes for comparing rates between groups.

All functions broadcast their array arguments (numpy rules) and return float64 arrays of the
broadcast shape (0-d for scalar input); test names come back as numpy arrays of ``str``.
Undefined elements are NaN (with test name ``"none"`` where no test could be run); nothing
here raises for them. Counts may be non-integer effective counts from weighted data: the
asymptotic (chi-square) branches use them as they are, the exact branches round them to the
nearest integer (``numpy.rint``, halves to even) because exact tests are defined on integer
tables.

References
----------
Agresti, A. (2013). *Categorical Data Analysis*, 3rd ed., Wiley (sections 3.5 and 11.1).

Cohen, J. (1988). *Statistical Power Analysis for the Behavioral Sciences*, 2nd ed.,
section 6.2 (the arcsine effect size h).

DeLong, E. R., DeLong, D. M. & Clarke-Pearson, D. L. (1988). Comparing the areas under two
or more correlated receiver operating characteristic curves. *Biometrics* 44(3), 837-845.

Fisher, R. A. (1935). The logic of inductive inference. *JRSS* 98(1), 39-82.

McNemar, Q. (1947). Note on the sampling error of the difference between correlated
proportions or percentages. *Psychometrika* 12(2), 153-157.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from equilens.stats._intervals import _valid_counts, as_float_arrays

__all__ = [
    "CHI_SQUARE",
    "FISHER_EXACT",
    "MCNEMAR_CHI_SQUARE",
    "MCNEMAR_EXACT",
    "MCNEMAR_EXACT_MAX_DISCORDANT",
    "MIN_EXPECTED_COUNT",
    "NO_TEST",
    "cohens_h",
    "mcnemar_test",
    "odds_ratio",
    "risk_difference",
    "risk_ratio",
    "two_proportion_test",
    "z_test",
]

FloatArray = NDArray[np.float64]
StrArray = NDArray[np.str_]

#: Test name: Pearson chi-square on the 2x2 table, no continuity correction.
CHI_SQUARE = "chi-square"
#: Test name: Fisher's exact test, two-sided.
FISHER_EXACT = "fisher-exact"
#: Test name: exact binomial McNemar test on the discordant pairs.
MCNEMAR_EXACT = "mcnemar-exact"
#: Test name: McNemar chi-square test without continuity correction.
MCNEMAR_CHI_SQUARE = "mcnemar-chi-square"
#: Test name for elements where no test could be run (the result is NaN).
NO_TEST = "none"
#: :func:`two_proportion_test` uses chi-square only if every expected count is at least this.
MIN_EXPECTED_COUNT = 5.0
#: :func:`mcnemar_test` uses the exact test when ``b + c`` is below this.
MCNEMAR_EXACT_MAX_DISCORDANT = 25.0


def _chi2_sf_1df(statistic: FloatArray) -> FloatArray:
    """Upper tail of the chi-square distribution with 1 degree of freedom."""
    return np.asarray(special.chdtrc(1.0, statistic), dtype=np.float64)


def two_proportion_test(
    x1: ArrayLike, n1: ArrayLike, x2: ArrayLike, n2: ArrayLike
) -> tuple[FloatArray, FloatArray, StrArray]:
    """Two-sided test of ``p1 == p2`` for two independent groups, on the 2x2 table.

    The table has rows ``[x1, n1 - x1]`` and ``[x2, n2 - x2]``. Pearson's chi-square test
    without continuity correction is used when all four expected counts
    (row total x column total / grand total) are at least 5, otherwise Fisher's exact test.

    Parameters
    ----------
    x1, n1 : array_like
        Successes and trials of the first group (e.g. a subgroup).
    x2, n2 : array_like
        Successes and trials of the second group (e.g. its reference). All four broadcast.
        Weighted data should pass effective counts (e.g. Kish effective sample size times the
        weighted rate): the chi-square branch uses them unrounded; Fisher's test rounds the
        four cells to integers (``numpy.rint``) first.

    Returns
    -------
    statistic : ndarray of float64
        For chi-square, the Pearson statistic (1 df). For Fisher, the *sample* odds ratio
        ``x1 (n2 - x2) / ((n1 - x1) x2)`` of the rounded table as returned by
        ``scipy.stats.fisher_exact`` (``inf`` when a denominator cell is 0; NaN for a zero
        column margin). Check ``test_name`` before interpreting it.
    p_value : ndarray of float64
        Two-sided p-value.
    test_name : ndarray of str
        ``"chi-square"``, ``"fisher-exact"`` or ``"none"``.

    Notes
    -----
    Undefined elements (statistic and p-value NaN, name ``"none"``): ``n1 <= 0`` or
    ``n2 <= 0`` (an empty row), invalid data (negative counts, ``x > n``, non-finite input),
    or a row that rounds to zero trials in the Fisher branch.

    A zero *column* margin (no successes, or no failures, in either group) always has an
    expected count of 0, so it goes to Fisher's test, which returns p = 1.0 with a NaN
    statistic. This follows ``scipy.stats.fisher_exact`` and is the exact conditional
    p-value: given the margins only one table is possible. Callers that need to flag such
    comparisons can test ``np.isnan(statistic) & (test_name == "fisher-exact")``.

    The chi-square branch matches ``scipy.stats.chi2_contingency(table, correction=False)``
    and the Fisher branch calls ``scipy.stats.fisher_exact`` once per element that needs it.
    """
    arrays = as_float_arrays(x1, n1, x2, n2)
    shape = arrays[0].shape
    # Work on flat copies so that the per-element Fisher loop also handles 0-d input.
    a, n1f, c, n2f = (v.reshape(-1) for v in arrays)
    valid = _valid_counts(a, n1f) & _valid_counts(c, n2f)
    b = n1f - a
    d = n2f - c

    with np.errstate(divide="ignore", invalid="ignore"):
        total = n1f + n2f
        col1 = a + c
        col2 = b + d
        observed = (a, b, c, d)
        expected = (n1f * col1 / total, n1f * col2 / total, n2f * col1 / total, n2f * col2 / total)
        min_expected = np.minimum(
            np.minimum(expected[0], expected[1]), np.minimum(expected[2], expected[3])
        )
        use_chi2 = valid & (min_expected >= MIN_EXPECTED_COUNT)
        # Cell contributions summed in table order, as scipy.stats.power_divergence does.
        chi2 = np.zeros(a.shape)
        for o, e in zip(observed, expected, strict=True):
            chi2 = chi2 + (o - e) ** 2 / e
    statistic = np.where(use_chi2, chi2, np.nan)
    p_value = np.where(use_chi2, _chi2_sf_1df(np.where(use_chi2, chi2, 0.0)), np.nan)
    names = np.where(use_chi2, CHI_SQUARE, NO_TEST).astype("<U16")

    ra, rb, rc, rd = (np.rint(v) for v in (a, b, c, d))
    for i in np.flatnonzero(valid & ~use_chi2):
        cells = [[int(ra[i]), int(rb[i])], [int(rc[i]), int(rd[i])]]
        if sum(cells[0]) == 0 or sum(cells[1]) == 0:
            continue  # a row rounds to zero trials: undefined, stays NaN / "none"
        from scipy import stats  # imported when needed: it takes longer than an audit

        res = stats.fisher_exact(cells)
        statistic[i] = float(res.statistic)
        p_value[i] = float(res.pvalue)
        names[i] = FISHER_EXACT
    return (
        statistic.reshape(shape),
        p_value.reshape(shape),
        names.astype(np.str_).reshape(shape),
    )


def z_test(estimate_diff: ArrayLike, se: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Two-sided z test of a difference against 0 given its standard error.

    Parameters
    ----------
    estimate_diff : array_like
        Estimated differences, e.g. ``AUC_1 - AUC_2``.
    se : array_like
        Their standard errors, e.g. from the DeLong et al. (1988) covariance.

    Returns
    -------
    z : ndarray of float64
        ``estimate_diff / se``.
    p_value : ndarray of float64
        ``2 * (1 - Phi(|z|))``, computed as ``erfc(|z| / sqrt(2))`` to keep precision in the
        far tail. Both are NaN where ``se <= 0`` or an input is not finite.
    """
    est, s = as_float_arrays(estimate_diff, se)
    valid = np.isfinite(est) & np.isfinite(s) & (s > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / s
        p = special.erfc(np.abs(z) / np.sqrt(2.0))
    return np.where(valid, z, np.nan), np.where(valid, p, np.nan)


def cohens_h(p1: ArrayLike, p2: ArrayLike) -> FloatArray:
    """Cohen's h, the difference of arcsine-transformed proportions.

    Parameters
    ----------
    p1, p2 : array_like
        Proportions in ``[0, 1]``, broadcast together.

    Returns
    -------
    ndarray of float64
        ``2 asin(sqrt(p1)) - 2 asin(sqrt(p2))`` (Cohen 1988, section 6.2); signed, in
        ``[-pi, pi]``. NaN where a proportion is outside ``[0, 1]`` or NaN. Equals
        ``statsmodels.stats.proportion.proportion_effectsize(p1, p2)``.
    """
    a, b = as_float_arrays(p1, p2)
    valid = (a >= 0) & (a <= 1) & (b >= 0) & (b <= 1)
    with np.errstate(invalid="ignore"):
        h = 2.0 * np.arcsin(np.sqrt(a)) - 2.0 * np.arcsin(np.sqrt(b))
    return np.where(valid, h, np.nan)


def odds_ratio(x1: ArrayLike, n1: ArrayLike, x2: ArrayLike, n2: ArrayLike) -> FloatArray:
    """Sample odds ratio ``[x1 / (n1 - x1)] / [x2 / (n2 - x2)]``.

    Parameters
    ----------
    x1, n1, x2, n2 : array_like
        Successes and trials of the two groups (non-integer counts allowed), broadcast.

    Returns
    -------
    ndarray of float64
        The odds ratio; NaN if any of the four cells is 0 (no silent continuity correction;
        the log odds ratio and its variance are undefined there) or the data are invalid.
    """
    a, n1f, c, n2f = as_float_arrays(x1, n1, x2, n2)
    b = n1f - a
    d = n2f - c
    valid = _valid_counts(a, n1f) & _valid_counts(c, n2f) & (a > 0) & (b > 0) & (c > 0) & (d > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (a * d) / (b * c)
    return np.where(valid, ratio, np.nan)


def risk_difference(x1: ArrayLike, n1: ArrayLike, x2: ArrayLike, n2: ArrayLike) -> FloatArray:
    """Risk (rate) difference ``x1 / n1 - x2 / n2``.

    Parameters
    ----------
    x1, n1, x2, n2 : array_like
        Successes and trials of the two groups (non-integer counts allowed), broadcast.

    Returns
    -------
    ndarray of float64
        ``p1 - p2``; NaN where either ``n`` is 0 or the data are invalid.
    """
    a, n1f, c, n2f = as_float_arrays(x1, n1, x2, n2)
    valid = _valid_counts(a, n1f) & _valid_counts(c, n2f)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = a / n1f - c / n2f
    return np.where(valid, diff, np.nan)


def risk_ratio(x1: ArrayLike, n1: ArrayLike, x2: ArrayLike, n2: ArrayLike) -> FloatArray:
    """Risk (rate) ratio ``(x1 / n1) / (x2 / n2)``, e.g. the disparate-impact ratio.

    Parameters
    ----------
    x1, n1, x2, n2 : array_like
        Successes and trials of the numerator and denominator groups, broadcast.

    Returns
    -------
    ndarray of float64
        ``p1 / p2``; 0 where ``x1 == 0 < x2``; NaN where ``x2 == 0`` (zero denominator rate),
        where either ``n`` is 0, or where the data are invalid.
    """
    a, n1f, c, n2f = as_float_arrays(x1, n1, x2, n2)
    valid = _valid_counts(a, n1f) & _valid_counts(c, n2f) & (c > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (a / n1f) / (c / n2f)
    return np.where(valid, ratio, np.nan)


def mcnemar_test(b: ArrayLike, c: ArrayLike) -> tuple[FloatArray, FloatArray, StrArray]:
    """McNemar's test for paired binary outcomes, from the discordant-pair counts.

    Parameters
    ----------
    b, c : array_like
        Counts of the two kinds of discordant pairs (e.g. outcome flips 0 -> 1 and 1 -> 0
        between a row and its counterfactual), broadcast together. Non-integer effective
        counts are accepted; the exact branch rounds them (``numpy.rint``).

    Returns
    -------
    statistic : ndarray of float64
        Exact branch: ``min(b, c)`` (rounded), as in statsmodels. Chi-square branch:
        ``(b - c)^2 / (b + c)`` (1 df, no continuity correction).
    p_value : ndarray of float64
        Two-sided p-value. Exact branch: ``min(1, 2 * BinomCDF(min(b, c); b + c, 1/2))``.
    test_name : ndarray of str
        ``"mcnemar-exact"`` when ``b + c < 25``, ``"mcnemar-chi-square"`` otherwise, and
        ``"none"`` (with NaN results) for negative or non-finite input.

    Notes
    -----
    McNemar (1947); the exact conditional version is the binomial test of the discordant
    pairs (Agresti 2013, section 11.1). Matches
    ``statsmodels.stats.contingency_tables.mcnemar(table, exact=True)`` and
    ``mcnemar(table, exact=False, correction=False)`` respectively. With no discordant pairs
    (``b + c == 0``) the exact branch gives statistic 0 and p-value 1.0, as statsmodels does:
    there is no evidence of any difference.
    """
    bf, cf = as_float_arrays(b, c)
    valid = np.isfinite(bf) & np.isfinite(cf) & (bf >= 0) & (cf >= 0)
    exact = valid & (bf + cf < MCNEMAR_EXACT_MAX_DISCORDANT)
    asymptotic = valid & ~exact

    rb = np.where(exact, np.rint(bf), 0.0)
    rc = np.where(exact, np.rint(cf), 0.0)
    k = np.minimum(rb, rc)
    from scipy import stats  # imported when needed: it takes longer than an audit

    p_exact = np.minimum(np.asarray(stats.binom.cdf(k, rb + rc, 0.5), dtype=np.float64) * 2, 1.0)

    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = (bf - cf) ** 2 / (bf + cf)
    p_chi2 = _chi2_sf_1df(np.where(asymptotic, chi2, 0.0))

    statistic = np.where(exact, k, np.where(asymptotic, chi2, np.nan))
    p_value = np.where(exact, p_exact, np.where(asymptotic, p_chi2, np.nan))
    names = np.where(exact, MCNEMAR_EXACT, np.where(asymptotic, MCNEMAR_CHI_SQUARE, NO_TEST))
    return statistic, p_value, names.astype(np.str_)
