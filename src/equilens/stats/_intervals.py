"""Vectorised confidence intervals for proportions, their differences and ratios.

Every function here broadcasts its array arguments against each other (numpy rules) and
returns float64 arrays of the broadcast shape (0-d arrays for scalar input). Counts may be
non-integer (weighted or effective counts). Results that are undefined for an element
(``n == 0``, a negative count, ``successes > n``, a NaN input, a zero count where the method
needs a positive one) are NaN in that element; these functions never raise for them. They
raise ``ValueError`` only for invalid *parameters* such as ``alpha`` outside (0, 1).

References
----------
Brown, L. D., Cai, T. T. & DasGupta, A. (2001). Interval estimation for a binomial
proportion. *Statistical Science* 16(2), 101-133.

Clopper, C. J. & Pearson, E. S. (1934). The use of confidence or fiducial limits illustrated
in the case of the binomial. *Biometrika* 26(4), 404-413.

Katz, D., Baptista, J., Azen, S. P. & Pike, M. C. (1978). Obtaining confidence intervals for
the risk ratio in cohort studies. *Biometrics* 34(3), 469-474.

Newcombe, R. G. (1998). Interval estimation for the difference between independent
proportions: comparison of eleven methods. *Statistics in Medicine* 17(8), 873-890.

Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
*JASA* 22(158), 209-212.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = [
    "CLOPPER_PEARSON",
    "SMALL_N_THRESHOLD",
    "WILSON",
    "clopper_pearson_interval",
    "mover_difference_interval",
    "newcombe_difference_interval",
    "normal_interval",
    "proportion_interval",
    "ratio_interval",
    "wilson_interval",
]

FloatArray = NDArray[np.float64]

#: Method label returned by :func:`proportion_interval` for the Clopper-Pearson interval.
CLOPPER_PEARSON = "clopper-pearson"
#: Method label returned by :func:`proportion_interval` for the Wilson score interval.
WILSON = "wilson"
#: Groups with ``n`` below this use Clopper-Pearson in :func:`proportion_interval`.
SMALL_N_THRESHOLD = 10


def _check_alpha(alpha: float) -> float:
    """Validate a significance level and return it as a Python float."""
    a = float(alpha)
    if not 0.0 < a < 1.0:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha!r}")
    return a


def z_two_sided(alpha: float) -> float:
    """Return the upper ``alpha / 2`` standard normal quantile, ``z_{1 - alpha/2}``.

    Computed as ``-ndtri(alpha / 2)``, which is exactly what ``scipy.stats.norm.isf`` does,
    so results agree bit-for-bit with statsmodels' use of ``norm.isf(alpha / 2)``.
    """
    return float(-special.ndtri(_check_alpha(alpha) / 2.0))


def as_float_arrays(*args: ArrayLike) -> list[FloatArray]:
    """Broadcast the arguments against each other and return float64 copies."""
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in args))
    return [np.array(a, dtype=np.float64, copy=True) for a in arrays]


def _valid_counts(x: FloatArray, n: FloatArray) -> NDArray[np.bool_]:
    """Elementwise mask of well-formed binomial data: finite, ``0 <= x <= n`` and ``n > 0``."""
    return np.isfinite(x) & np.isfinite(n) & (n > 0) & (x >= 0) & (x <= n)


def log_scale_interval(
    value: ArrayLike, se: ArrayLike, crit: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """A delta-method interval built on ``log(value)``: ``value * exp(-/+ crit * se / value)``.

    For a positive quantity (a ratio of non-negative sums, an exposure ratio) the bounds stay
    above 0 and are asymmetric like its sampling distribution at few units. NaN where
    ``value <= 0`` (a value of 0 has no log-scale interval).
    """
    v, s, c = (np.asarray(a, dtype=np.float64) for a in (value, se, crit))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        half = c * s / np.where(v > 0, v, np.nan)
        return v * np.exp(-half), v * np.exp(half)


def wilson_interval(
    successes: ArrayLike, n: ArrayLike, alpha: float = 0.05
) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval for a binomial proportion.

    Parameters
    ----------
    successes : array_like
        Number of successes ``x`` (may be a non-integer effective count).
    n : array_like
        Number of trials, broadcast against ``successes``.
    alpha : float, default 0.05
        Two-sided significance level; the interval has nominal level ``1 - alpha``.

    Returns
    -------
    lo, hi : ndarray of float64
        Interval bounds, clipped to ``[0, 1]``. ``lo`` is exactly 0 where ``x == 0`` and
        ``hi`` exactly 1 where ``x == n``. NaN where ``n <= 0``, ``x < 0``, ``x > n`` or an
        input is not finite.

    Notes
    -----
    Inverts the score test (Wilson 1927); the interval recommended by Brown, Cai & DasGupta
    (2001). With ``z = z_{1-alpha/2}`` and ``q = x / n``::

        centre = (q + z^2 / (2n)) / (1 + z^2 / n)
        half   = z * sqrt(q (1 - q) / n + z^2 / (4 n^2)) / (1 + z^2 / n)

    The bounds are evaluated in a cancellation-free form that is algebraically identical: the
    bound nearer to 0 or 1 comes from the product identity ``lo * hi = q^2 / (1 + z^2/n)``
    (and its mirror image for ``1 - q``), so it keeps full relative precision when ``x / n``
    is tiny. Results agree with ``statsmodels.stats.proportion.proportion_confint(
    method="wilson")`` to rounding error; statsmodels' ``centre - half`` loses relative
    precision there and can put the lower bound above a tiny estimate.
    """
    z = z_two_sided(alpha)
    x, nn = as_float_arrays(successes, n)
    valid = _valid_counts(x, nn)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        q = x / nn
        qc = (nn - x) / nn  # 1 - q without rounding loss when q is close to 1
        k = z * z / nn
        denom = 1.0 + k
        half = z * np.sqrt(q * qc / nn + k / (4.0 * nn)) / denom
        upper = (q + k / 2.0) / denom + half  # hi, a sum of non-negative terms
        upper_c = (qc + k / 2.0) / denom + half  # 1 - lo, likewise
        low_side = q <= 0.5
        lo = np.where(low_side, q * q / (denom * upper), 1.0 - upper_c)
        hi = np.where(low_side, upper, 1.0 - qc * qc / (denom * upper_c))
        # The interval always contains the estimate; guard against the last rounding step.
        lo = np.clip(np.minimum(lo, q), 0.0, 1.0)
        hi = np.clip(np.maximum(hi, q), 0.0, 1.0)
    lo = np.where(x == 0, 0.0, lo)
    hi = np.where(x == nn, 1.0, hi)
    lo = np.where(valid, lo, np.nan)
    hi = np.where(valid, hi, np.nan)
    return lo, hi


