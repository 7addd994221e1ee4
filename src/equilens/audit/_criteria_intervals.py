"""Intervals of the fairness criteria: simultaneous (Bonferroni) bounds valid at parity.

See ``docs/design/0004-criteria-intervals.md``. Per group, the interval is the audit's own
closed form at level ``1 - alpha / K``: Wilson (Clopper-Pearson below 10 trials) on Kish
effective counts for rates, the bias-bounded interval for ECE, normal with the DeLong or
bootstrap standard error otherwise. ``K``
counts every interval the bound rests on, over all base metrics of the criterion, so all of them
hold at once with probability at least ``1 - alpha``.

* Largest difference between groups, or to the reference group: one MOVER (Newcombe) interval
  per pair of groups, ``K`` = pairs x base metrics.
* Smallest ratio between groups, or to the reference group, of rates: one log-ratio (Katz)
  interval per pair of groups on Kish effective counts, ``K`` = pairs x base metrics, each folded
  to ``min(r, 1/r)``. Only where every group has at least ``SMALL_N_THRESHOLD`` effective trials
  and a rate strictly between 0 and 1 (the log-ratio is undefined at 0, and its variance ignores
  a group at 1); otherwise the box below.
* Other ratios, differences to the overall population (which overlaps each group) and
  differences of a metric whose interval is a bound on a biased estimate (ECE): one interval per
  group and one for the comparator, ``K`` = intervals x base metrics; the criterion's bounds
  follow from the box of simultaneous intervals.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import special

from equilens.metrics import Evaluated
from equilens.stats import (
    SMALL_N_THRESHOLD,
    box_gap_bounds,
    box_ratio_bounds,
    mover_difference_interval,
    pair_gap_bounds,
    pair_ratio_bounds,
    proportion_interval,
    ratio_interval,
)

FloatArray = NDArray[np.float64]

__all__ = ["criterion_bounds", "group_intervals"]


def group_intervals(
    ev: Evaluated, idx: NDArray[np.int64], alpha: float
) -> tuple[FloatArray, FloatArray] | str:
    """Intervals of ``ev`` on the slices ``idx`` at level ``1 - alpha``, or why there are none."""
    value = ev.value[idx]
    if ev.interval_at is not None:
        lo, hi = ev.interval_at(idx, alpha)
    elif ev.successes is not None and ev.trials is not None:
        lo, hi, _ = proportion_interval(ev.successes[idx], ev.trials[idx], alpha)
        lo, hi = np.minimum(lo, value), np.maximum(hi, value)
    else:
        if ev.variance is not None:
            se = np.sqrt(np.where(ev.variance[idx] >= 0, ev.variance[idx], np.nan))
        elif ev.draws is not None:
            draws = ev.draws[:, idx]
            if np.isnan(draws).any():
                return "the metric is undefined in some bootstrap draws of a group"
            se = draws.std(axis=0, ddof=1)
        else:
            return "bootstrap disabled (bootstrap=0)"
        if not (se > 0).all():  # a variance of zero is not precision (e.g. perfect separation)
            return "a group's standard error is zero or undefined"
        z = float(-special.ndtri(alpha / 2.0))
        lo, hi = value - z * se, value + z * se
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        return "a group's metric has no interval"
    return np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)


def _pairs(n: int, ref_pos: int | None) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    if ref_pos is None:
        i, j = np.triu_indices(n, k=1)
        return i, j
    others = np.array([k for k in range(n) if k != ref_pos], dtype=np.intp)
    return others, np.full(others.shape, ref_pos, dtype=np.intp)


def _pairwise_ratio_bounds(
    bases: list[Evaluated],
    included: NDArray[np.int64],
    a: NDArray[np.intp],
    b: NDArray[np.intp],
    alpha: float,
) -> list[tuple[float, float]] | None:
    """Bounds of the smallest ratio per base metric from Bonferroni log-ratio intervals over the
    pairs ``(a, b)``, or None where a pair's interval is undefined or unreliable."""
    k = len(a) * len(bases)
    bounds = []
    for ev in bases:
        if ev.successes is None or ev.trials is None or ev.interval_at is not None:
            return None
        x, n = ev.successes[included], ev.trials[included]
        if not ((x > 0) & (x < n) & (n >= SMALL_N_THRESHOLD)).all():
            return None
        r_lo, r_hi = ratio_interval(x[a], n[a], x[b], n[b], alpha / k)
        if not (np.isfinite(r_lo).all() and np.isfinite(r_hi).all()):
            return None
        bounds.append(pair_ratio_bounds(r_lo, r_hi))
    return bounds


