"""Paired statistics for counterfactual pairs: flips, score shifts, sign and effect size.

Each pair is one unit scored twice: once with the reference value of the attribute and once
with another value. The statistics here compare the two columns of a paired design:

* **flip rate**: share of pairs whose decision (score >= threshold) differs, with the exact
  Clopper-Pearson interval; McNemar's test on the discordant pairs (exact binomial when they
  are fewer than 25) says whether flips go one way more than the other;
* **mean score shift** (other minus reference), with the paired t test and its t interval
  (a percentile bootstrap under-covers with 10 pairs); the **median shift** with its exact
  order-statistic interval, whose test is the exact sign test (``scipy.stats.binomtest`` on the
  pairs whose score changed); the Wilcoxon signed-rank test (``scipy.stats.wilcoxon``; zero
  differences dropped) is kept as a descriptive test: it tests symmetry about 0 (the
  pseudo-median), not the mean, so a skewed zero-mean shift can reject it;
* **d_z** = mean(diff) / sd(diff) (Cohen's standardized mean difference for paired data,
  ``ddof=1``), with a bootstrap interval;
* **invariance** (:func:`invariance_stats`): a model whose decisions flip both ways can keep
  its average, so the flip rate and the mean absolute shift are tested against the
  practical-equivalence gap (one-sided exact binomial and t tests); "invariant" needs their
  upper limits below the gap.

References
----------
McNemar, Q. (1947). Psychometrika 12(2), 153-157. Wilcoxon, F. (1945). Individual comparisons
by ranking methods. Biometrics Bulletin 1(6), 80-83. Cohen, J. (1988). *Statistical Power
Analysis for the Behavioral Sciences*, 2nd ed., section 2.3 (d for paired observations).
Lakens, D. (2013). Calculating and reporting effect sizes. Frontiers in Psychology 4:863.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.stats import (
    clopper_pearson_interval,
    mcnemar_test,
    median_interval,
    percentile_interval,
    t_mean_interval,
    z_two_sided,
)

__all__ = [
    "FlipStats",
    "InvarianceStats",
    "ShiftStats",
    "flip_stats",
    "invariance_stats",
    "mcnemar_mdd",
    "shift_stats",
]

FloatArray = NDArray[np.float64]

#: Test names written into the audit log.
WILCOXON = "wilcoxon-signed-rank"
SIGN_TEST = "sign-test"
PAIRED_T = "paired-t"
#: The mean's test when the shifts have no spread (the t statistic is undefined).
SIGN_FLIP = "sign-flip-exact (shifts without spread)"
FLIP_GAP_TEST = "binomial-exact-one-sided (flip rate > gap)"
ABS_GAP_TEST = "t-one-sided (mean absolute shift > gap)"


def _nan_to_none(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


@dataclass(frozen=True)
class FlipStats:
    """Decision flips between the reference and the other member of each pair.

    Attributes
    ----------
    n : int
        Pairs.
    flips : int
        Pairs whose decisions differ (``up + down``).
    up, down : int
        Flips from negative to positive and from positive to negative (reference -> other).
    positive_rate_reference, positive_rate_other : float or None
        Shares of positive decisions in each column (None without pairs).
    rate, ci_low, ci_high : float or None
        Flip rate and its Clopper-Pearson interval.
    statistic, p_value : float or None
        McNemar's test (exact binomial on ``up`` vs ``down`` when ``flips < 25``).
    test : str
        ``mcnemar-exact``, ``mcnemar-chi-square`` or ``none``.
    """

    n: int
    flips: int
    up: int
    down: int
    positive_rate_reference: float | None
    positive_rate_other: float | None
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    statistic: float | None
    p_value: float | None
    test: str


def _as_pairs(reference: ArrayLike, other: ArrayLike) -> tuple[FloatArray, FloatArray]:
    ref = np.asarray(reference, dtype=np.float64).reshape(-1)
    oth = np.asarray(other, dtype=np.float64).reshape(-1)
    if ref.shape != oth.shape:
        raise InvalidInputError(
            f"Found paired inputs with inconsistent numbers of samples: [{ref.size}, {oth.size}]"
        )
    if not (np.all(np.isfinite(ref)) and np.all(np.isfinite(oth))):
        raise InvalidInputError("Paired scores must be finite (drop failed pairs first)")
    return ref, oth


def flip_stats(
    reference: ArrayLike, other: ArrayLike, *, threshold: float = 0.5, alpha: float = 0.05
) -> FlipStats:
    """Flip rate, its exact interval and McNemar's test for paired scores.

    Parameters
    ----------
    reference, other : array_like of float, shape (n,)
        Scores of the reference and the other member of each pair.
    threshold : float, default 0.5
        A score ``>= threshold`` is a positive decision.
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    FlipStats
    """
    ref, oth = _as_pairs(reference, other)
    d_ref = ref >= threshold
    d_oth = oth >= threshold
    n = int(ref.size)
    up = int(np.sum(~d_ref & d_oth))
    down = int(np.sum(d_ref & ~d_oth))
    flips = up + down
    if n == 0:
        return FlipStats(0, 0, 0, 0, None, None, None, None, None, None, None, "none")
    lo, hi = clopper_pearson_interval(flips, n, alpha)
    stat, p, name = mcnemar_test(up, down)
    return FlipStats(
        n=n,
        flips=flips,
        up=up,
        down=down,
        positive_rate_reference=float(d_ref.mean()),
        positive_rate_other=float(d_oth.mean()),
        rate=flips / n,
        ci_low=_nan_to_none(float(lo)),
        ci_high=_nan_to_none(float(hi)),
        statistic=_nan_to_none(float(stat)),
        p_value=_nan_to_none(float(p)),
        test=str(name),
    )


@dataclass(frozen=True)
class ShiftStats:
    """Score shift (other minus reference) over pairs.

    Attributes
    ----------
    n : int
        Pairs.
    mean_reference, mean_other : float or None
        Mean score of each column.
    mean_shift, ci_low, ci_high : float or None
        Mean of ``other - reference`` and its Student t interval (None below two pairs).
    wilcoxon_statistic, wilcoxon_p : float or None
        Wilcoxon signed-rank test (zero differences dropped), a test of symmetry about 0 (not
        of the mean). With every difference zero the test is not run: statistic None and
        p-value 1.0 (no evidence of a shift).
    n_nonzero, n_increase : int
        Pairs whose score changed, and those among them whose score rose.
    increase_rate, increase_ci_low, increase_ci_high : float or None
        ``n_increase / n_nonzero`` with its Clopper-Pearson interval (None when nothing
        changed).
    sign_p : float or None
        Exact two-sided sign test of ``n_increase`` out of ``n_nonzero`` against 1/2
        (1.0 when nothing changed).
    dz, dz_ci_low, dz_ci_high : float or None
        Effect size d_z and its bootstrap interval; None when the differences have no spread.
    undefined_draws : float or None
        Share of bootstrap draws where d_z was undefined (zero spread in the draw).
    t_statistic, t_p : float or None
        Paired t test of a zero mean shift; with no spread the statistic is None and the p-value
        the exact sign-flip randomisation test's (``2^(1-n)`` for a non-zero constant shift).
    median_shift, median_ci_low, median_ci_high : float or None
        Median of the shifts and its exact order-statistic interval (None below 6 pairs at
        95%); its test is the sign test.
    """

    n: int
    mean_reference: float | None
    mean_other: float | None
    mean_shift: float | None
    ci_low: float | None
    ci_high: float | None
    wilcoxon_statistic: float | None
    wilcoxon_p: float | None
    n_nonzero: int
    n_increase: int
    increase_rate: float | None
    increase_ci_low: float | None
    increase_ci_high: float | None
    sign_p: float | None
    dz: float | None
    dz_ci_low: float | None
    dz_ci_high: float | None
    undefined_draws: float | None
    t_statistic: float | None = None
    t_p: float | None = None
    median_shift: float | None = None
    median_ci_low: float | None = None
    median_ci_high: float | None = None


def _dz(diff: FloatArray) -> FloatArray:
    """d_z along the last axis; NaN where the spread is zero or n < 2."""
    n = diff.shape[-1]
    if n < 2:
        return np.full(diff.shape[:-1], np.nan)
    mean = diff.mean(axis=-1)
    sd = diff.std(axis=-1, ddof=1)
    # A spread below rounding noise of the mean is zero spread.
    tiny = sd <= 1e-12 * np.maximum(1.0, np.abs(mean))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = mean / sd
    return np.asarray(np.where(tiny, np.nan, out), dtype=np.float64)


def shift_stats(
    reference: ArrayLike,
    other: ArrayLike,
    *,
    draws: int = 1000,
    seed: int | np.random.Generator = 0,
    alpha: float = 0.05,
) -> ShiftStats:
    """Mean score shift with its t interval and test, median shift, Wilcoxon, sign test, d_z.

    Parameters
    ----------
    reference, other : array_like of float, shape (n,)
        Scores of the reference and the other member of each pair.
    draws : int, default 1000
        Bootstrap draws (pairs resampled with replacement) for the interval of d_z.
    seed : int or numpy.random.Generator, default 0
        Seed of the bootstrap.
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    ShiftStats
    """
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        raise InvalidParameterError(
            "The 'draws' parameter of shift_stats must be an int in the range [1, inf). "
            f"Got {draws!r} instead."
        )
    ref, oth = _as_pairs(reference, other)
    n = int(ref.size)
    if n == 0:
        return ShiftStats(
            0, None, None, None, None, None, None, None, 0, 0, None, None, None, None, None,
            None, None, None,
        )  # fmt: skip
    diff = oth - ref
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(draws, n))
    boot = diff[idx]
    _, m_lo, m_hi, t_stat, t_p = t_mean_interval(diff, alpha)
    med, med_lo, med_hi = median_interval(diff, alpha)
    dz_boot = _dz(boot)
    z_lo, z_hi, z_undef = percentile_interval(dz_boot, alpha)
    dz = float(_dz(diff[None, :])[0])

    nonzero = diff[diff != 0]
    n_nonzero = int(nonzero.size)
    n_increase = int(np.sum(nonzero > 0))
    if n_nonzero == 0:
        w_stat: float | None = None
        w_p: float | None = 1.0
        sign_p: float | None = 1.0
        inc_rate = inc_lo = inc_hi = None
    else:
        res = stats.wilcoxon(diff, zero_method="wilcox", alternative="two-sided")
        w_stat = float(res.statistic)
        w_p = float(res.pvalue)
        sign_p = float(stats.binomtest(n_increase, n_nonzero, 0.5).pvalue)
        inc_rate = n_increase / n_nonzero
        lo, hi = clopper_pearson_interval(n_increase, n_nonzero, alpha)
        inc_lo, inc_hi = float(lo), float(hi)
    return ShiftStats(
        n=n,
        mean_reference=float(ref.mean()),
        mean_other=float(oth.mean()),
        mean_shift=float(diff.mean()),
        ci_low=_nan_to_none(float(m_lo)),
        ci_high=_nan_to_none(float(m_hi)),
        wilcoxon_statistic=w_stat,
        wilcoxon_p=w_p,
        n_nonzero=n_nonzero,
        n_increase=n_increase,
        increase_rate=inc_rate,
        increase_ci_low=inc_lo,
        increase_ci_high=inc_hi,
        sign_p=sign_p,
        dz=_nan_to_none(dz),
        dz_ci_low=_nan_to_none(float(z_lo)),
        dz_ci_high=_nan_to_none(float(z_hi)),
        undefined_draws=float(z_undef),
        t_statistic=t_stat,
        t_p=t_p,
        median_shift=_nan_to_none(med),
        median_ci_low=_nan_to_none(med_lo),
        median_ci_high=_nan_to_none(med_hi),
    )


def mcnemar_mdd(discordant: int, n: int, alpha: float = 0.05, power: float = 0.8) -> float | None:
    """Minimum detectable difference of two paired proportions by McNemar's test.

    The normal approximation ``(z_{1-alpha/2} + z_{power}) sqrt(psi / n)`` with the share of
    discordant pairs ``psi`` taken at its upper Clopper-Pearson limit, so that a sample with
    no discordant pairs (``psi`` estimated 0) is not read as infinitely precise. None without
    pairs.
    """
    if n <= 0:
        return None
    _, psi = clopper_pearson_interval(discordant, n, alpha)
    z = z_two_sided(alpha) + float(stats.norm.ppf(power))
    return float(z * np.sqrt(float(psi) / n))


@dataclass(frozen=True)
class InvarianceStats:
    """Whether the outputs depend on the swapped value at all, in either direction.

    Attributes
    ----------
    n : int
        Pairs.
    gap : float
        The practical-equivalence gap both statistics are tested against.
    flip_rate, flip_ci_low, flip_ci_high : float or None
        Share of pairs whose decision flips (either way), Clopper-Pearson interval.
    flip_p : float or None
        Exact one-sided binomial test of ``flip rate <= gap`` against ``> gap``.
    mean_abs_shift, abs_ci_low, abs_ci_high : float or None
        Mean of ``|other - reference|`` and its t interval (lower limit clipped at 0; None
        below two pairs).
    abs_statistic, abs_p : float or None
        One-sided t test of ``mean |shift| <= gap`` against ``> gap``.
    """

    n: int
    gap: float
    flip_rate: float | None
    flip_ci_low: float | None
    flip_ci_high: float | None
    flip_p: float | None
    mean_abs_shift: float | None
    abs_ci_low: float | None
    abs_ci_high: float | None
    abs_statistic: float | None
    abs_p: float | None


def invariance_stats(
    reference: ArrayLike,
    other: ArrayLike,
    *,
    gap: float,
    threshold: float = 0.5,
    alpha: float = 0.05,
) -> InvarianceStats:
    """Flip rate and mean absolute shift with their intervals and one-sided tests against gap.

    A model is invariant to the swap (to within ``gap``) when both upper limits lie below
    ``gap``; it is shown not to be when either test rejects. Unlike the mean shift and
    McNemar's test, neither statistic cancels when half the pairs move up and half down.
    """
    if not isinstance(gap, int | float) or not 0.0 < float(gap) < 1.0:
        raise InvalidParameterError(
            f"The 'gap' parameter of invariance_stats must be a float in the range (0, 1). "
            f"Got {gap!r} instead."
        )
    ref, oth = _as_pairs(reference, other)
    n = int(ref.size)
    if n == 0:
        return InvarianceStats(0, float(gap), *([None] * 9))
    flips = int(np.sum((ref >= threshold) != (oth >= threshold)))
    f_lo, f_hi = clopper_pearson_interval(flips, n, alpha)
    flip_p = float(stats.binom.sf(flips - 1, n, gap))
    absd = np.abs(oth - ref)
    mean, lo, hi, stat, p = t_mean_interval(absd, alpha, null=float(gap), alternative="greater")
    return InvarianceStats(
        n=n,
        gap=float(gap),
        flip_rate=flips / n,
        flip_ci_low=_nan_to_none(float(f_lo)),
        flip_ci_high=_nan_to_none(float(f_hi)),
        flip_p=flip_p,
        mean_abs_shift=float(mean),
        abs_ci_low=_nan_to_none(max(lo, 0.0)),
        abs_ci_high=_nan_to_none(hi),
        abs_statistic=stat,
        abs_p=p,
    )