def clopper_pearson_interval(
    successes: ArrayLike, n: ArrayLike, alpha: float = 0.05
) -> tuple[FloatArray, FloatArray]:
    """Clopper-Pearson ("exact") interval for a binomial proportion.

    Parameters
    ----------
    successes : array_like
        Number of successes ``x``; non-integer effective counts are accepted (the beta
        quantile formulation is continuous in ``x`` and ``n``).
    n : array_like
        Number of trials, broadcast against ``successes``.
    alpha : float, default 0.05
        Two-sided significance level; ``alpha / 2`` in each tail (central interval).

    Returns
    -------
    lo, hi : ndarray of float64
        ``lo = Beta(alpha/2; x, n - x + 1)`` quantile (0 where ``x == 0``) and
        ``hi = Beta(1 - alpha/2; x + 1, n - x)`` quantile (1 where ``x == n``). NaN where
        ``n <= 0``, ``x < 0``, ``x > n`` or an input is not finite.

    Notes
    -----
    Clopper & Pearson (1934), via the beta-quantile identity for the binomial tail; the same
    computation as ``proportion_confint(method="beta")`` in statsmodels. As there, ``alpha``
    is not re-allocated to one tail when ``x`` is 0 or ``n``, so the interval then has
    coverage ``1 - alpha/2``.
    """
    a2 = _check_alpha(alpha) / 2.0
    x, nn = as_float_arrays(successes, n)
    valid = _valid_counts(x, nn)
    interior_lo = valid & (x > 0)
    interior_hi = valid & (x < nn)
    # Substitute harmless shape parameters where the quantile is not needed, then mask.
    a_lo = np.where(interior_lo, x, 1.0)
    b_lo = np.where(interior_lo, nn - x + 1.0, 1.0)
    a_hi = np.where(interior_hi, x + 1.0, 1.0)
    b_hi = np.where(interior_hi, nn - x, 1.0)
    lo = np.asarray(special.betaincinv(a_lo, b_lo, a2), dtype=np.float64)
    hi = np.asarray(special.betainccinv(a_hi, b_hi, a2), dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = x / nn
    # Guard the containment ``lo <= x/n <= hi`` against the quantile solver's limits for
    # shape parameters near 0 (e.g. a positive but denormal effective count).
    lo = np.where(interior_lo, np.minimum(lo, q), 0.0)
    hi = np.where(interior_hi, np.maximum(hi, q), 1.0)
    lo = np.where(valid, lo, np.nan)
    hi = np.where(valid, hi, np.nan)
    return lo, hi


def proportion_interval(
    successes: ArrayLike, n: ArrayLike, alpha: float = 0.05
) -> tuple[FloatArray, FloatArray, NDArray[np.str_]]:
    """Default interval for a group's rate: Clopper-Pearson for ``n < 10``, else Wilson.

    Parameters
    ----------
    successes : array_like
        Number of successes (may be non-integer).
    n : array_like
        Number of trials (may be non-integer), broadcast against ``successes``.
    alpha : float, default 0.05
        Two-sided significance level.

    Returns
    -------
    lo, hi : ndarray of float64
        Interval bounds; NaN where undefined (see :func:`wilson_interval`).
    method : ndarray of str
        Elementwise ``"clopper-pearson"`` where ``n < 10`` (including ``n == 0``, whose
        bounds are NaN) and ``"wilson"`` otherwise.

    Notes
    -----
    Wilson by default and Clopper-Pearson for tiny counts, following Brown, Cai & DasGupta
    (2001); the Wald interval is never used.
    """
    x, nn = as_float_arrays(successes, n)
    small = nn < SMALL_N_THRESHOLD
    lo, hi = wilson_interval(x, nn, alpha)
    if np.any(small):  # beta quantiles only where needed: they cost far more than Wilson
        c_lo, c_hi = clopper_pearson_interval(x[small], nn[small], alpha)
        lo[small] = c_lo
        hi[small] = c_hi
    method = np.where(small, CLOPPER_PEARSON, WILSON).astype(np.str_)
    return lo, hi, method


def newcombe_difference_interval(
    x1: ArrayLike,
    n1: ArrayLike,
    x2: ArrayLike,
    n2: ArrayLike,
    alpha: float = 0.05,
) -> tuple[FloatArray, FloatArray]:
    """Newcombe hybrid score interval for the difference ``p1 - p2`` of independent rates.

    Parameters
    ----------
    x1, n1 : array_like
        Successes and trials of the first group.
    x2, n2 : array_like
        Successes and trials of the second group. All four are broadcast together.
    alpha : float, default 0.05
        Two-sided significance level.

    Returns
    -------
    lo, hi : ndarray of float64
        Bounds for ``p1 - p2``. NaN where either group's data are invalid or empty.

    Notes
    -----
    Newcombe (1998), method 10 ("hybrid score"). With Wilson limits ``(l_i, u_i)`` of each
    rate at level ``1 - alpha``::

        lo = (p1 - p2) - sqrt((p1 - l1)^2 + (u2 - p2)^2)
        hi = (p1 - p2) + sqrt((u1 - p1)^2 + (p2 - l2)^2)

    Equal to ``confint_proportions_2indep(method="newcomb")`` in statsmodels.
    """
    a, b, c, d = as_float_arrays(x1, n1, x2, n2)
    valid = _valid_counts(a, b) & _valid_counts(c, d)
    l1, u1 = wilson_interval(a, b, alpha)
    l2, u2 = wilson_interval(c, d, alpha)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lo, hi = mover_difference_interval(a / b, l1, u1, c / d, l2, u2)
    return np.where(valid, lo, np.nan), np.where(valid, hi, np.nan)


def mover_difference_interval(
    est1: ArrayLike,
    lo1: ArrayLike,
    hi1: ArrayLike,
    est2: ArrayLike,
    lo2: ArrayLike,
    hi2: ArrayLike,
) -> tuple[FloatArray, FloatArray]:
    """Interval for ``est1 - est2`` of two independent estimates from their own intervals.

    The MOVER (method of variance estimates recovery; Zou & Donner 2008), of which Newcombe's
    hybrid score interval is the case of two Wilson intervals::

        lo = (e1 - e2) - sqrt((e1 - l1)^2 + (u2 - e2)^2)
        hi = (e1 - e2) + sqrt((u1 - e1)^2 + (e2 - l2)^2)

    It keeps the asymmetry of each group's interval (near a boundary, or at a perfectly
    separated AUC, where a Wald variance is zero). NaN propagates.
    """
    e1, l1, u1, e2, l2, u2 = as_float_arrays(est1, lo1, hi1, est2, lo2, hi2)
    diff = e1 - e2
    lo = diff - np.sqrt((e1 - l1) ** 2 + (u2 - e2) ** 2)
    hi = diff + np.sqrt((u1 - e1) ** 2 + (e2 - l2) ** 2)
    return np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)


