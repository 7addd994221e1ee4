"""Sufficient statistics: the small, mergeable tables every metric is computed from.

An engine reduces rows to one :class:`CellStats` over the *finest cells* (the full intersection
of all sensitive features). Every slice an audit reports (each feature alone, each intersection,
the overall population) is a sum of finest cells, so the rows are read once.

Tables (C cells; label axis 0 = negative, 1 = positive):

* ``rows[c, y_true, y_pred]``: row counts of the confusion cells.
* ``wsum`` / ``wsq``: the same cells' sums of weights and of squared weights (equal to ``rows``
  without weights); ``wsq`` gives Kish's effective sample size for weighted intervals.
* ``score_hist[c, y_true, k]``: weighted histogram of scores over ``score_bins``.
* ``score_moments[c, y_true, j]``: weighted sums of ``s**j`` for j = 0..4 (Brier score and its
  variance).
* ``calib[c, y_true, m, j]``: per calibration bin m: row count, sum of weights, sum of w*s.

All tables merge by addition once their cell keys and score bins are aligned (:meth:`merge`).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from equilens.exceptions import InvalidInputError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

ScoreMode = Literal["exact", "grid"]


@dataclass(frozen=True)
class ScoreBins:
    """The bins of the score histograms.

    In ``exact`` mode each bin is one distinct score, so ties inside a bin are true ties and the
    score metrics are exact. In ``grid`` mode bins are ``len(values)`` equal-width intervals of
    [0, 1]; ``exact[k]`` is True where every score in bin k is the same value (then
    ``values[k]`` is that value), and the AUC carries a stated error bound from the other bins.
    """

    mode: ScoreMode
    values: FloatArray
    exact: NDArray[np.bool_]

    def __post_init__(self) -> None:
        if self.values.shape != self.exact.shape or self.values.ndim != 1:
            raise ValueError("ScoreBins.values and ScoreBins.exact must be 1-D of equal length")

    @property
    def n_bins(self) -> int:
        """Number of bins."""
        return int(self.values.shape[0])


@dataclass(frozen=True)
class CellStats:
    """Sufficient statistics per finest cell. See the module docstring for the tables."""

    features: tuple[str, ...]
    keys: tuple[tuple[str, ...], ...]
    rows: IntArray
    wsum: FloatArray
    wsq: FloatArray
    weighted: bool
    score_bins: ScoreBins | None = None
    score_hist: FloatArray | None = None
    score_moments: FloatArray | None = None
    calib: FloatArray | None = None

    def __post_init__(self) -> None:
        n_cells = len(self.keys)
        for name in ("rows", "wsum", "wsq"):
            arr = getattr(self, name)
            if arr.shape != (n_cells, 2, 2):
                raise ValueError(f"CellStats.{name} must have shape ({n_cells}, 2, 2)")
        has_scores = [
            x is not None
            for x in (self.score_bins, self.score_hist, self.score_moments, self.calib)
        ]
        if any(has_scores) and not all(has_scores):
            raise ValueError("CellStats score tables must be given together or not at all")

    @property
    def n_cells(self) -> int:
        """Number of finest cells."""
        return len(self.keys)

    @property
    def cell_rows(self) -> IntArray:
        """Rows per cell."""
        return np.asarray(self.rows.sum(axis=(1, 2)), dtype=np.int64)

    @property
    def cell_weight(self) -> FloatArray:
        """Total weight per cell."""
        return np.asarray(self.wsum.sum(axis=(1, 2)), dtype=np.float64)

    @property
    def cell_favoured(self) -> FloatArray:
        """Weight of rows predicted positive per cell (the selection rate's numerator)."""
        return np.asarray(self.wsum[:, :, 1].sum(axis=1), dtype=np.float64)

    @property
    def has_scores(self) -> bool:
        """Whether score tables are present."""
        return self.score_hist is not None

    @property
    def n_rows(self) -> int:
        """Total number of rows."""
        return int(self.rows.sum())

    def merge(self, other: CellStats) -> CellStats:
        """Return the statistics of the union of both batches (tables added cell by cell).

        Cells are aligned by key, in the engines' order (see :func:`merged_key_order`); exact
        score bins by value (union of the distinct scores); grid bins must be the same grid.
        """
        if self.features != other.features:
            raise InvalidInputError(
                f"Cannot merge statistics over features {list(self.features)} "
                f"with statistics over {list(other.features)}"
            )
        if self.has_scores != other.has_scores:
            raise InvalidInputError("Cannot merge statistics with and without scores")
        keys = merged_key_order(len(self.features), self.keys, other.keys)
        pos = {k: i for i, k in enumerate(keys)}
        ia = np.array([pos[k] for k in self.keys], dtype=np.int64)
        ib = np.array([pos[k] for k in other.keys], dtype=np.int64)

        def add(a: NDArray[np.generic], b: NDArray[np.generic]) -> NDArray[np.generic]:
            out = np.zeros((len(keys), *a.shape[1:]), dtype=a.dtype)
            np.add.at(out, ia, a)
            np.add.at(out, ib, b)
            return out

        score_bins = None
        hist = moments = calib = None
        if self.has_scores:
            assert self.score_bins is not None and other.score_bins is not None
            assert self.score_hist is not None and other.score_hist is not None
            score_bins, ha, hb = _align_bins(
                self.score_bins, self.score_hist, other.score_bins, other.score_hist
            )
            hist = add(ha, hb)
            moments = add(self.score_moments, other.score_moments)  # type: ignore[arg-type]
            assert self.calib is not None and other.calib is not None
            if self.calib.shape[2] != other.calib.shape[2]:
                raise InvalidInputError("Cannot merge statistics with different calibration bins")
            calib = add(self.calib, other.calib)
        return CellStats(
            features=self.features,
            keys=keys,
            rows=add(self.rows, other.rows).astype(np.int64),
            wsum=add(self.wsum, other.wsum).astype(np.float64),
            wsq=add(self.wsq, other.wsq).astype(np.float64),
            weighted=self.weighted or other.weighted,
            score_bins=score_bins,
            score_hist=None if hist is None else hist.astype(np.float64),
            score_moments=None if moments is None else moments.astype(np.float64),
            calib=None if calib is None else calib.astype(np.float64),
        )


_MISSING = "<missing>"  # equilens.data.MISSING_LABEL (not imported: data imports stats)


def _fallback_key(label: str) -> tuple[bool, bool, float, str]:
    """Order of two labels that no batch orders: numbers by value, then text, missing last."""
    try:
        value = float(label)
    except ValueError:
        return (label == _MISSING, True, 0.0, label)
    return (False, False, value, label)


def merged_key_order(
    n_features: int, *batches: Sequence[tuple[str, ...]]
) -> tuple[tuple[str, ...], ...]:
    """The union of the batches' cell keys, in the order an engine gives the combined rows.

    Engines order each feature's groups by value (numbers numerically, ``"<missing>"`` last)
    and cells by their groups, first feature slowest; the labels are text, so the value order
    is read from the batches themselves: two consecutive keys of a batch that agree on the
    features before ``f`` and differ at ``f`` put that label of ``f`` first. Labels that no
    batch orders (each seen in a different batch only) fall back to numeric order for numbers,
    text order otherwise, with ``"<missing>"`` last.
    """
    union = set().union(*(set(b) for b in batches))
    ranks: list[dict[str, int]] = []
    for f in range(n_features):
        labels = {k[f] for k in union}
        after: dict[str, set[str]] = {label: set() for label in labels}
        before = dict.fromkeys(labels, 0)
        for keys in batches:
            for k1, k2 in itertools.pairwise(keys):
                if k1[:f] == k2[:f] and k1[f] != k2[f] and k2[f] not in after[k1[f]]:
                    after[k1[f]].add(k2[f])
                    before[k2[f]] += 1
        ready = [(_fallback_key(x), x) for x in labels if before[x] == 0]
        heapq.heapify(ready)
        order: list[str] = []
        while ready:
            _, label = heapq.heappop(ready)
            order.append(label)
            for nxt in after[label]:
                before[nxt] -= 1
                if before[nxt] == 0:
                    heapq.heappush(ready, (_fallback_key(nxt), nxt))
        # Batches that disagree (a cycle) cannot both be engine output; order the rest anyway.
        order += sorted(labels - set(order), key=_fallback_key)
        ranks.append({label: i for i, label in enumerate(order)})
    return tuple(sorted(union, key=lambda k: tuple(ranks[f][k[f]] for f in range(n_features))))


def _align_bins(
    a: ScoreBins, ha: FloatArray, b: ScoreBins, hb: FloatArray
) -> tuple[ScoreBins, FloatArray, FloatArray]:
    """Put two histograms on common bins (exact: union of values; grid: same grid)."""
    if a.mode != b.mode:
        raise InvalidInputError(
            "Cannot merge exact and grid score histograms; compute both batches with "
            "score_mode='grid'"
        )
    if a.mode == "grid":
        if a.n_bins != b.n_bins:
            raise InvalidInputError("Cannot merge score histograms on different grids")
        values = np.where(a.exact & b.exact & (a.values == b.values), a.values, 0.0)
        exact = a.exact & b.exact & (a.values == b.values)
        # A bin empty in one batch keeps the other batch's exactness.
        empty_a = ha.sum(axis=(0, 1)) == 0
        empty_b = hb.sum(axis=(0, 1)) == 0
        exact = np.where(empty_a, b.exact, np.where(empty_b, a.exact, exact))
        values = np.where(empty_a, b.values, np.where(empty_b, a.values, values))
        centers = (np.arange(a.n_bins) + 0.5) / a.n_bins
        values = np.where(exact, values, centers)
        return ScoreBins("grid", values.astype(np.float64), exact), ha, hb
    union = np.union1d(a.values, b.values)
    out_a = np.zeros((*ha.shape[:-1], union.size), dtype=np.float64)
    out_b = np.zeros((*hb.shape[:-1], union.size), dtype=np.float64)
    out_a[..., np.searchsorted(union, a.values)] = ha
    out_b[..., np.searchsorted(union, b.values)] = hb
    return ScoreBins("exact", union, np.ones(union.size, dtype=bool)), out_a, out_b
