"""Simultaneous intervals for the largest gap and the smallest ratio among several estimates.

A fairness criterion summarises many groups by an extreme: the largest pairwise gap
``max_i v_i - min_j v_j`` or the smallest ratio ``min_j v_j / max_i v_i``. A percentile bootstrap
of such an extreme is invalid near parity (with identical groups the sample gap is positive in
every draw, so its interval never covers 0). Instead, bound the extreme from intervals that hold
for every group or every pair *at once* (Bonferroni): if each of ``K`` intervals has level
``1 - alpha / K``, all of them cover their targets with probability at least ``1 - alpha``, and
then the extreme of the targets lies between the extremes of the bounds.

* :func:`pair_gap_bounds`: the largest absolute difference, from one interval per pair (MOVER,
  Zou & Donner 2008: with Wilson intervals per group this is Newcombe's hybrid score interval).
  If ``[a, b]`` covers ``d`` then ``|d|`` lies in ``[dist(0, [a, b]), max(|a|, |b|)]``; the
  largest ``|d|`` lies between the largest of these lower bounds and the largest upper bound.
* :func:`pair_ratio_bounds`: the smallest symmetric ratio ``min(r, 1/r)`` over pairs, from one
  interval per pair for the ratio ``r`` (log-ratio, Katz). If ``[a, b]`` covers ``r`` then
  ``min(r, 1/r)`` lies in ``[min(a, 1/b), 1]`` when ``a <= 1 <= b``, and between the folded
  bounds otherwise; the smallest lies between the smallest lower and the smallest upper bound.
* :func:`box_gap_bounds` and :func:`box_ratio_bounds`: the extreme gap or ratio between each
  group and one comparator (or between all groups), from one interval per group.

Each interval contains its estimate, so the point estimate of the extreme always lies in the
bounds. At parity every pairwise interval covers 0 with simultaneous probability at least
``1 - alpha``, so the gap's interval reaches 0 (the ratio's reaches 1) at least that often.

References
----------
Zou, G. Y. & Donner, A. (2008). Construction of confidence limits about effect measures: a
general approach. *Statistics in Medicine* 27(10), 1693-1702.
Newcombe, R. G. (1998). Interval estimation for the difference between independent proportions.
*Statistics in Medicine* 17(8), 873-890.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

__all__ = [
    "box_gap_bounds",
    "box_ratio_bounds",
    "pair_gap_bounds",
    "pair_ratio_bounds",
]


def pair_gap_bounds(lo: FloatArray, hi: FloatArray) -> tuple[float, float]:
    """Bounds of ``max |d|`` from simultaneous intervals ``[lo, hi]`` of the differences ``d``.

    If every ``[lo_k, hi_k]`` covers ``d_k``, then ``|d_k|`` lies in ``[dist(0, [lo_k, hi_k]),
    max(|lo_k|, |hi_k|)]`` and ``max_k |d_k|`` between the largest lower and the largest upper.
    """
    lo = np.asarray(lo, dtype=np.float64)
    hi = np.asarray(hi, dtype=np.float64)
    low_abs = np.where(lo > 0, lo, np.where(hi < 0, -hi, 0.0))
    high_abs = np.maximum(np.abs(lo), np.abs(hi))
    return float(low_abs.max()), float(high_abs.max())


def box_gap_bounds(
    lo: FloatArray, hi: FloatArray, ref_lo: float | None = None, ref_hi: float | None = None
) -> tuple[float, float]:
    """Bounds of the largest gap from simultaneous per-group intervals ``[lo, hi]``.

    Without a comparator: the gap ``max v - min v`` lies in
    ``[max(0, max lo - min hi), max hi - min lo]``. With a comparator interval
    ``[ref_lo, ref_hi]``: ``max |v_g - ref|`` lies in ``[max_g dist([lo_g - ref_hi,
    hi_g - ref_lo], 0), max_g max(|lo_g - ref_hi|, |hi_g - ref_lo|)]``.
    """
    if ref_lo is None or ref_hi is None:
        return max(0.0, float(lo.max() - hi.min())), float(hi.max() - lo.min())
    d_lo, d_hi = lo - ref_hi, hi - ref_lo
    return pair_gap_bounds(d_lo, d_hi)


def _sym_ratio_bounds(r_lo: FloatArray, r_hi: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Bounds of ``min(r, 1/r)`` for ``r`` in ``[r_lo, r_hi]`` (``r_hi`` may be inf)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_lo = np.where(r_hi > 0, 1.0 / r_hi, np.inf)
        inv_hi = np.where(r_lo > 0, 1.0 / r_lo, np.inf)
    low = np.minimum(r_lo, inv_lo)
    high = np.where((r_lo <= 1.0) & (r_hi >= 1.0), 1.0, np.minimum(r_hi, inv_hi))
    return np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)


def pair_ratio_bounds(r_lo: FloatArray, r_hi: FloatArray) -> tuple[float, float]:
    """Bounds of ``min_k min(r_k, 1/r_k)`` from simultaneous intervals ``[r_lo, r_hi]`` of ratios.

    Each interval folds to bounds of ``min(r_k, 1/r_k)`` (its upper bound is 1 where the interval
    contains 1); the smallest folded ratio lies between the smallest lower and upper bounds.
    """
    low, high = _sym_ratio_bounds(
        np.asarray(r_lo, dtype=np.float64), np.asarray(r_hi, dtype=np.float64)
    )
    return float(low.min()), float(high.min())


def box_ratio_bounds(
    lo: FloatArray, hi: FloatArray, ref_lo: float | None = None, ref_hi: float | None = None
) -> tuple[float, float]:
    """Bounds of the smallest ratio from simultaneous per-group intervals of non-negative values.

    Without a comparator: ``min v / max v`` lies in ``[min lo / max hi, min(1, min hi / max lo)]``
    (0/0 reads as "any ratio", 0 to 1). With a comparator ``[ref_lo, ref_hi]``: the smallest of
    ``min(v_g / ref, ref / v_g)``, bounded through the box ``v_g / ref`` in
    ``[lo_g / ref_hi, hi_g / ref_lo]``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        if ref_lo is None or ref_hi is None:
            top_hi, top_lo = float(hi.max()), float(lo.max())
            low = float(lo.min()) / top_hi if top_hi > 0 else 0.0
            high = min(1.0, float(hi.min()) / top_lo) if top_lo > 0 else 1.0
            return max(0.0, low), high
        r_lo = np.where(ref_hi > 0, lo / ref_hi, 0.0)
        r_hi = np.where(ref_lo > 0, hi / ref_lo, np.inf)
        r_hi = np.where((hi == 0) & (ref_lo == 0), np.inf, r_hi)
    low_r, high_r = _sym_ratio_bounds(np.asarray(r_lo), np.asarray(r_hi))
    return float(low_r.min()), float(high_r.min())
