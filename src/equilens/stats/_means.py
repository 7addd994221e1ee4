"""Two groups' means (or ratios of sums) from their estimates and standard errors.

Every function takes per-comparison arrays: the two estimates, their standard errors and the
degrees of freedom of those standard errors (``inf`` for a normal reference), as a task's
evaluation gives them (``Evaluated.value`` / ``se`` / ``df``).

* :func:`welch_test`: Welch's t statistic with the Welch-Satterthwaite degrees of freedom
  (equal to ``scipy.stats.ttest_ind(equal_var=False)`` when ``se = s / sqrt(n)`` and
  ``df = n - 1``), and the t interval of the difference;
* :func:`log_ratio_interval`: the delta-method interval of ``m1 / m2`` on the log scale;
* :func:`hedges_g`: the standardised difference with the small-sample correction;
* :func:`mean_minimum_detectable_difference`: the gap the test detects with 80% power.

A zero combined standard error is not precision (every value equal in both groups): the
test is undefined there (NaN), never a p-value of 0.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats as st

from equilens.stats._power import _standardised_shift

FloatArray = NDArray[np.float64]

__all__ = [
    "hedges_g",
    "log_ratio_interval",
    "mean_minimum_detectable_difference",
    "satterthwaite_df",
    "welch_test",
]


def _a(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def satterthwaite_df(a1: ArrayLike, df1: ArrayLike, a2: ArrayLike, df2: ArrayLike) -> FloatArray:
    """Degrees of freedom of ``a1 + a2`` (two variance estimates with ``df1``, ``df2``)."""
    a1, a2, df1, df2 = _a(a1), _a(a2), _a(df1), _a(df2)
    with np.errstate(divide="ignore", invalid="ignore"):
        den = a1**2 / df1 + a2**2 / df2
        df = (a1 + a2) ** 2 / den
    return np.where(den > 0, df, np.inf)


def _quantile(q: float, df: FloatArray) -> FloatArray:
    """t quantile with ``df`` (normal where ``df`` is infinite)."""
    finite = np.isfinite(df) & (df > 0)
    out = np.full(df.shape, float(st.norm.ppf(q)))
    if finite.any():
        out[finite] = st.t.ppf(q, df[finite])
    return out


def welch_test(
    m1: ArrayLike,
    se1: ArrayLike,
    df1: ArrayLike,
    m2: ArrayLike,
    se2: ArrayLike,
    df2: ArrayLike,
    alpha: float = 0.05,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Welch's test of ``m1 - m2`` and its t interval.

    Returns
    -------
    statistic, p_value, df, lo, hi : float arrays
        NaN where a standard error is missing or both are zero.
    """
    m1, m2, se1, se2 = _a(m1), _a(m2), _a(se1), _a(se2)
    a1, a2 = se1**2, se2**2
    df = satterthwaite_df(a1, df1, a2, df2)
    se = np.sqrt(a1 + a2)
    ok = np.isfinite(se) & (se > 0) & np.isfinite(m1) & np.isfinite(m2)
    diff = m1 - m2
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(ok, diff / np.where(ok, se, 1.0), np.nan)
    p = np.full(t.shape, np.nan)
    fin = ok & np.isfinite(df)
    p[fin] = 2.0 * st.t.sf(np.abs(t[fin]), df[fin])
    inf = ok & ~np.isfinite(df)
    p[inf] = 2.0 * st.norm.sf(np.abs(t[inf]))
    q = _quantile(1.0 - alpha / 2.0, np.where(ok, df, np.inf))
    lo = np.where(ok, diff - q * se, np.nan)
    hi = np.where(ok, diff + q * se, np.nan)
    return t, np.minimum(p, 1.0), np.where(ok, df, np.nan), lo, hi


def log_ratio_interval(
    m1: ArrayLike,
    se1: ArrayLike,
    df1: ArrayLike,
    m2: ArrayLike,
    se2: ArrayLike,
    df2: ArrayLike,
    alpha: float = 0.05,
) -> tuple[FloatArray, FloatArray]:
    """Interval of ``m1 / m2`` from ``log m1 - log m2`` (delta method, Satterthwaite df).

    NaN unless both estimates are positive and a standard error is positive.
    """
    m1, m2, se1, se2 = _a(m1), _a(m2), _a(se1), _a(se2)
    ok = (m1 > 0) & (m2 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        a1 = np.where(ok, (se1 / np.where(ok, m1, 1.0)) ** 2, np.nan)
        a2 = np.where(ok, (se2 / np.where(ok, m2, 1.0)) ** 2, np.nan)
        s = np.sqrt(a1 + a2)
        ok &= np.isfinite(s) & (s > 0)
        df = satterthwaite_df(a1, df1, a2, df2)
        q = _quantile(1.0 - alpha / 2.0, np.where(ok, df, np.inf))
        centre = np.log(np.where(ok, m1 / np.where(ok, m2, 1.0), 1.0))
        lo = np.where(ok, np.exp(centre - q * s), np.nan)
        hi = np.where(ok, np.exp(centre + q * s), np.nan)
    return lo, hi


def hedges_g(
    m1: ArrayLike, sd1: ArrayLike, n1: ArrayLike, m2: ArrayLike, sd2: ArrayLike, n2: ArrayLike
) -> FloatArray:
    """Hedges' g: ``(m1 - m2) / s_pooled`` times ``J = 1 - 3 / (4 (n1 + n2) - 9)``.

    NaN where the pooled standard deviation is zero or undefined (fewer than 3 units).
    """
    m1, m2, sd1, sd2, n1, n2 = _a(m1), _a(m2), _a(sd1), _a(sd2), _a(n1), _a(n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = np.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / (n1 + n2 - 2))
        j = 1.0 - 3.0 / (4.0 * (n1 + n2) - 9.0)
        g = (m1 - m2) / pooled * j
    ok = np.isfinite(g) & (pooled > 0) & (n1 + n2 > 2)
    return np.where(ok, g, np.nan)


def mean_minimum_detectable_difference(
    se1: ArrayLike, se2: ArrayLike, df: ArrayLike, alpha: float = 0.05, power: float = 0.8
) -> FloatArray:
    """Smallest ``|m1 - m2|`` Welch's test detects with ``power``, at the observed SEs.

    ``(t_{1-alpha/2, df} + t_{power, df}) * sqrt(se1^2 + se2^2)`` (the usual approximation of
    the noncentral t); with ``df`` infinite, the exact normal shift of
    :func:`~equilens.stats._power._standardised_shift`.
    """
    se = np.sqrt(_a(se1) ** 2 + _a(se2) ** 2)
    df = _a(df)
    finite = np.isfinite(df) & (df > 0)
    c = np.full(se.shape, _standardised_shift(alpha, power))
    if finite.any():
        c[finite] = st.t.ppf(1.0 - alpha / 2.0, df[finite]) + st.t.ppf(power, df[finite])
    return np.where(np.isfinite(se) & (se > 0), c * se, np.nan)
