"""Intraclass correlation ICC(2,1) and ICC(2,k): two-way random effects, absolute agreement.

Shrout & Fleiss (1979) forms 2,1 and 2,k from the two-way ANOVA of a complete items x
raters table; the interval is McGraw & Wong's (1996, case 2A) F-based interval with the
Satterthwaite degrees of freedom, and ICC(2,k)'s bounds are ICC(2,1)'s stepped up with the
Spearman-Brown formula (``k L / (1 + (k - 1) L)``, monotone in ``L``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from equilens.exceptions import InvalidInputError


@dataclass(frozen=True)
class IccResult:
    """ICC(2,1) and ICC(2,k) with their F-based intervals."""

    single: float
    single_low: float
    single_high: float
    average: float
    average_low: float
    average_high: float
    n_items: int
    n_raters: int
    ms_items: float
    ms_raters: float
    ms_error: float


def icc(matrix: ArrayLike, *, alpha: float = 0.05) -> IccResult:
    """ICC(2,1) and ICC(2,k) of a complete items x raters matrix (no missing ratings)."""
    from scipy import stats

    x = np.asarray(matrix, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 2:
        raise InvalidInputError("ICC needs at least two items rated by at least two raters")
    if np.isnan(x).any():
        raise InvalidInputError("ICC needs every rater to rate every item (missing ratings)")
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * np.sum((x.mean(axis=1) - grand) ** 2)
    ss_cols = n * np.sum((x.mean(axis=0) - grand) ** 2)
    ss_err = np.sum((x - grand) ** 2) - ss_rows - ss_cols
    msr = ss_rows / (n - 1)
    msc = ss_cols / (k - 1)
    mse = ss_err / ((n - 1) * (k - 1))
    denom1 = msr + (k - 1) * mse + k * (msc - mse) / n
    denomk = msr + (msc - mse) / n
    nan = float("nan")
    single = float((msr - mse) / denom1) if denom1 > 0 else nan
    average = float((msr - mse) / denomk) if denomk > 0 else nan
    lo = hi = nan
    if np.isfinite(single) and single < 1 and mse > 0:
        a = k * single / (n * (1 - single))
        b = 1 + k * single * (n - 1) / (n * (1 - single))
        v = (a * msc + b * mse) ** 2 / (
            (a * msc) ** 2 / (k - 1) + (b * mse) ** 2 / ((n - 1) * (k - 1))
        )
        f_lo = stats.f.ppf(1 - alpha / 2, n - 1, v)
        f_hi = stats.f.ppf(1 - alpha / 2, v, n - 1)
        lo = float(n * (msr - f_lo * mse) / (f_lo * (k * msc + (k * n - k - n) * mse) + n * msr))
        hi = float(n * (f_hi * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f_hi * msr))

    def step_up(r: float) -> float:
        return k * r / (1 + (k - 1) * r) if np.isfinite(r) else nan

    return IccResult(
        single, lo, hi, average, step_up(lo), step_up(hi), n, k, float(msr), float(msc), float(mse)
    )
