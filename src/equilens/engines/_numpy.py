"""The in-memory engine: rows to :class:`~equilens.stats.CellStats` with ``np.bincount``.

Every table is an ``np.bincount`` over an integer code that combines the finest cell, the labels
and (for scores) a bin index, taken over blocks of :data:`BLOCK_ROWS` rows so that no row-sized
temporary is made; cost is linear in rows and independent of the number of slices or bootstrap
draws.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from equilens.stats._tables import CellStats, FloatArray, ScoreBins

#: Exact score bins are used while ``distinct scores x cells`` stays below this many entries.
EXACT_BUDGET = 4_000_000
#: Above this many rows the distinct scores are not sorted out; the grid is used instead.
EXACT_MAX_ROWS = 2_000_000
#: Finest grid used for score histograms (its AUC error bound is reported).
GRID_BINS = 16_384
#: Equal-width calibration bins (ECE, calibration curves).
CALIB_BINS = 10

ScoreModeOption = Literal["auto", "exact", "grid"]


#: Rows per block of the counting pass: its temporaries stay in the CPU cache.
BLOCK_ROWS = 1 << 16
#: Finest-cell combinations counted through a lookup table (larger: sorted with ``np.unique``).
_DENSE_COMBOS = 20_000_000
#: Mixed-radix codes stay below this (int64 arithmetic never overflows).
_CODE_LIMIT = 1 << 62


def cell_codes(
    codes: Sequence[NDArray[np.integer[Any]]], sizes: Sequence[int], n_rows: int
) -> tuple[NDArray[np.int64], tuple[NDArray[np.int64], ...]]:
    """Combine per-feature codes into one finest-cell code.

    Returns ``(cell, parts)``: ``cell[i]`` indexes the non-empty combinations, in the order of
    their feature codes (first feature slowest), and ``parts[f][j]`` is feature ``f``'s code in
    combination ``j``. Any number of combinations works (beyond 2**62 the codes are ranked
    feature by feature instead of multiplied out).
    """
    if not codes:
        return np.zeros(n_rows, dtype=np.int64), ()
    index = _CellIndex(codes, sizes, n_rows)
    cell = np.empty(n_rows, dtype=np.int64)
    for start in range(0, n_rows, BLOCK_ROWS):
        cell[start : start + BLOCK_ROWS] = index.block(start, start + BLOCK_ROWS)
    return cell, index.parts


class _CellIndex:
    """Finds the non-empty finest cells, then maps any block of rows to cell indices.

    Up to :data:`_DENSE_COMBOS` combinations: mixed-radix codes are computed block by block
    and looked up in a table of the present combinations (two passes over the codes, no
    row-sized temporary). Beyond: the codes of all rows are sorted once (``np.unique``),
    multiplying out while the code fits in 62 bits and ranking the combinations so far
    otherwise, so no count of combinations overflows.
    """

    def __init__(
        self, codes: Sequence[NDArray[np.integer[Any]]], sizes: Sequence[int], n_rows: int
    ) -> None:
        self.codes = list(codes)
        self.sizes = [int(s) for s in sizes]
        self.remap: NDArray[np.intp] | None = None
        self.cell: NDArray[np.intp] | None = None
        total = math.prod(self.sizes)
        if total <= _DENSE_COMBOS:
            present = np.zeros(max(total, 1), dtype=bool)
            for start in range(0, n_rows, BLOCK_ROWS):
                present[self._radix(start, start + BLOCK_ROWS)] = True
            combos = np.flatnonzero(present)
            remap = np.full(present.size, -1, dtype=np.intp)
            remap[combos] = np.arange(combos.size, dtype=np.intp)
            self.remap = remap
            parts = np.unravel_index(combos, self.sizes)
            self.parts = tuple(np.asarray(p, dtype=np.int64) for p in parts)
            self.n_cells = int(combos.size)
            return
        self.cell, self.parts = _rank_combinations(self.codes, self.sizes)
        self.n_cells = int(self.parts[0].size)

    def _radix(self, start: int, stop: int) -> NDArray[np.intp]:
        combined = self.codes[0][start:stop].astype(np.intp)
        for c, size in zip(self.codes[1:], self.sizes[1:]):
            combined *= size
            combined += c[start:stop]
        return combined

    def block(self, start: int, stop: int) -> NDArray[np.intp]:
        """Cell index of rows ``start:stop``."""
        if self.remap is not None:
            return self.remap[self._radix(start, stop)]
        assert self.cell is not None
        return self.cell[start:stop]


def _rank_combinations(
    codes: Sequence[NDArray[np.integer[Any]]], sizes: Sequence[int]
) -> tuple[NDArray[np.intp], tuple[NDArray[np.int64], ...]]:
    """Dense rank of each row's combination (lexicographic by feature) and the parts."""
    combined = codes[0].astype(np.int64)
    span = int(sizes[0])  # every value of ``combined`` is below ``span``
    # Feature codes of each rank of ``combined`` (empty: ``combined`` is feature 0's code).
    parts: list[NDArray[np.int64]] = []
    pending: list[int] = []  # sizes multiplied in since ``parts`` was last updated

    def rank() -> None:
        nonlocal combined, parts, pending, span
        values, inverse = np.unique(combined, return_inverse=True)
        rest = values.astype(np.int64)
        new: list[NDArray[np.int64]] = []
        for size in reversed(pending):
            new.insert(0, rest % size)
            rest = rest // size
        parts = [p[rest] for p in parts] + new if parts else [rest, *new]
        combined = inverse.reshape(-1).astype(np.int64)
        pending = []
        span = int(values.size)

    for c, size in zip(codes[1:], sizes[1:]):
        if span * int(size) >= _CODE_LIMIT:
            rank()
        combined *= int(size)
        combined += c
        pending.append(int(size))
        span *= int(size)
    rank()
    return combined.astype(np.intp), tuple(parts)


