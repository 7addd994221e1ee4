"""Krippendorff's alpha for nominal, ordinal, interval and ratio data, with missing ratings.

``alpha = 1 - (n - 1) * sum_ck o_ck d_ck / sum_ck n_c n_k d_ck`` (Krippendorff 2011,
"Computing Krippendorff's Alpha-Reliability"), with the coincidence matrix
``o = sum_u (n_u n_u' - diag n_u) / (m_u - 1)`` over items ``u`` with ``m_u >= 2`` values
(``n_u``: the item's counts per value) and ``n_c`` its margins. Both sums are totals over
items of a few numbers per item, so the item bootstrap is one matrix product
(:func:`equilens.agreement.unit_bootstrap`):

* nominal, ratio: the item's disagreement ``n_u' D n_u / (m_u - 1)`` and its counts ``n_u``;
* interval: the disagreement ``2 (m S2 - S1^2) / (m - 1)`` and ``m, S1, S2`` (any number of
  distinct values: ``sum n_c n_k (c - k)^2 = 2 (n S2 - S1^2)``);
* ordinal: the item's pair counts ``n_u n_u' / (m_u - 1)`` and ``n_u``, because the ordinal
  distance depends on the margins, which change in each draw.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equilens.agreement._resample import (
    BootstrapResult,
    FloatArray,
    TotalsFunction,
    unit_bootstrap,
)
from equilens.exceptions import InvalidInputError, InvalidParameterError

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")

#: Most distinct values for the levels that need a value-by-value matrix.
MAX_CATEGORIES = 1000


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise InvalidParameterError(
            f"The 'level' parameter must be one of {', '.join(LEVELS)}. Got {level!r} instead."
        )
    return level


def _codes(matrix: FloatArray) -> tuple[FloatArray, NDArray[np.float64]]:
    """Counts per item and distinct value (``N x K``) and the sorted distinct values."""
    present = ~np.isnan(matrix)
    values = np.unique(matrix[present])
    codes = np.searchsorted(values, np.where(present, matrix, values[0] if values.size else 0))
    n_items = matrix.shape[0]
    flat = (codes + np.arange(n_items)[:, None] * values.size)[present]
    counts = np.bincount(flat, minlength=n_items * values.size).reshape(n_items, values.size)
    return np.asarray(counts, dtype=np.float64), values


def _distance(values: FloatArray, level: str) -> FloatArray:
    c, k = values[:, None], values[None, :]
    if level == "nominal":
        return np.asarray(c != k, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(c + k != 0, ((c - k) / (c + k)) ** 2, 0.0)
    return np.asarray(ratio, dtype=np.float64)


def _ordinal_distance(margins: FloatArray) -> FloatArray:
    """Ordinal distances ``(sum_{g=c..k} n_g - (n_c + n_k)/2)^2`` per draw: ``(B, K, K)``."""
    cum = np.cumsum(margins, axis=1)
    lo = cum - margins  # sum of n_g for g < c
    k = margins.shape[1]
    upper = np.arange(k)[:, None] <= np.arange(k)[None, :]  # c <= k
    span = np.where(
        upper, cum[:, None, :] - lo[:, :, None], cum[:, :, None] - lo[:, None, :]
    )  # sum_{g=min..max} n_g
    half = (margins[:, :, None] + margins[:, None, :]) / 2
    return np.asarray((span - half) ** 2, dtype=np.float64)


def _pairable(matrix: FloatArray) -> FloatArray:
    return np.asarray(matrix[np.sum(~np.isnan(matrix), axis=1) >= 2], dtype=np.float64)


def alpha_parts(matrix: ArrayLike, level: str) -> tuple[FloatArray, TotalsFunction]:
    """Per-item numbers and the function of their totals that gives alpha.

    ``matrix`` is items x raters (NaN = missing); items with fewer than two values are
    dropped (they carry no pairs). Returns ``(per_item, statistic)``.
    """
    check_level(level)
    data = _pairable(np.asarray(matrix, dtype=np.float64))
    if level == "interval":
        present = ~np.isnan(data)
        m = present.sum(axis=1).astype(np.float64)
        s1 = np.where(present, data, 0.0).sum(axis=1)
        s2 = np.where(present, data * data, 0.0).sum(axis=1)
        d = 2.0 * (m * s2 - s1 * s1) / np.maximum(m - 1, 1)
        per_item = np.column_stack([d, m, s1, s2])

        def interval(t: FloatArray) -> FloatArray:
            n = t[:, 1]
            expected = 2.0 * (n * t[:, 3] - t[:, 2] ** 2)
            with np.errstate(divide="ignore", invalid="ignore"):
                out = 1.0 - (n - 1) * t[:, 0] / expected
            return np.asarray(np.where(expected > 0, out, np.nan), dtype=np.float64)

        return per_item, interval
    counts, values = _codes(data)
    if values.size > MAX_CATEGORIES:
        raise InvalidInputError(
            f"{level} alpha needs at most {MAX_CATEGORIES} distinct values; the ratings have "
            f"{values.size} (round them or use level 'interval')"
        )
    m = counts.sum(axis=1, keepdims=True)
    k = values.size
    if level == "ordinal":
        pairs = (counts[:, :, None] * counts[:, None, :]).reshape(len(counts), k * k)
        per_item = np.column_stack([pairs / np.maximum(m - 1, 1), counts])

        def ordinal(t: FloatArray) -> FloatArray:
            margins = t[:, k * k :]
            coincidence = t[:, : k * k].reshape(-1, k, k)
            dist = _ordinal_distance(margins)
            n = margins.sum(axis=1)
            observed = np.einsum("bck,bck->b", coincidence, dist)
            expected = np.einsum("bc,bck,bk->b", margins, dist, margins)
            with np.errstate(divide="ignore", invalid="ignore"):
                out = 1.0 - (n - 1) * observed / expected
            return np.asarray(np.where(expected > 0, out, np.nan), dtype=np.float64)

        return per_item, ordinal
    dist = _distance(values, level)
    d = np.einsum("uc,ck,uk->u", counts, dist, counts) / np.maximum(m[:, 0] - 1, 1)
    per_item = np.column_stack([d, counts])

    def fixed(t: FloatArray) -> FloatArray:
        margins = t[:, 1:]
        n = margins.sum(axis=1)
        expected = np.einsum("bc,ck,bk->b", margins, dist, margins)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = 1.0 - (n - 1) * t[:, 0] / expected
        return np.asarray(np.where(expected > 0, out, np.nan), dtype=np.float64)

    return per_item, fixed


def krippendorff_alpha(
    matrix: ArrayLike,
    level: Level | str = "nominal",
    *,
    draws: int = 1000,
    seed: int | None = 0,
    alpha: float = 0.05,
) -> BootstrapResult:
    """Krippendorff's alpha of an items x raters matrix (NaN = missing) with a BCa interval.

    The interval resamples items (the units that are independent; raters stay fixed), with
    ``draws`` bootstrap draws; ``draws=0`` skips it. Alpha is undefined (NaN) when the
    pairable values do not vary (every rating the same).
    """
    per_item, statistic = alpha_parts(matrix, level)
    if per_item.shape[0] == 0:
        raise InvalidInputError("Krippendorff's alpha needs an item rated at least twice")
    return unit_bootstrap(
        per_item, statistic, draws=draws, rng=np.random.default_rng(seed), alpha=alpha
    )
