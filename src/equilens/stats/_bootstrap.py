"""The count-level stratified bootstrap.

Resampling the rows of a finest cell with replacement gives confusion counts distributed exactly
as ``Multinomial(n_cell, cell proportions)``, so each draw costs a few numbers per cell instead of
a pass over the rows. Strata are the finest cells (the full intersection of the sensitive
features): their sizes stay fixed, as in a stratified row bootstrap.

Weights: rows are resampled, not weight mass. Each resampled row carries the mean weight of its
(cell, category), so a draw's weighted count is ``count* x mean weight``. With unit weights this
is the plain row bootstrap.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def draw_counts(rows: NDArray[np.int64], draws: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """Bootstrap row counts per finest cell and category.

    ``rows`` has shape ``(C, *cats)``; the result ``(B, C, *cats)`` holds, for each draw, the
    counts of a resample of each cell's rows (same size as the cell).
    """
    n_cells = rows.shape[0]
    flat = rows.reshape(n_cells, -1).astype(np.int64)
    totals = flat.sum(axis=1)
    probs = flat / np.maximum(totals, 1)[:, None]
    # Probabilities of each cell sum to exactly 1 despite rounding; empty cells draw nothing.
    probs[:, -1] = np.clip(1.0 - probs[:, :-1].sum(axis=1), 0.0, 1.0)
    probs[totals == 0] = 0.0
    probs[totals == 0, 0] = 1.0
    counts = rng.multinomial(totals, probs, size=(draws, n_cells))
    return np.asarray(counts.reshape(draws, *rows.shape), dtype=np.int64)


def aggregate_draws(
    counts: NDArray[np.int64],
    rows: NDArray[np.int64],
    totals: FloatArray,
    membership: FloatArray,
) -> FloatArray:
    """Turn drawn row counts into per-slice totals of a per-row quantity.

    ``totals`` has the shape of ``rows`` and holds the original sum of the quantity (weights,
    or weight x score) per cell and category; each resampled row carries that category's mean.
    Returns ``(B, S, *cats)``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(rows > 0, totals / np.maximum(rows, 1), 0.0)
    draws = counts.shape[0]
    flat = counts.reshape(draws, rows.shape[0], -1) * mean.reshape(1, rows.shape[0], -1)
    out = np.einsum("sc,bck->bsk", membership, flat, optimize=True)
    return np.asarray(out.reshape(draws, membership.shape[0], *rows.shape[1:]), dtype=np.float64)


def percentile_interval(
    samples: FloatArray, alpha: float = 0.05
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Percentile interval over axis 0, ignoring undefined (NaN) draws.

    Returns ``(low, high, undefined_share)``. Where every draw is undefined the bounds are NaN.
    """
    undefined = np.isnan(samples).mean(axis=0)
    all_nan = undefined == 1.0
    safe = np.where(all_nan[None, ...], 0.0, samples)
    lo = np.nanquantile(safe, alpha / 2, axis=0)
    hi = np.nanquantile(safe, 1 - alpha / 2, axis=0)
    lo = np.where(all_nan, np.nan, lo)
    hi = np.where(all_nan, np.nan, hi)
    return lo.astype(np.float64), hi.astype(np.float64), undefined.astype(np.float64)