def compute_cell_stats(
    *,
    y_true: NDArray[np.int8],
    y_pred: NDArray[np.int8],
    feature_names: Sequence[str],
    feature_codes: Sequence[NDArray[np.integer[Any]]],
    feature_labels: Sequence[Sequence[str]],
    y_score: NDArray[np.float64] | None = None,
    sample_weight: NDArray[np.float64] | None = None,
    score_mode: ScoreModeOption = "auto",
    grid_bins: int = GRID_BINS,
    calib_bins: int = CALIB_BINS,
) -> CellStats:
    """Reduce validated rows to sufficient statistics over the finest cells.

    One pass over the rows in blocks of :data:`BLOCK_ROWS` (after one over the group codes to
    find the non-empty cells): every table is an ``np.bincount`` of a block, so temporaries
    stay small whatever the number of rows.
    """
    n = int(y_true.shape[0])
    sizes = [len(labels) for labels in feature_labels]
    if feature_codes:
        index: _CellIndex | None = _CellIndex(feature_codes, sizes, n)
        assert index is not None
        n_cells = index.n_cells
        keys = tuple(
            tuple(str(feature_labels[f][int(index.parts[f][j])]) for f in range(len(sizes)))
            for j in range(n_cells)
        )
    else:
        index, n_cells, keys = None, 1, ((),)
    w_all = sample_weight
    size4 = n_cells * 4
    rows = np.zeros(size4, dtype=np.int64)
    wsum = np.zeros(size4, dtype=np.float64)
    wsq = np.zeros(size4, dtype=np.float64)
    scores: _ScoreTables | None = None
    if y_score is not None:
        scores = _ScoreTables(y_score, w_all, n_cells, score_mode, grid_bins, calib_bins)
    for start in range(0, n, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, n)
        if index is not None:
            cl = index.block(start, stop)
            cl *= 2
        else:
            cl = np.zeros(stop - start, dtype=np.intp)
        cl += y_true[start:stop]
        conf = cl * 2
        conf += y_pred[start:stop]
        rows += np.bincount(conf, minlength=size4)
        if w_all is not None:
            w = w_all[start:stop]
            wsum += np.bincount(conf, weights=w, minlength=size4)
            wsq += np.bincount(conf, weights=w * w, minlength=size4)
        if scores is not None:
            scores.add(start, stop, cl)
    shape4 = (n_cells, 2, 2)
    if w_all is None:
        wsum = rows.astype(np.float64)
        wsq = wsum.copy()
    stats_kwargs: dict[str, Any] = {} if scores is None else scores.finish()
    return CellStats(
        features=tuple(feature_names),
        keys=keys,
        rows=rows.reshape(shape4),
        wsum=wsum.reshape(shape4),
        wsq=wsq.reshape(shape4),
        weighted=sample_weight is not None,
        **stats_kwargs,
    )


