"""Statistics of a change between two runs: MOVER intervals, paired DeLong, bootstrap tests.

References
----------
DeLong, E. R., DeLong, D. M. & Clarke-Pearson, D. L. (1988). Comparing the areas under two
or more correlated receiver operating characteristic curves. *Biometrics* 44(3), 837-845.

Sun, X. & Xu, W. (2014). Fast implementation of DeLong's algorithm for comparing the areas
under correlated receiver operating characteristic curves. *IEEE Signal Processing Letters*
21(11), 1389-1393.

Zou, G. Y. & Donner, A. (2008). Construction of confidence limits about effect measures: a
general approach. *Statistics in Medicine* 27(10), 1693-1702 (MOVER).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from equilens.stats import as_float_arrays, mover_difference_interval, z_test, z_two_sided

FloatArray = NDArray[np.float64]

__all__ = [
    "PairedAuc",
    "bootstrap_se",
    "bootstrap_z_test",
    "delong_paired",
    "mover_difference",
    "widened",
]


def mover_difference(
    est1: ArrayLike,
    lo1: ArrayLike,
    hi1: ArrayLike,
    est2: ArrayLike,
    lo2: ArrayLike,
    hi2: ArrayLike,
    alpha: float = 0.05,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Interval and test for ``est1 - est2`` of two independent estimates, from their intervals.

    Parameters
    ----------
    est1, lo1, hi1 : array_like
        First estimate and its (possibly asymmetric) ``1 - alpha`` interval.
    est2, lo2, hi2 : array_like
        Second estimate and its interval, independent of the first. All broadcast together.
    alpha : float
        Level of both input intervals and of the output.

    Returns
    -------
    diff, lo, hi : ndarray
        ``est1 - est2`` and the MOVER limits (Zou & Donner 2008)::

            lo = diff - sqrt((est1 - lo1)^2 + (hi2 - est2)^2)
            hi = diff + sqrt((hi1 - est1)^2 + (est2 - lo2)^2)

        With Wilson input intervals this is Newcombe's hybrid score interval.
    z, p_value : ndarray
        A normal test implied by the interval: the half-width on the side facing zero is taken
        as ``z_{1-alpha/2}`` standard errors, so ``p < alpha`` exactly when the interval
        excludes 0. NaN where that half-width is 0 and the difference is not (no variance).
        With a zero difference and zero width, p = 1.
    """
    e1, l1, h1, e2, l2, h2 = as_float_arrays(est1, lo1, hi1, est2, lo2, hi2)
    z = z_two_sided(alpha)
    diff = e1 - e2
    with np.errstate(invalid="ignore"):
        lo, hi = mover_difference_interval(e1, l1, h1, e2, l2, h2)
        half = np.where(diff >= 0, diff - lo, hi - diff)
    stat, p = z_test(diff, half / z)
    both_zero = (diff == 0) & (half == 0)
    stat = np.where(both_zero, 0.0, stat)
    p = np.where(both_zero, 1.0, p)
    return diff, lo, hi, stat, p


def widened(
    estimate: float, lo: float, hi: float, alpha: float, new_alpha: float
) -> tuple[float, float]:
    """An interval at level ``1 - alpha`` re-expressed at level ``1 - new_alpha``.

    Each side's half-width is taken as ``z_{1-alpha/2}`` standard errors (the reading of the
    MOVER test) and rescaled to ``z_{1-new_alpha/2}``, keeping the interval's asymmetry.
    """
    k = z_two_sided(new_alpha) / z_two_sided(alpha)
    return estimate - (estimate - lo) * k, estimate + (hi - estimate) * k


