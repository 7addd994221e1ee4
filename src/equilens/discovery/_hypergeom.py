"""The upper tail of the hypergeometric distribution, exact and vectorised.

``scipy.stats.hypergeom.sf`` is exact but costs up to hundreds of microseconds per element for
tables of a million rows, far in the tails (where a search makes its decisions). Here each
tail is summed in log space from its first term (a log-pmf from ``gammaln``), in blocks of
terms built from the log-ratios of successive terms (a cumulative sum), over all elements at
once, on whichever side of the mean the sum is short (the upper tail above the mean, else one
minus the lower tail); an element stops once its last term is below ``1e-17`` of its sum.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import gammaln, logsumexp

__all__ = ["hypergeom_sf"]

FloatArray = NDArray[np.float64]
_LOG_TOL = np.log(1e-17)
_BLOCK = 64


def _log_choose(a: FloatArray, b: FloatArray) -> FloatArray:
    out: FloatArray = gammaln(a + 1.0) - gammaln(b + 1.0) - gammaln(a - b + 1.0)
    return out


def _log_tail(
    j0: FloatArray,
    up: NDArray[np.bool_],
    end: FloatArray,
    n: FloatArray,
    g: FloatArray,
    d: FloatArray,
) -> FloatArray:
    """log of the sum of the pmf from ``j0`` to ``end`` (upward where ``up``, else downward)."""
    first = _log_choose(g, j0) + _log_choose(n - g, d - j0) - _log_choose(n, d)
    acc = first.copy()
    last = first.copy()  # log-pmf of the last term summed
    j_last = j0.copy()
    active = np.flatnonzero(j0 != end)
    steps = np.arange(1, _BLOCK + 1, dtype=np.float64)
    while active.size:
        ua = up[active]
        sign = np.where(ua, 1.0, -1.0)[:, None]
        prev = j_last[active][:, None] + sign * (steps - 1.0)  # j of the term before each step
        ga, na, da = g[active][:, None], n[active][:, None], d[active][:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = np.where(
                ua[:, None],
                np.log((ga - prev) * (da - prev))
                - np.log((prev + 1.0) * (na - ga - da + prev + 1.0)),
                np.log(prev * (na - ga - da + prev))
                - np.log((ga - prev + 1.0) * (da - prev + 1.0)),
            )
        j = prev + sign
        beyond = np.where(ua[:, None], j > end[active][:, None], j < end[active][:, None])
        log_ratio = np.where(beyond | np.isnan(log_ratio), -np.inf, log_ratio)
        terms = last[active][:, None] + np.cumsum(log_ratio, axis=1)
        acc[active] = np.logaddexp(acc[active], logsumexp(terms, axis=1))
        last[active] = terms[:, -1]
        j_last[active] = j[:, -1]
        done = beyond[:, -1] | (terms[:, -1] < acc[active] + _LOG_TOL)
        active = active[~done]
    return acc


def hypergeom_sf(k: ArrayLike, total: ArrayLike, good: ArrayLike, draws: ArrayLike) -> FloatArray:
    """``P(X >= k)`` for ``X`` the number of good items in ``draws`` draws without replacement
    from ``total`` items of which ``good`` are good (all arguments broadcast; whole numbers).

    Equal to ``scipy.stats.hypergeom.sf(k - 1, total, good, draws)`` to about 1e-8 relative
    error (``gammaln`` at a million rows); tests/discovery check it.
    """
    shape = np.broadcast(k, total, good, draws).shape
    kk, nn, gg, dd = (
        np.asarray(a, dtype=np.float64).ravel() for a in np.broadcast_arrays(k, total, good, draws)
    )
    lo = np.maximum(0.0, dd - (nn - gg))
    hi = np.minimum(dd, gg)
    out = np.where(kk <= lo, 1.0, 0.0)
    mid = np.flatnonzero((kk > lo) & (kk <= hi))
    if mid.size:
        k_, n_, g_, d_ = kk[mid], nn[mid], gg[mid], dd[mid]
        up = k_ > d_ * g_ / n_
        j0 = np.where(up, k_, k_ - 1.0)
        tail = np.exp(_log_tail(j0, up, np.where(up, hi[mid], lo[mid]), n_, g_, d_))
        out[mid] = np.clip(np.where(up, tail, 1.0 - tail), 0.0, 1.0)
    return out.reshape(shape)
