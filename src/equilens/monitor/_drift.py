"""Descriptive drift scores from binned counts: PSI, two-sample KS, chi-square.

These describe how far one batch is from the reference. They are not alarms: each is a
fixed-sample statistic, and looking at it after every batch inflates false alarms (alarms come
from :mod:`equilens.monitor._sequential`). At large n every difference is "significant", so read
the PSI (an effect size) next to the p-values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

FloatArray = NDArray[np.float64]

__all__ = [
    "PSI_EPSILON",
    "DriftScore",
    "chi_square_counts",
    "ks_binned",
    "psi",
    "psi_interval",
    "quantile_groups",
]

#: Floor on bin proportions in the PSI (an empty bin would make it infinite).
PSI_EPSILON = 1e-4


@dataclass(frozen=True)
class DriftScore:
    """One drift statistic of one batch against the reference."""

    value: float
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    dof: int | None = None


def quantile_groups(ref_counts: FloatArray, n_groups: int = 10) -> NDArray[np.int64]:
    """Group consecutive fine bins so each group holds about ``1/n_groups`` of the reference.

    Returns the group index of every fine bin (non-decreasing, from 0). Bins are cut where the
    reference's cumulative share first reaches ``j / n_groups``; a bin is never split, so a heavy
    bin can make fewer groups.
    """
    counts = np.asarray(ref_counts, dtype=np.float64)
    total = counts.sum()
    if total <= 0:
        return np.zeros(counts.size, dtype=np.int64)
    cum = np.cumsum(counts) / total
    # group of bin b = number of cut levels j/n (j < n) strictly below the share before bin b
    before = np.concatenate([[0.0], cum[:-1]])
    levels = np.arange(1, n_groups) / n_groups
    groups = np.searchsorted(levels, before + 1e-12, side="right")
    # renumber to consecutive integers
    _, out = np.unique(groups, return_inverse=True)
    return out.astype(np.int64)


def _regroup(counts: FloatArray, groups: NDArray[np.int64]) -> FloatArray:
    return np.bincount(groups, weights=counts, minlength=int(groups.max()) + 1).astype(np.float64)


def psi(ref_counts: FloatArray, cur_counts: FloatArray, epsilon: float = PSI_EPSILON) -> float:
    """Population stability index ``sum (c - r) log(c / r)`` over bins of shares.

    Shares below ``epsilon`` are raised to ``epsilon`` (then the shares are not renormalised).
    NaN when either histogram is empty.
    """
    r = np.asarray(ref_counts, dtype=np.float64)
    c = np.asarray(cur_counts, dtype=np.float64)
    if r.sum() <= 0 or c.sum() <= 0:
        return math.nan
    rp = np.maximum(r / r.sum(), epsilon)
    cp = np.maximum(c / c.sum(), epsilon)
    return float(np.sum((cp - rp) * np.log(cp / rp)))


def psi_interval(
    ref_counts: FloatArray,
    cur_counts: FloatArray,
    *,
    draws: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
    epsilon: float = PSI_EPSILON,
) -> DriftScore:
    """PSI with a bias-corrected percentile bootstrap interval (multinomial redraws).

    Redrawing each histogram's counts from Multinomial(n, shares) is the row bootstrap of each
    sample. The PSI is biased upward in small samples (about ``(B - 1) (1/n + 1/m)`` with no
    drift at all, B bins), and so is its bootstrap distribution; the percentiles are shifted by
    the bootstrap's bias (its mean minus the estimate) and clipped at 0.
    """
    r = np.asarray(ref_counts, dtype=np.float64)
    c = np.asarray(cur_counts, dtype=np.float64)
    value = psi(r, c, epsilon)
    if math.isnan(value):
        return DriftScore(value)
    rng = np.random.default_rng(seed)
    nr, nc = int(np.rint(r.sum())), int(np.rint(c.sum()))
    rb = rng.multinomial(nr, r / r.sum(), size=draws).astype(np.float64)
    cb = rng.multinomial(nc, c / c.sum(), size=draws).astype(np.float64)
    rp = np.maximum(rb / nr, epsilon)
    cp = np.maximum(cb / nc, epsilon)
    boot = np.sum((cp - rp) * np.log(cp / rp), axis=1)
    tail = (1 - confidence) / 2 * 100
    lo, hi = np.percentile(boot, [tail, 100 - tail]) - (float(np.mean(boot)) - value)
    return DriftScore(value, ci_low=max(float(lo), 0.0), ci_high=max(float(hi), 0.0))


def ks_binned(ref_counts: FloatArray, cur_counts: FloatArray) -> DriftScore:
    """Two-sample Kolmogorov-Smirnov statistic and p-value from two histograms on the same bins.

    The empirical CDFs are compared at the bin edges only, so D is a lower bound on the
    statistic of the raw values, exact when every value lies on a bin's representative (e.g.
    scores rounded to the grid). The p-value is scipy's two-sided asymptotic one
    (``scipy.stats.ks_2samp(method="asymp")``); with ties (binned data) it is conservative.
    """
    r = np.asarray(ref_counts, dtype=np.float64)
    c = np.asarray(cur_counts, dtype=np.float64)
    n, m = r.sum(), c.sum()
    if n <= 0 or m <= 0:
        return DriftScore(math.nan)
    d = float(np.max(np.abs(np.cumsum(r) / n - np.cumsum(c) / m)))
    en = n * m / (n + m)
    p = float(np.clip(stats.kstwo.sf(d, np.round(en)), 0.0, 1.0))
    return DriftScore(d, p_value=p)


def chi_square_counts(ref_counts: FloatArray, cur_counts: FloatArray) -> DriftScore:
    """Pearson chi-square test of homogeneity of two count vectors (no continuity correction).

    Categories empty in both samples are dropped; the test has ``k - 1`` degrees of freedom for
    the ``k`` categories left. Equals ``scipy.stats.chi2_contingency(correction=False)`` on the
    2 x k table.
    """
    r = np.asarray(ref_counts, dtype=np.float64)
    c = np.asarray(cur_counts, dtype=np.float64)
    keep = (r + c) > 0
    r, c = r[keep], c[keep]
    n, m = r.sum(), c.sum()
    if n <= 0 or m <= 0 or r.size < 2:
        return DriftScore(math.nan)
    table = np.vstack([r, c])
    expected = np.outer([n, m], r + c) / (n + m)
    stat = float(np.sum((table - expected) ** 2 / expected))
    dof = int(r.size - 1)
    return DriftScore(stat, p_value=float(stats.chi2.sf(stat, dof)), dof=dof)
