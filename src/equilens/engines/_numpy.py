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

from equilens.stats import CellStats, ScoreBins

FloatArray = NDArray[np.float64]

#: Exact score bins are used while ``distinct scores x cells`` stays below this many entries.
EXACT_BUDGET = 4_000_000
#: Above this many rows the distinct scores are not sorted out; the grid is used instead.
EXACT_MAX_ROWS = 2_000_000
#: Finest grid used for score histograms (its AUC error bound is reported).
GRID_BINS = 16_384
#: Equal-width calibration bins (ECE, calibration curves).
CALIB_BINS = 10

ScoreModeOption = Literal["auto", "exact", "grid"]
#: Rows whose unweighted histogram codes are gathered before they are counted.
_COUNT_STRETCH = 1 << 20
#: Rows per ``np.add.at`` call when they are counted.
_AT_ROWS = 1 << 18


#: Rows per block of the counting pass: its temporaries stay in the CPU cache.
BLOCK_ROWS = 1 << 16
#: Finest-cell combinations counted through a lookup table (larger: sorted with ``np.unique``).
_DENSE_COMBOS = 20_000_000
#: Mixed-radix codes stay below this (int64 arithmetic never overflows).
_CODE_LIMIT = 1 << 62
#: Up to this many finest-cell combinations, unweighted rows are counted straight by their
#: mixed-radix code (no first pass to find the non-empty cells; empty ones are dropped after).
_DIRECT_COMBOS = 4096
#: ... while the score histogram over all combinations stays within this many entries.
_DIRECT_HIST = 1 << 24


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
        self,
        codes: Sequence[NDArray[np.integer[Any]]],
        sizes: Sequence[int],
        n_rows: int,
        *,
        direct: bool = False,
    ) -> None:
        self.codes = list(codes)
        self.sizes = [int(s) for s in sizes]
        self.remap: NDArray[np.intp] | None = None
        self.cell: NDArray[np.intp] | None = None
        total = math.prod(self.sizes)
        self.direct = direct
        self.parts: tuple[NDArray[np.int64], ...] = ()
        if direct:
            # Blocks give every combination's own mixed-radix code; :meth:`settle` keeps the
            # non-empty ones once the rows have been counted.
            self.n_cells = total
            return
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
        """Cell index of rows ``start:stop`` (the combination's code in direct mode)."""
        if self.direct:
            return self._radix(start, stop)
        if self.remap is not None:
            return self.remap[self._radix(start, stop)]
        assert self.cell is not None
        return self.cell[start:stop]

    def settle(self, present: NDArray[np.bool_]) -> NDArray[np.intp]:
        """Direct mode: keep the combinations marked ``present``; returns their codes."""
        combos = np.flatnonzero(present)
        parts = np.unravel_index(combos, self.sizes)
        self.parts = tuple(np.asarray(p, dtype=np.int64) for p in parts)
        self.n_cells = int(combos.size)
        return combos


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
    find the non-empty cells, unless there are few combinations and no weights: then rows are
    counted by combination and the empty ones dropped after): every table is an
    ``np.bincount`` of a block, so temporaries stay small whatever the number of rows.
    """
    n = int(y_true.shape[0])
    sizes = [len(labels) for labels in feature_labels]
    w_all = sample_weight
    index: _CellIndex | None = None
    if feature_codes:
        # The exact score bins depend on the number of non-empty cells: found first.
        grid_known = y_score is None or score_mode == "grid"
        grid_known = grid_known or (score_mode == "auto" and n > EXACT_MAX_ROWS)
        total = math.prod(sizes)
        direct = (
            w_all is None
            and grid_known
            and total <= _DIRECT_COMBOS
            and (y_score is None or total * 2 * int(grid_bins) <= _DIRECT_HIST)
        )
        index = _CellIndex(feature_codes, sizes, n, direct=direct)
        n_cells = index.n_cells
    else:
        n_cells = 1
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
    keep: NDArray[np.intp] | None = None
    if index is not None and index.direct:
        keep = index.settle(rows.reshape(-1, 4).sum(axis=1) > 0)
        n_cells = index.n_cells
        rows = rows.reshape(-1, 4)[keep].reshape(-1)
    if index is not None:
        parts = index.parts
        keys = tuple(
            tuple(str(feature_labels[f][int(parts[f][j])]) for f in range(len(sizes)))
            for j in range(n_cells)
        )
    else:
        keys = ((),)
    shape4 = (n_cells, 2, 2)
    if w_all is None:
        wsum = rows.astype(np.float64)
        wsq = wsum.copy()
    stats_kwargs: dict[str, Any] = {} if scores is None else scores.finish(keep)
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
            # Per grid bin: 0 no score yet, 1 every score so far equals rep, 2 mixed.
            self.state = np.zeros(g, dtype=np.uint8)
        size2 = n_cells * 2
        self.size2 = size2
        self.moments = np.zeros((5, size2), dtype=np.float64)
        self.m = int(calib_bins)
        edges = np.linspace(0.0, 1.0, self.m + 1)
        # Bin b holds lower[b] < s <= upper[b] (calibration_bin_index's convention).
        self.lower = np.concatenate([[-np.inf], edges[1:-1]])
        self.upper = np.concatenate([edges[1:-1], [np.inf]])
        self.calib_lut, self.calib_edge = self._calib_lookup(edges[1:-1])
        self.calib = np.zeros((3, size2 * self.m), dtype=np.float64)
        self.n_hist = size2 * self.k
        # The histogram's codes are gathered over stretches of rows, then counted together
        # (the table stays in cache while it is updated).
        self.hstart = 0  # first row of the stretch in hbuf
        if weight is None:
            # Unweighted: exact counts, added in place with ``np.add.at`` (32-bit counts and
            # codes keep the table small; nothing is allocated per stretch).
            count_dtype = np.int32 if n < 1 << 31 else np.int64
            self.counts = np.zeros(self.n_hist, dtype=count_dtype)
            self.ones = np.ones(min(_AT_ROWS, n), dtype=count_dtype)
            code_dtype = np.int32 if self.n_hist < 1 << 31 else np.intp
            self.hbuf: NDArray[np.signedinteger[Any]] = np.empty(
                min(_COUNT_STRETCH, n), dtype=code_dtype
            )
            return
        # Weighted: each bincount covers at least twice as many rows as it has entries.
        stretch = max(BLOCK_ROWS, -(-2 * self.n_hist // BLOCK_ROWS) * BLOCK_ROWS)
        self.stretch = min(stretch, -(-n // BLOCK_ROWS) * BLOCK_ROWS)
        self.hbuf = np.empty(min(self.stretch, n), dtype=np.intp)
        self.hist = np.zeros(self.n_hist, dtype=np.float64)

    def _calib_lookup(self, inner: FloatArray) -> tuple[NDArray[np.intp] | None, FloatArray | None]:
        """Calibration bins from the score bin index, where that is exact.

        Exact bins: the bin of each distinct score. A grid of ``2**p`` bins: ``s * k`` is
        exact, so grid bin ``g`` holds exactly ``g / k <= s < (g + 1) / k`` and its scores all
        share one calibration bin unless an edge lies in it; with at most one edge per grid
        bin the bin is ``lut[g] + (s > edge[g])`` (``edge[g]`` infinite where there is none).
        Otherwise ``(None, None)``: :meth:`_calib_bin` is used.
        """
        if self.values is not None:
            return np.searchsorted(inner, self.values, side="left").astype(np.intp), None
        k = self.k
        if k < 1 or k & (k - 1):
            return None, None
        holder = np.floor(inner * k).astype(np.intp)  # grid bin of each edge
        if np.any(np.diff(holder) == 0):
            return None, None
        lut = np.searchsorted(inner, np.arange(k, dtype=np.float64) / k, side="left")
        edge = np.full(k, np.inf, dtype=np.float64)
        edge[holder] = inner
        return lut.astype(np.intp), edge

    def _calib_bin(self, s: FloatArray) -> NDArray[np.intp]:
        """``calibration_bin_index`` without a binary search: a guess, then one correction."""
        b = (s * self.m).astype(np.intp)
        np.clip(b, 0, self.m - 1, out=b)
        b -= s <= self.lower[b]
        b += s > self.upper[b]
        return b

    def _mark_exact(self, s: FloatArray, idx: NDArray[np.intp]) -> None:
        """Note which grid bins hold more than one distinct score (rows of mixed bins skip)."""
        state = self.state
        todo = np.flatnonzero(state[idx] != 2)
        if not todo.size:
            return
        i = idx[todo]
        v = s[todo]
        rep = self.rep
        fresh = state[i] == 0
        if fresh.any():
            rep[i[fresh]] = v[fresh]  # bins first met here take one of their values
            state[i[fresh]] = 1
        state[i[v != rep[i]]] = 2

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
            self._mark_exact(s, idx)
        at = start - self.hstart
        code = self.hbuf[at : at + (stop - start)]
        np.multiply(cl, self.k, out=code, casting="unsafe")
        np.add(code, idx, out=code, casting="unsafe")
        if at + (stop - start) >= self.hbuf.size or stop == self.s.shape[0]:
            self._flush(stop)
        # Moments: weighted sums of s**j per cell and label (unweighted counts: at the end).
        mom = self.moments
        if w is None:
            mom[1] += np.bincount(cl, weights=s, minlength=size2)
            power = s * s
            mom[2] += np.bincount(cl, weights=power, minlength=size2)
        else:
            power = w.copy()
            mom[0] += np.bincount(cl, weights=w, minlength=size2)
            for j in (1, 2):
                power *= s
                mom[j] += np.bincount(cl, weights=power, minlength=size2)
        for j in (3, 4):
            power *= s
            mom[j] += np.bincount(cl, weights=power, minlength=size2)
        if self.calib_lut is None:
            b = self._calib_bin(s)
        else:
            b = self.calib_lut[idx]
            if self.calib_edge is not None:
                b += s > self.calib_edge[idx]
        ccode = cl * self.m
        ccode += b
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
        if self.w is None:
            for at in range(0, m, _AT_ROWS):
                codes = self.hbuf[at : min(at + _AT_ROWS, m)]
                np.add.at(self.counts, codes, self.ones[: codes.size])
        else:
            w = self.w[self.hstart : stop]
            self.hist += np.bincount(self.hbuf[:m], weights=w, minlength=self.n_hist)
        self.hstart = stop

    def finish(self, keep: NDArray[np.intp] | None = None) -> dict[str, Any]:
        """The CellStats fields of the scores (of the cells ``keep`` only, if given)."""
        n_cells, k, m = self.n_cells, self.k, self.m
        if self.values is not None:
            bins = ScoreBins("exact", self.values, np.ones(k, dtype=bool))
        else:
            state = self.state
            centers = (np.arange(k) + 0.5) / k
            values = np.where(state == 1, self.rep, centers)
            # An empty bin holds no pairs; mark it exact so it never adds to the error bound.
            bins = ScoreBins("grid", values.astype(np.float64), state != 2)
        if self.w is None:
            # Unweighted row counts per cell and label: those of the calibration table.
            self.moments[0] = self.calib[0].reshape(self.size2, m).sum(axis=1)
            hist = self.counts.astype(np.float64).reshape(n_cells, 2, k)
        else:
            hist = self.hist.reshape(n_cells, 2, k)
        calib = np.stack([c.reshape(n_cells, 2, m) for c in self.calib], axis=-1)
        moments = np.ascontiguousarray(np.moveaxis(self.moments, 0, -1)).reshape(n_cells, 2, 5)
        if keep is not None:
            hist, calib, moments = hist[keep], calib[keep], moments[keep]
        return {
            "score_bins": bins,
            "score_hist": hist,
            "score_moments": moments,
            "calib": calib,
        }
