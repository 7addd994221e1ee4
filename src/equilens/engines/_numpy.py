"""The in-memory engine: rows to :class:`~equilens.stats.CellStats` with ``np.bincount``.

Every table is one ``np.bincount`` over an integer code that combines the finest cell, the
labels and (for scores) a bin index, so cost is linear in rows and independent of the number of
slices or bootstrap draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from equilens.metrics._scores import calibration_bin_index
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


def cell_codes(
    codes: Sequence[NDArray[np.int32]], sizes: Sequence[int], n_rows: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Combine per-feature codes into one finest-cell code.

    Returns ``(cell, combos)``: ``cell[i]`` indexes the non-empty combinations, and
    ``combos[j]`` is the mixed-radix code of combination j (decode with ``np.unravel_index``).
    """
    if not codes:
        return np.zeros(n_rows, dtype=np.int64), np.zeros(1, dtype=np.int64)
    total = int(np.prod(np.asarray(sizes, dtype=np.float64)))
    combined = codes[0].astype(np.int64)
    for c, size in zip(codes[1:], sizes[1:]):
        combined *= size
        combined += c
    if total <= 20_000_000:
        present = np.bincount(combined, minlength=total) > 0
        combos = np.flatnonzero(present).astype(np.int64)
        remap = np.full(total, -1, dtype=np.int64)
        remap[combos] = np.arange(combos.size, dtype=np.int64)
        return remap[combined], combos
    combos, inverse = np.unique(combined, return_inverse=True)
    return inverse.astype(np.int64), combos.astype(np.int64)


def compute_cell_stats(
    *,
    y_true: NDArray[np.int8],
    y_pred: NDArray[np.int8],
    feature_names: Sequence[str],
    feature_codes: Sequence[NDArray[np.int32]],
    feature_labels: Sequence[Sequence[str]],
    y_score: NDArray[np.float64] | None = None,
    sample_weight: NDArray[np.float64] | None = None,
    score_mode: ScoreModeOption = "auto",
    grid_bins: int = GRID_BINS,
    calib_bins: int = CALIB_BINS,
) -> CellStats:
    """Reduce validated rows to sufficient statistics over the finest cells."""
    n = int(y_true.shape[0])
    sizes = [len(labels) for labels in feature_labels]
    cell, combos = cell_codes(feature_codes, sizes, n)
    n_cells = int(combos.size)
    if feature_codes:
        parts = np.unravel_index(combos, sizes)
        keys = tuple(
            tuple(str(feature_labels[f][int(parts[f][j])]) for f in range(len(sizes)))
            for j in range(n_cells)
        )
    else:
        keys = ((),)

    conf = cell * 4 + y_true.astype(np.int64) * 2 + y_pred.astype(np.int64)
    shape4 = (n_cells, 2, 2)
    rows = np.bincount(conf, minlength=n_cells * 4).reshape(shape4).astype(np.int64)
    wsum: FloatArray
    wsq: FloatArray
    if sample_weight is None:
        wsum = rows.astype(np.float64)
        wsq = wsum.copy()
    else:
        wsum = np.asarray(
            np.bincount(conf, weights=sample_weight, minlength=n_cells * 4), dtype=np.float64
        ).reshape(shape4)
        wsq = np.asarray(
            np.bincount(conf, weights=sample_weight * sample_weight, minlength=n_cells * 4),
            dtype=np.float64,
        ).reshape(shape4)

    stats_kwargs: dict[str, object] = {}
    if y_score is not None:
        cl = cell * 2 + y_true.astype(np.int64)
        bins, idx = _score_bins(y_score, n_cells, score_mode, grid_bins)
        k = bins.n_bins
        hist = np.bincount(cl * k + idx, weights=sample_weight, minlength=n_cells * 2 * k)
        moments = np.empty((n_cells, 2, 5), dtype=np.float64)
        w = np.ones_like(y_score) if sample_weight is None else sample_weight
        power = w.copy()
        for j in range(5):
            moments[:, :, j] = np.bincount(cl, weights=power, minlength=n_cells * 2).reshape(
                n_cells, 2
            )
            if j < 4:
                power *= y_score
        cbin = calibration_bin_index(y_score, calib_bins).astype(np.int64)
        ccode = cl * calib_bins + cbin
        size = n_cells * 2 * calib_bins
        calib = np.empty((n_cells, 2, calib_bins, 3), dtype=np.float64)
        calib[..., 0] = np.bincount(ccode, minlength=size).reshape(n_cells, 2, calib_bins)
        calib[..., 1] = np.bincount(ccode, weights=w, minlength=size).reshape(
            n_cells, 2, calib_bins
        )
        calib[..., 2] = np.bincount(ccode, weights=w * y_score, minlength=size).reshape(
            n_cells, 2, calib_bins
        )
        stats_kwargs = {
            "score_bins": bins,
            "score_hist": hist.reshape(n_cells, 2, k).astype(np.float64),
            "score_moments": moments,
            "calib": calib,
        }
    return CellStats(
        features=tuple(feature_names),
        keys=keys,
        rows=rows,
        wsum=np.asarray(wsum, dtype=np.float64),
        wsq=np.asarray(wsq, dtype=np.float64),
        weighted=sample_weight is not None,
        **stats_kwargs,  # type: ignore[arg-type]
    )


def _score_bins(
    scores: FloatArray, n_cells: int, mode: ScoreModeOption, grid_bins: int
) -> tuple[ScoreBins, NDArray[np.int64]]:
    """Choose the score bins and return each row's bin index."""
    n = scores.shape[0]
    if mode == "exact" or (mode == "auto" and n <= EXACT_MAX_ROWS):
        values, inverse = np.unique(scores, return_inverse=True)
        if mode == "exact" or values.size * n_cells <= EXACT_BUDGET:
            exact = np.ones(values.size, dtype=bool)
            return ScoreBins("exact", values.astype(np.float64), exact), inverse.astype(np.int64)
    g = int(grid_bins)
    idx = np.minimum((scores * g).astype(np.int64), g - 1)
    # A bin is exact when all its scores equal one representative (found without sorting).
    rep = np.zeros(g, dtype=np.float64)
    rep[idx] = scores
    mismatch = np.bincount(idx, weights=(scores != rep[idx]).astype(np.float64), minlength=g)
    occupied = np.bincount(idx, minlength=g) > 0
    exact = occupied & (mismatch == 0)
    centers = (np.arange(g) + 0.5) / g
    values = np.where(exact, rep, centers)
    # An empty bin holds no pairs; mark it exact so it never adds to the error bound.
    exact |= ~occupied
    return ScoreBins("grid", values.astype(np.float64), exact), idx
