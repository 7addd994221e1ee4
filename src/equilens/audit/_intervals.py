"""Percentile intervals of bootstrap draws, faster where no draw is undefined.

:func:`equilens.stats._bootstrap.percentile_interval` uses ``np.nanquantile``, which runs
``np.quantile`` column by column (``apply_along_axis``). A column without NaN gives the same
numbers from one vectorised ``np.quantile`` over all such columns; only the columns with an
undefined draw go through ``percentile_interval``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from equilens.stats._bootstrap import percentile_interval

FloatArray = NDArray[np.float64]

__all__ = ["draw_interval"]


def draw_interval(
    samples: FloatArray, alpha: float = 0.05
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``percentile_interval(samples, alpha)``: same result, computed faster."""
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