def criterion_bounds(
    bases: list[Evaluated],
    included: NDArray[np.int64],
    reference: int,
    statistic: str,
    method: str,
    alpha: float,
) -> tuple[float, float, str] | str:
    """``(low, high, ci_method)`` of one criterion on one family, or the reason for none."""
    n = len(included)
    ref_pos = None
    if method == "to_reference":
        ref_pos = int(np.flatnonzero(included == reference)[0])
    # MOVER needs estimate -/+ error intervals; a bound-type interval (ECE) goes in the box.
    symmetric = all(ev.interval_at is None for ev in bases)
    if statistic == "difference" and method != "to_overall" and symmetric:
        a, b = _pairs(n, ref_pos)
        k = len(a) * len(bases)
        label = f"simultaneous pairwise MOVER (Bonferroni over {k} intervals)"
        if k == 0:
            return 0.0, 0.0, label
        bounds = []
        for ev in bases:
            got = group_intervals(ev, included, alpha / k)
            if isinstance(got, str):
                return got
            lo, hi = got
            v = ev.value[included]
            d_lo, d_hi = mover_difference_interval(v[a], lo[a], hi[a], v[b], lo[b], hi[b])
            bounds.append(pair_gap_bounds(d_lo, d_hi))
    else:
        pairwise = None
        if statistic == "ratio" and method != "to_overall" and n > 1:
            a, b = _pairs(n, ref_pos)
            pairwise = _pairwise_ratio_bounds(bases, included, a, b, alpha)
            k = len(a) * len(bases)
            label = f"simultaneous pairwise log-ratio (Bonferroni over {k} intervals)"
        if pairwise is not None:
            bounds = pairwise
        else:
            got_box = _box_bounds(bases, included, ref_pos, statistic, method, alpha)
            if isinstance(got_box, str):
                return got_box
            bounds, label = got_box
    lows, highs = zip(*bounds, strict=True)
    if statistic == "difference":
        return max(lows), max(highs), label
    return min(lows), min(highs), label


def _box_bounds(
    bases: list[Evaluated],
    included: NDArray[np.int64],
    ref_pos: int | None,
    statistic: str,
    method: str,
    alpha: float,
) -> tuple[list[tuple[float, float]], str] | str:
    """Per-base-metric bounds from the box of simultaneous per-group intervals."""
    n = len(included)
    extra = 1 if method == "to_overall" else 0
    k = (n + extra) * len(bases)
    label = f"simultaneous per-group (Bonferroni over {k} intervals)"
    idx = np.concatenate([included, [0]]) if extra else included
    bounds = []
    for ev in bases:
        got = group_intervals(ev, idx, alpha / k)
        if isinstance(got, str):
            return got
        lo, hi = got
        comp = len(idx) - 1 if extra else ref_pos
        if comp is None:
            g_lo, g_hi, r_lo, r_hi = lo, hi, None, None
        else:
            keep = np.arange(len(idx)) != comp  # the reference against itself is parity
            if not keep.any():
                bounds.append((0.0, 0.0) if statistic == "difference" else (1.0, 1.0))
                continue
            g_lo, g_hi, r_lo, r_hi = lo[keep], hi[keep], float(lo[comp]), float(hi[comp])
        box = box_gap_bounds if statistic == "difference" else box_ratio_bounds
        bounds.append(box(g_lo, g_hi, r_lo, r_hi))
    return bounds, label
