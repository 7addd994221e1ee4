"""The count-level stratified bootstrap.

Resampling the rows of a finest cell with replacement gives confusion counts distributed exactly
as ``Multinomial(n_cell, cell proportions)``, so each draw costs a few numbers per cell instead of
a pass over the rows. Strata are the finest cells (the full intersection of the sensitive
features): their sizes stay fixed, as in a stratified row bootstrap.

Weights: rows are resampled, not weight mass. Given the drawn count ``k`` of a (cell, category),
the total weight of its ``k`` resampled rows is drawn from a gamma distribution with the mean and
variance of a sum of ``k`` weights drawn from that category's weights (both known from the sums
of weights and of squared weights, ``wsum`` and ``wsq``). Giving every resampled row its
category's mean weight would lose the weights' variance (coverage 0.6 at a design effect of 5).
With unit weights this is the plain row bootstrap.
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


def resampled_totals(
    counts: NDArray[np.int64],
    rows: NDArray[np.int64],
    totals: FloatArray,
    squares: FloatArray | None = None,
    rng: np.random.Generator | None = None,
) -> FloatArray:
    """Per-cell totals of a per-row quantity in each draw: ``(B, C, *cats)``.

    The step of :func:`aggregate_draws` before the sum into slices (see there).
    """
    draws = counts.shape[0]
    n_cells = rows.shape[0]
    n = np.maximum(rows, 1).reshape(1, n_cells, -1)
    mean = np.where(rows.reshape(1, n_cells, -1) > 0, totals.reshape(1, n_cells, -1) / n, 0.0)
    k = counts.reshape(draws, n_cells, -1).astype(np.float64)
    flat = k * mean
    if squares is not None and rng is not None:
        var = np.where(rows.reshape(1, n_cells, -1) > 0, squares.reshape(1, n_cells, -1) / n, 0.0)
        var = var - mean * mean
        varies = var > 1e-12 * mean * mean
        if varies.any():
            # Gamma(shape k m^2 / v, scale v / m): mean k m, variance k v (exact for k = 0).
            with np.errstate(divide="ignore", invalid="ignore"):
                shape = np.where(varies, k * mean * mean / np.where(varies, var, 1.0), 0.0)
                scale = np.where(varies, var / np.where(mean > 0, mean, 1.0), 1.0)
            drawn = rng.gamma(shape, np.broadcast_to(scale, shape.shape))
            flat = np.where(varies, drawn, flat)
    return np.asarray(flat.reshape(draws, *rows.shape), dtype=np.float64)


def aggregate_draws(
    counts: NDArray[np.int64],
    rows: NDArray[np.int64],
    totals: FloatArray,
    membership: FloatArray,
    squares: FloatArray | None = None,
    rng: np.random.Generator | None = None,
) -> FloatArray:
    """Turn drawn row counts into per-slice totals of a per-row quantity.

    ``totals`` has the shape of ``rows`` and holds the original sum of the quantity (weights,
    or weight x score) per cell and category. Without ``squares`` each resampled row carries
    that category's mean. With ``squares`` (the sum of the squared quantity, e.g. ``wsq``) and
    ``rng``, the total of the ``k`` resampled rows of a category is drawn from a gamma
    distribution with the mean ``k m`` and variance ``k v`` of a sum of ``k`` rows drawn from
    the category's values (``m``, ``v`` their mean and variance), so the bootstrap carries the
    variation of the weights; a category whose values are all equal (unit weights) keeps
    ``k m`` exactly. Returns ``(B, S, *cats)``.
    """
    draws = counts.shape[0]
    n_cells = rows.shape[0]
    flat = resampled_totals(counts, rows, totals, squares, rng).reshape(draws, n_cells, -1)
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


def draw_interval(
    samples: FloatArray, alpha: float = 0.05
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``percentile_interval(samples, alpha)``: same result, computed faster.

    ``np.nanquantile`` runs ``np.quantile`` column by column; a column without NaN gives the
    same numbers from one vectorised ``np.quantile`` over all such columns, so only the columns
    with an undefined draw go through :func:`percentile_interval`.
    """
    samples = np.asarray(samples)
    if samples.ndim < 2 or samples.shape[0] == 0 or samples.dtype != np.float64:
        return percentile_interval(samples, alpha)
    nan = np.isnan(samples)
    has_nan: NDArray[np.bool_] = np.asarray(nan.any(axis=0))
    if has_nan.all():
        return percentile_interval(samples, alpha)
    clean = np.where(has_nan[None, ...], 0.0, samples) if has_nan.any() else samples
    lo = np.asarray(np.quantile(clean, alpha / 2, axis=0), dtype=np.float64)
    hi = np.asarray(np.quantile(clean, 1 - alpha / 2, axis=0), dtype=np.float64)
    undefined = np.asarray(nan.mean(axis=0), dtype=np.float64)
    if has_nan.any():
        lo_n, hi_n, und_n = percentile_interval(samples[:, has_nan], alpha)
        lo[has_nan], hi[has_nan], undefined[has_nan] = lo_n, hi_n, und_n
    return lo, hi, undefined
