"""An interval for a mean of values in [0, 1] when every unit is 0 (or every unit is 1).

The t interval of a clustered mean needs a variance, and a slice whose units are all 0 has
none: a harmful-answer rate of 0 of 54 requests had no interval, so a gate could never pass
it. This module gives the exact worst-case upper bound for that case.

Let unit ``u`` (a cluster, or a row) have weight ``w_u`` (its rows) and mean ``p_u``; the
slice's mean is ``p = sum(w_u p_u) / W``. Values lie in [0, 1], so the chance that unit ``u``
shows any non-zero value is at least ``p_u`` (``E[v] <= P(v > 0)`` for ``v`` in [0, 1],
whatever the dependence between a unit's rows), and with independent units

    P(every unit shows 0) <= prod_u (1 - p_u).

The upper bound is the largest ``p`` for which some configuration ``(p_u)`` with that mean
still makes the all-zero observation at least ``alpha / 2`` likely (test inversion, as
Clopper-Pearson). ``sum log(1 - p_u)`` is concave, so its maximum under ``sum w_u p_u = pW``
is where ``1 / (1 - p_u) = mu w_u`` (``p_u = 1 - 1 / (mu w_u)``, 0 where ``mu w_u <= 1``):
larger units carry more of the rate. Along ``mu`` the mean rises and the probability falls,
so one bisection on ``log mu`` finds the bound. With equal weights it is Clopper-Pearson's
``1 - (alpha / 2) ** (1 / K)`` (tested); it holds for any within-cluster dependence and any
spread of rates over the units (simulated coverage in the tests).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equilens.stats._roots import bisect

__all__ = ["all_zero_upper_bound"]

FloatArray = NDArray[np.float64]


def all_zero_upper_bound(weights: ArrayLike, alpha: float) -> float:
    """Upper ``1 - alpha/2`` bound on a [0, 1] mean whose units (weights ``weights``) are all 0.

    NaN when there are no units with positive weight.
    """
    w = np.asarray(weights, dtype=np.float64)
    w = w[w > 0]
    if w.size == 0 or not 0 < alpha < 1:
        return float("nan")
    target = np.log(alpha / 2.0)
    total = float(w.sum())
    # log mu: from where every unit has rate 0 (mu * max w = 1) to where the all-zero
    # probability is far below alpha / 2 for the smallest unit alone.
    low = -np.log(w.max())
    high = -np.log(w.min()) + (-target) + 1.0

    def log_prob(log_mu: FloatArray) -> FloatArray:
        x = log_mu[..., None] + np.log(w)  # log(mu w_u)
        return np.asarray(-np.sum(np.maximum(x, 0.0), axis=-1), dtype=np.float64)

    log_mu = bisect(lambda m: log_prob(m) > target, np.array([low]), np.array([high]))
    p_u = np.maximum(1.0 - np.exp(-(log_mu[0] + np.log(w))), 0.0)
    return float(min(1.0, float(np.sum(w * p_u)) / total))