class _ScoreTables:
    """Score histogram, moments and calibration table, accumulated block by block."""

    def __init__(
        self,
        y_score: FloatArray,
        weight: FloatArray | None,
        n_cells: int,
        mode: ScoreModeOption,
        grid_bins: int,
        calib_bins: int,
    ) -> None:
        self.s = y_score
        self.w = weight
        self.n_cells = n_cells
        n = int(y_score.shape[0])
        self.exact_index: NDArray[np.intp] | None = None
        self.values: FloatArray | None = None
        if mode == "exact" or (mode == "auto" and n <= EXACT_MAX_ROWS):
            values, inverse = np.unique(y_score, return_inverse=True)
            if mode == "exact" or values.size * n_cells <= EXACT_BUDGET:
                self.values = values.astype(np.float64)
                self.exact_index = inverse.reshape(-1).astype(np.intp)
        self.k = int(self.values.size) if self.values is not None else int(grid_bins)
        if self.values is None:
            g = self.k
            self.rep = np.zeros(g, dtype=np.float64)
            self.occupied = np.zeros(g, dtype=bool)
            self.mixed = np.zeros(g, dtype=bool)
        size2 = n_cells * 2
        self.size2 = size2
        self.moments = np.zeros((5, size2), dtype=np.float64)
        self.m = int(calib_bins)
        edges = np.linspace(0.0, 1.0, self.m + 1)
        # Bin b holds lower[b] < s <= upper[b] (calibration_bin_index's convention).
        self.lower = np.concatenate([[-np.inf], edges[1:-1]])
        self.upper = np.concatenate([edges[1:-1], [np.inf]])
        self.calib = np.zeros((3, size2 * self.m), dtype=np.float64)
        # The histogram has many entries: its codes are gathered over longer stretches of rows
        # so each bincount covers at least twice as many rows as it has entries.
        self.n_hist = size2 * self.k
        stretch = max(BLOCK_ROWS, -(-2 * self.n_hist // BLOCK_ROWS) * BLOCK_ROWS)
        self.stretch = min(stretch, -(-n // BLOCK_ROWS) * BLOCK_ROWS)
        self.hbuf = np.empty(min(self.stretch, n), dtype=np.intp)
        self.hist = np.zeros(self.n_hist, dtype=np.float64)
        self.hstart = 0  # first row of the stretch in hbuf

    def _calib_bin(self, s: FloatArray) -> NDArray[np.intp]:
        """``calibration_bin_index`` without a binary search: a guess, then one correction."""
        b = (s * self.m).astype(np.intp)
        np.clip(b, 0, self.m - 1, out=b)
        b -= s <= self.lower[b]
        b += s > self.upper[b]
        return b

    def add(self, start: int, stop: int, cl: NDArray[np.intp]) -> None:
        """Add rows ``start:stop`` whose ``cell * 2 + y_true`` is ``cl``."""
        s = self.s[start:stop]
        w = None if self.w is None else self.w[start:stop]
        size2 = self.size2
        if self.exact_index is not None:
            idx = self.exact_index[start:stop]
        else:
            g = self.k
            idx = (s * g).astype(np.intp)
            np.minimum(idx, g - 1, out=idx)
            # A bin is exact when all its scores equal one representative value.
            rep = self.rep
            seen = self.occupied[idx]
            if not seen.all():
                fresh = idx[~seen]
                rep[fresh] = s[~seen]  # bins first met in this block take one of its values
                self.occupied[fresh] = True
            self.mixed[idx[s != rep[idx]]] = True
        code = cl * self.k
        code += idx
        at = start - self.hstart
        self.hbuf[at : at + (stop - start)] = code
        if at + (stop - start) >= self.hbuf.size or stop == self.s.shape[0]:
            self._flush(stop)
        # Moments: weighted sums of s**j per cell and label.
        power = np.ones_like(s) if w is None else w.copy()
        mom = self.moments
        if w is None:
            mom[0] += np.bincount(cl, minlength=size2)
        else:
            mom[0] += np.bincount(cl, weights=w, minlength=size2)
        for j in range(1, 5):
            power *= s
            mom[j] += np.bincount(cl, weights=power, minlength=size2)
        ccode = cl * self.m
        ccode += self._calib_bin(s)
        csize = size2 * self.m
        counts = np.bincount(ccode, minlength=csize)
        self.calib[0] += counts
        if w is None:
            self.calib[1] += counts
            self.calib[2] += np.bincount(ccode, weights=s, minlength=csize)
        else:
            self.calib[1] += np.bincount(ccode, weights=w, minlength=csize)
            self.calib[2] += np.bincount(ccode, weights=w * s, minlength=csize)

    def _flush(self, stop: int) -> None:
        m = stop - self.hstart
        w = None if self.w is None else self.w[self.hstart : stop]
        self.hist += np.bincount(self.hbuf[:m], weights=w, minlength=self.n_hist)
        self.hstart = stop

    def finish(self) -> dict[str, Any]:
        """The CellStats fields of the scores."""
        n_cells, k, m = self.n_cells, self.k, self.m
        if self.values is not None:
            bins = ScoreBins("exact", self.values, np.ones(k, dtype=bool))
        else:
            exact = self.occupied & ~self.mixed
            centers = (np.arange(k) + 0.5) / k
            values = np.where(exact, self.rep, centers)
            # An empty bin holds no pairs; mark it exact so it never adds to the error bound.
            exact |= ~self.occupied
            bins = ScoreBins("grid", values.astype(np.float64), exact)
        calib = np.stack([c.reshape(n_cells, 2, m) for c in self.calib], axis=-1)
        moments = np.ascontiguousarray(np.moveaxis(self.moments, 0, -1)).reshape(n_cells, 2, 5)
        return {
            "score_bins": bins,
            "score_hist": self.hist.reshape(n_cells, 2, k),
            "score_moments": moments,
            "calib": calib,
        }
