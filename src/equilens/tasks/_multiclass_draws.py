"""The count-level bootstrap of a multiclass audit, drawn over the occupied K x K entries.

Resampling a finest cell's rows gives K x K counts ``Multinomial(n_cell, proportions)`` (the
binary audit's count-level bootstrap, ``stats/_bootstrap.py``, weights through its gamma step).
Only the entries a cell occupies can be drawn, and every multiclass metric reads only the
per-class sums (true positives, support, predicted count: :func:`class_sums`), so each draw
is reduced to those ``3 K`` numbers per cell before the sum into slices. Memory and time grow
with the occupied entries and ``3 K``, not ``K^2``: 100 or 1,000 classes stay affordable.
Draws are made in chunks of at most :data:`CHUNK_ENTRIES` numbers.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from equilens.stats._bootstrap import draw_counts, resampled_totals
from equilens.tasks._multiclass_stats import MulticlassStats

FloatArray = NDArray[np.float64]

__all__ = ["CHUNK_ENTRIES", "draw_class_sums"]

#: Most drawn numbers held at once (draws x cells x occupied entries).
CHUNK_ENTRIES = 1 << 20


def draw_class_sums(
    stats: MulticlassStats, membership: FloatArray, draws: int, rng: np.random.Generator
) -> FloatArray:
    """Bootstrap draws of the weighted per-class sums of every slice: ``(B, S, 3, K)``."""
    n_cells, k = len(stats.keys), stats.n_classes
    flat_rows = stats.rows.reshape(n_cells, k * k)
    width = max(int((flat_rows > 0).sum(axis=1).max(initial=0)), 1)
    # Each cell's occupied entries first (stable), padded with empty ones to a common width.
    idx = np.argsort(flat_rows == 0, axis=1, kind="stable")[:, :width]
    rows = np.take_along_axis(flat_rows, idx, axis=1)
    wsum = np.take_along_axis(stats.wsum.reshape(n_cells, -1), idx, axis=1)
    wsq = np.take_along_axis(stats.wsq.reshape(n_cells, -1), idx, axis=1)
    true, pred = idx // k, idx % k
    hit = (true == pred).astype(np.float64)
    chunk = max(1, min(draws, CHUNK_ENTRIES // (n_cells * width)))
    out: list[FloatArray] = []
    for start in range(0, draws, chunk):
        b = min(chunk, draws - start)
        counts = draw_counts(rows, b, rng)
        if stats.weighted:
            values = resampled_totals(counts, rows, wsum, wsq, rng)
        else:
            values = resampled_totals(counts, rows, wsum)
        base = (np.arange(b)[:, None, None] * n_cells + np.arange(n_cells)[None, :, None]) * 3
        index = np.concatenate(
            [
                ((base + 0) * k + true).ravel(),
                ((base + 1) * k + true).ravel(),
                ((base + 2) * k + pred).ravel(),
            ]
        )
        weights = np.concatenate([(values * hit).ravel(), values.ravel(), values.ravel()])
        per_cell = np.bincount(index, weights=weights, minlength=b * n_cells * 3 * k)
        per_cell = per_cell.reshape(b, n_cells, 3 * k)
        sliced = np.einsum("sc,bcj->bsj", membership, per_cell, optimize=True)
        out.append(np.asarray(sliced, dtype=np.float64).reshape(b, -1, 3, k))
    return np.concatenate(out, axis=0)