def bootstrap_se(draws: ArrayLike) -> FloatArray:
    """Standard deviation (ddof 1) of bootstrap replicates on axis 0, ignoring NaN draws.

    NaN where fewer than two draws are defined.
    """
    d = np.asarray(draws, dtype=np.float64)
    ok = np.sum(np.isfinite(d), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        safe = np.where(np.isfinite(d), d, np.nan)
        se = np.sqrt(
            np.nansum((safe - np.nanmean(np.where(ok > 0, safe, 0.0), axis=0)) ** 2, axis=0)
            / np.maximum(ok - 1, 1)
        )
    return np.asarray(np.where(ok >= 2, se, np.nan), dtype=np.float64)


def bootstrap_z_test(estimate: ArrayLike, draws: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Two-sided z test of ``estimate == 0`` with the bootstrap standard error.

    ``draws`` has the bootstrap replicates on axis 0; undefined (NaN) draws are ignored. The
    standard error is their standard deviation (ddof 1). NaN where fewer than two draws are
    defined or the standard error is 0 with a non-zero estimate; p = 1 for a zero estimate
    with zero spread (the statistic never varies).
    """
    est = np.asarray(estimate, dtype=np.float64)
    se = bootstrap_se(draws)
    stat, p = z_test(est, se)
    flat = (se == 0) & (est == 0)
    return np.where(flat, 0.0, stat), np.where(flat, 1.0, p)


@dataclass(frozen=True)
class PairedAuc:
    """Two ROC-AUCs on the same rows and their DeLong covariance."""

    auc_base: float
    auc_candidate: float
    var_base: float
    var_candidate: float
    covariance: float
    n_pos: int
    n_neg: int

    @property
    def difference(self) -> float:
        """Candidate minus base."""
        return self.auc_candidate - self.auc_base

    @property
    def se_difference(self) -> float:
        """Standard error of the difference: ``sqrt(var_b + var_c - 2 cov)``."""
        v = self.var_base + self.var_candidate - 2.0 * self.covariance
        return float(np.sqrt(v)) if v > 0 else (0.0 if v > -1e-15 else float("nan"))


def delong_paired(
    y_true: ArrayLike, score_base: ArrayLike, score_candidate: ArrayLike
) -> PairedAuc | None:
    """DeLong (1988) AUCs, variances and covariance of two scores on the same rows.

    Parameters
    ----------
    y_true : array_like of {0, 1}
    score_base, score_candidate : array_like of float
        Scores of the positive class, one per row. Ties count one half.

    Returns
    -------
    PairedAuc or None
        None when the rows lack positives or negatives, or there are fewer than two of
        either (no sample covariance).

    Notes
    -----
    The fast algorithm of Sun & Xu (2014): the structural components are midrank
    differences, ``V10_i = (R_all(x_i) - R_pos(x_i)) / n`` for each positive ``x_i`` and
    ``V01_j = 1 - (R_all(y_j) - R_neg(y_j)) / m`` for each negative, and
    ``S = cov(V10) / m + cov(V01) / n`` (sample covariances, ddof 1) over the two models.
    """
    y = np.asarray(y_true).astype(bool)
    scores = np.vstack(
        [np.asarray(score_base, dtype=np.float64), np.asarray(score_candidate, dtype=np.float64)]
    )
    pos, neg = scores[:, y], scores[:, ~y]
    m, n = pos.shape[1], neg.shape[1]
    if m < 2 or n < 2:
        return None
    v10 = np.empty((2, m))
    v01 = np.empty((2, n))
    aucs = np.empty(2)
    for r in range(2):
        all_ranks = stats.rankdata(np.concatenate([pos[r], neg[r]]))
        rx = stats.rankdata(pos[r])
        ry = stats.rankdata(neg[r])
        v10[r] = (all_ranks[:m] - rx) / n
        v01[r] = 1.0 - (all_ranks[m:] - ry) / m
        aucs[r] = float(v10[r].mean())
    cov = np.cov(v10) / m + np.cov(v01) / n
    return PairedAuc(
        auc_base=float(aucs[0]),
        auc_candidate=float(aucs[1]),
        var_base=float(cov[0, 0]),
        var_candidate=float(cov[1, 1]),
        covariance=float(cov[0, 1]),
        n_pos=m,
        n_neg=n,
    )
