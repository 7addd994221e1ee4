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

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats as st

FloatArray = NDArray[np.float64]

__all__ = ["Bins", "common_bins", "histogram_codes", "mann_whitney_from_hist"]

#: Up to this many distinct values, every value is its own bin (the test is exact in ties).
EXACT_VALUES = 512
#: Otherwise a quantile grid of this many bins.
GRID_BINS = 2048


@dataclass(frozen=True)
class Bins:
    """Common bins of a per-unit value: exact distinct values, or a quantile grid.

    A grid is looked up through a fine uniform table between the sample's 0.05% and 99.95%
    quantiles (one multiply per value, no search): each table cell maps to the quantile bin
    of its left end, so the binning is a non-decreasing function of the value (ranks between
    bins are kept; values in one bin are ties; values beyond the table's ends fall in the
    end bins).
    """

    edges: FloatArray
    exact: bool
    lo: float = 0.0
    width: float = 1.0
    table: NDArray[np.int64] | None = None

    @property
    def size(self) -> int:
        return int(self.edges.size)

    def codes(self, values: FloatArray) -> NDArray[np.int64]:
        """Bin of each value."""
        if self.table is None:
            return histogram_codes(values, self.edges)
        pos = np.floor((values - self.lo) / self.width)
        pos = np.clip(np.nan_to_num(pos, nan=0.0), 0, self.table.size - 1).astype(np.int64)
        return np.asarray(self.table[pos], dtype=np.int64)

    def same(self, other: Bins) -> bool:
        return (
            self.exact == other.exact
            and np.array_equal(self.edges, other.edges)
            and self.lo == other.lo
            and self.width == other.width
        )


#: Cells of the uniform lookup table of a grid.
TABLE = 1 << 16


def common_bins(values: FloatArray, *, grid: bool = False) -> Bins:
    """Bins for ``values``: each distinct value when few (unless ``grid``), a quantile grid
    otherwise."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return Bins(np.zeros(1), True)
    distinct = np.unique(finite)
    if distinct.size <= EXACT_VALUES and not grid:
        return Bins(distinct, True)
    edges = np.unique(np.quantile(finite, np.linspace(0.0, 1.0, GRID_BINS + 1)[:-1]))
    lo, hi = np.quantile(finite, [0.0005, 0.9995])
    if not hi > lo:
        lo, hi = float(finite.min()), float(finite.max())
    width = (float(hi) - float(lo)) / TABLE
    left = float(lo) + width * np.arange(TABLE, dtype=np.float64)
    table = histogram_codes(left, edges)
    return Bins(edges, False, float(lo), width, table)


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
