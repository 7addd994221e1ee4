"""Mann-Whitney's rank test of two groups from histograms of their values over common bins.

A slice's per-unit values are kept as counts over bins shared by every slice (the exact
distinct values when they are few, a fine quantile grid otherwise), so two groups' test needs
no second pass over the rows. Values in one bin are ranked as ties: with exact bins this is
the textbook tie-corrected test (``scipy.stats.mannwhitneyu(method="asymptotic")``, with its
continuity correction); with a grid, values closer than a bin width count as ties, which can
only lower the statistic's variance a little and lose a little power, never invent a
difference.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import stats as st

FloatArray = NDArray[np.float64]

__all__ = ["common_bins", "histogram_codes", "mann_whitney_from_hist"]

#: Up to this many distinct values, every value is its own bin (the test is exact in ties).
EXACT_VALUES = 512
#: Otherwise a quantile grid of this many bins.
GRID_BINS = 2048


def common_bins(values: FloatArray) -> tuple[FloatArray, bool]:
    """Left edges of the bins for ``values`` and whether each bin holds one exact value."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.zeros(1), True
    distinct = np.unique(finite)
    if distinct.size <= EXACT_VALUES:
        return distinct, True
    qs = np.quantile(finite, np.linspace(0.0, 1.0, GRID_BINS + 1)[:-1])
    return np.unique(qs), False


def histogram_codes(values: FloatArray, edges: FloatArray) -> NDArray[np.int64]:
    """Bin of each value (``edges`` are left edges; below the first edge: bin 0)."""
    idx = np.searchsorted(edges, values, side="right") - 1
    return np.clip(idx, 0, edges.size - 1).astype(np.int64)


def mann_whitney_from_hist(
    h1: FloatArray, h2: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """U of group 1, two-sided p-value and ``P(X1 > X2) + P(tie) / 2`` per row of ``(S, B)``.

    The normal approximation with the tie correction and scipy's continuity correction; NaN
    where a group is empty (p = 1 where every value is one tie, as scipy).
    """
    h1 = np.atleast_2d(np.asarray(h1, dtype=np.float64))
    h2 = np.atleast_2d(np.asarray(h2, dtype=np.float64))
    n1, n2 = h1.sum(axis=1), h2.sum(axis=1)
    below2 = np.cumsum(h2, axis=1) - h2
    u1 = (h1 * (below2 + h2 / 2.0)).sum(axis=1)
    t = h1 + h2
    big_n = n1 + n2
    with np.errstate(divide="ignore", invalid="ignore"):
        ties = (t**3 - t).sum(axis=1) / (big_n * (big_n - 1.0))
        var = n1 * n2 / 12.0 * ((big_n + 1.0) - ties)
        mu = n1 * n2 / 2.0
        u = np.maximum(u1, n1 * n2 - u1)
        z = (u - mu - 0.5) / np.sqrt(var)
        ps = u1 / (n1 * n2)
    both = (n1 > 0) & (n2 > 0)
    ok = both & (var > 0)
    # Every value one tie: no evidence of a difference, p = 1 (as scipy).
    p = np.where(ok, np.minimum(2.0 * st.norm.sf(np.where(ok, z, 0.0)), 1.0), np.nan)
    p = np.where(both & ~ok, 1.0, p)
    return np.where(both, u1, np.nan), p, np.where(both, ps, np.nan)