def ratio_interval(
    x1: ArrayLike,
    n1: ArrayLike,
    x2: ArrayLike,
    n2: ArrayLike,
    alpha: float = 0.05,
) -> tuple[FloatArray, FloatArray]:
    """Log-scale (Katz) interval for the ratio ``p1 / p2`` of independent rates.

    Parameters
    ----------
    x1, n1 : array_like
        Successes and trials of the numerator group.
    x2, n2 : array_like
        Successes and trials of the denominator group. All four are broadcast together.
    alpha : float, default 0.05
        Two-sided significance level.

    Returns
    -------
    lo, hi : ndarray of float64
        Bounds for ``p1 / p2``. NaN where either group's data are invalid or empty, and
        where ``x1 == 0`` or ``x2 == 0``: the log-ratio and its delta-method variance are then
        undefined. No continuity correction is applied.

    Notes
    -----
    Katz et al. (1978): ``log(p1/p2) -/+ z * sqrt(1/x1 - 1/n1 + 1/x2 - 1/n2)``, exponentiated.
    Identical to ``confint_proportions_2indep(compare="ratio", method="log")`` in statsmodels
    wherever that is finite (statsmodels returns 0, inf or NaN with warnings for zero counts).
    When both rates are 1 the variance is 0 and the interval collapses to ``[1, 1]``, as in
    statsmodels.
    """
    z = z_two_sided(alpha)
    a, b, c, d = as_float_arrays(x1, n1, x2, n2)
    valid = _valid_counts(a, b) & _valid_counts(c, d) & (a > 0) & (c > 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        p1 = a / b
        p2 = c / d
        log_ratio = np.log(p1 / p2)
        var = 1.0 / a - 1.0 / b + 1.0 / c - 1.0 / d
        half = z * np.sqrt(var)
        lo = np.exp(log_ratio - half)
        hi = np.exp(log_ratio + half)
    return np.where(valid, lo, np.nan), np.where(valid, hi, np.nan)


def normal_interval(
    estimate: ArrayLike, variance: ArrayLike, alpha: float = 0.05
) -> tuple[FloatArray, FloatArray]:
    """Symmetric normal-approximation (Wald-type) interval ``estimate -/+ z * sqrt(variance)``.

    Parameters
    ----------
    estimate : array_like
        Point estimates (e.g. an AUC, a log odds ratio).
    variance : array_like
        Their estimated variances (e.g. DeLong), broadcast against ``estimate``.
    alpha : float, default 0.05
        Two-sided significance level; ``z = z_{1 - alpha/2}``.

    Returns
    -------
    lo, hi : ndarray of float64
        Interval bounds, not clipped to any range. NaN where the variance is negative or
        either input is not finite.

    Notes
    -----
    The large-sample interval from asymptotic normality of the estimator. It is not meant for
    a single binomial proportion: use :func:`proportion_interval` there (Brown, Cai &
    DasGupta 2001 show how badly the Wald interval covers).
    """
    z = z_two_sided(alpha)
    est, var = as_float_arrays(estimate, variance)
    valid = np.isfinite(est) & np.isfinite(var) & (var >= 0)
    with np.errstate(invalid="ignore"):
        half = z * np.sqrt(var)
    return np.where(valid, est - half, np.nan), np.where(valid, est + half, np.nan)
