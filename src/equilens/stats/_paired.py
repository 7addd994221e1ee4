"""Intervals for paired designs: the difference of paired proportions and a paired mean.

* :func:`tango_interval`: Tango's (1998) score interval for the difference of two paired
  proportions, the inversion of the score test whose value at a zero difference is McNemar's
  statistic. It needs no discordant pairs to be non-degenerate: with none among ``n`` pairs its
  limits are ``+/- z^2 / (n + z^2)``, where a percentile bootstrap collapses to ``[0, 0]``.
* :func:`t_mean_interval`: the mean of paired differences with its Student t interval and
  test, for small numbers of pairs where a percentile bootstrap under-covers.
* :func:`median_interval`: the median with its distribution-free order-statistic interval
  (the inversion of the sign test).

References
----------
Tango, T. (1998). Equivalence test and confidence interval for the difference in proportions
for the paired-sample design. *Statistics in Medicine* 17(8), 891-908.

Newcombe, R. G. (1998). Improved confidence intervals for the difference between binomial
proportions based on paired data. *Statistics in Medicine* 17(22), 2635-2650.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from equilens.stats._intervals import as_float_arrays, z_two_sided
from equilens.stats._roots import bisect

FloatArray = NDArray[np.float64]

__all__ = ["median_interval", "t_mean_interval", "tango_interval", "tango_statistic"]


def tango_statistic(delta: ArrayLike, more: ArrayLike, less: ArrayLike, n: ArrayLike) -> FloatArray:
    """Tango's score statistic for ``H0: p_more - p_less = delta`` (paired proportions).

    ``more`` and ``less`` are the discordant counts (pairs counted a success only in the
    second, and only in the first, member); ``n`` the pairs. At ``delta = 0`` this is
    McNemar's ``(more - less) / sqrt(more + less)``. Decreasing in ``delta``.
    """
    d, b, c, m = as_float_arrays(delta, more, less, n)
    w = -b - c + (2.0 * m - b + c) * d
    with np.errstate(invalid="ignore", divide="ignore"):
        disc = np.maximum(w * w + 8.0 * m * c * d * (1.0 - d), 0.0)
        q = (np.sqrt(disc) - w) / (4.0 * m)  # restricted MLE of p_less
        var = m * (2.0 * q + d - d * d)
        z = (b - c - m * d) / np.sqrt(np.maximum(var, 0.0))
    num = b - c - m * d
    z = np.where(var > 0, z, np.where(num > 0, np.inf, np.where(num < 0, -np.inf, 0.0)))
    return np.asarray(z, dtype=np.float64)


def tango_interval(
    more: ArrayLike, less: ArrayLike, n: ArrayLike, alpha: float = 0.05
) -> tuple[FloatArray, FloatArray]:
    """Tango's score interval for the difference ``(more - less) / n`` of paired proportions.

    Parameters
    ----------
    more, less : array_like
        Discordant counts: pairs counted a success under the second member only, and under
        the first only.
    n : array_like
        Pairs (every row of the denominator, concordant included).
    alpha : float
        One minus the confidence level (two-sided).

    Returns
    -------
    lo, hi : ndarray
        The set of differences the score test does not reject at ``alpha``, found by
        bisection (64 halvings, so to about 1e-19); NaN where ``n`` is 0.
    """
    b, c, m = as_float_arrays(more, less, n)
    b, c, m = np.broadcast_arrays(b, c, m)
    z = z_two_sided(alpha)
    ok = m > 0
    safe_n = np.where(ok, m, 1.0)
    est = np.where(ok, (b - c) / safe_n, 0.0)

    def solve(low: FloatArray, high: FloatArray, target: float) -> FloatArray:
        # tango_statistic decreases in delta: the root of T(delta) = target lies above where
        # T still exceeds the target.
        return bisect(lambda d: tango_statistic(d, b, c, safe_n) > target, low, high)

    lo = solve(np.full(est.shape, -1.0), est.astype(np.float64), z)
    hi = solve(est.astype(np.float64), np.full(est.shape, 1.0), -z)
    lo = np.where(ok, np.clip(lo, -1.0, est), np.nan)
    hi = np.where(ok, np.clip(hi, est, 1.0), np.nan)
    return np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)


def t_mean_interval(
    x: ArrayLike, alpha: float = 0.05, null: float = 0.0, alternative: str = "two-sided"
) -> tuple[float, float, float, float | None, float | None]:
    """Mean of ``x`` with its two-sided Student t interval and a t test against ``null``.

    Returns ``(mean, lo, hi, statistic, p_value)``. With fewer than two values the interval
    is NaN and the test None. With zero spread (every value equal) the t statistic is
    undefined (None; a zero variance is not precision) and the p-value is that of the exact
    sign-flip randomisation test of the constant ``x - null``: ``2^(1-n)`` two-sided and
    ``2^-n`` one-sided when it is non-zero in the tested direction, else 1; the interval is
    the point. ``alternative`` is ``two-sided`` or ``greater`` (mean above ``null``).
    """
    arr = np.asarray(x, dtype=np.float64).reshape(-1)
    n = arr.size
    if n == 0:
        return float("nan"), float("nan"), float("nan"), None, None
    mean = float(arr.mean())
    if n < 2:
        return mean, float("nan"), float("nan"), None, None
    sd = float(arr.std(ddof=1))
    if sd <= 1e-12 * max(1.0, abs(mean)):
        if alternative == "greater":
            p = 0.5**n if mean > null else 1.0
        else:
            p = min(1.0, 2.0 * 0.5**n) if mean != null else 1.0
        return mean, mean, mean, None, p
    se = sd / np.sqrt(n)
    t = stats.t.ppf(1.0 - alpha / 2.0, n - 1)
    stat = (mean - null) / se
    if alternative == "greater":
        p = float(stats.t.sf(stat, n - 1))
    else:
        p = float(2.0 * stats.t.sf(abs(stat), n - 1))
    return mean, mean - t * se, mean + t * se, float(stat), p


def median_interval(x: ArrayLike, alpha: float = 0.05) -> tuple[float, float, float]:
    """Median of ``x`` with its exact order-statistic interval.

    The interval ``[x_(k), x_(n+1-k)]`` with the largest ``k`` such that
    ``P(k <= Binomial(n, 1/2) <= n - k) >= 1 - alpha`` covers the population median with at
    least ``1 - alpha`` for any continuous distribution (it inverts the sign test). NaN
    limits when ``n`` is too small for any such interval (``n < 6`` at 95%).
    """
    arr = np.sort(np.asarray(x, dtype=np.float64).reshape(-1))
    n = arr.size
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    med = float(np.median(arr))
    # Coverage of [x_(k), x_(n+1-k)] is 1 - 2 P(B <= k - 1) (B ~ Binomial(n, 1/2)).
    k = int(stats.binom.ppf(alpha / 2.0, n, 0.5))
    while k >= 1 and 1.0 - 2.0 * stats.binom.cdf(k - 1, n, 0.5) < 1.0 - alpha:
        k -= 1
    while 1.0 - 2.0 * stats.binom.cdf(k, n, 0.5) >= 1.0 - alpha:
        k += 1
    if k < 1:
        return med, float("nan"), float("nan")
    return med, float(arr[k - 1]), float(arr[n - k])
