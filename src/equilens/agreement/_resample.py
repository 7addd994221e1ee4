"""Bootstrap over independent units of a statistic that is a function of unit totals.

Every agreement coefficient here (and corpus BLEU/chrF/TER) is ``f(T)`` with ``T`` the sum
over units (items, segments) of a few numbers per unit. Resampling units with replacement
then needs no pass over the data: a draw's totals are ``W @ Q`` with ``W`` the draw's unit
counts and ``Q`` the per-unit numbers, so ``B`` draws of ``N`` units cost one matrix product.

The interval is the **BCa** interval (Efron 1987): the percentile interval corrected for the
bias of ``f(T*)`` around ``f(T)`` (``z0``) and for the skewness of its distribution
(acceleration ``a``, from the leave-one-unit-out jackknife, which is ``T - Q_u``: exact and
cheap). Agreement coefficients are ratios bounded above by 1 and skewed near it, where the
plain percentile interval under-covers (see docs/design/0017-text-quality-and-agreement.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

FloatArray = NDArray[np.float64]
TotalsFunction = Callable[[FloatArray], FloatArray]

#: Draws computed per matrix product (bounds memory at B x N counts per chunk).
_CHUNK_CELLS = 4_000_000


@dataclass(frozen=True)
class BootstrapResult:
    """A statistic with its bootstrap draws and interval."""

    value: float
    ci_low: float
    ci_high: float
    se: float
    """Standard deviation of the defined draws (NaN when fewer than two)."""
    draws: FloatArray
    method: str
    jackknife_se: float = float("nan")
    """Leave-one-unit-out jackknife standard error (NaN when not computed)."""
    """``"bca"``, or ``"percentile"`` where the jackknife is degenerate."""


def unit_counts(
    n_units: int, draws: int, rng: np.random.Generator, start: int = 0, stop: int | None = None
) -> FloatArray:
    """Counts of each unit in draws ``start:stop`` of ``draws`` (shape ``(stop-start, N)``)."""
    stop = draws if stop is None else stop
    idx = rng.integers(0, n_units, size=(stop - start, n_units))
    offsets = (np.arange(stop - start) * n_units)[:, None]
    counts = np.bincount((idx + offsets).ravel(), minlength=(stop - start) * n_units)
    return counts.reshape(stop - start, n_units).astype(np.float64)


def resampled_unit_totals(per_unit: FloatArray, draws: int, rng: np.random.Generator) -> FloatArray:
    """Totals of ``per_unit`` (``N x q``) in ``draws`` resamples of the units: ``(B, q)``."""
    n = per_unit.shape[0]
    out = np.empty((draws, per_unit.shape[1]), dtype=np.float64)
    step = max(1, _CHUNK_CELLS // max(n, 1))
    for start in range(0, draws, step):
        stop = min(draws, start + step)
        out[start:stop] = unit_counts(n, draws, rng, start, stop) @ per_unit
    return out


def bca_bounds(
    value: float, draws: FloatArray, jackknife: FloatArray, alpha: float = 0.05
) -> tuple[float, float, str]:
    """BCa bounds from defined bootstrap draws and leave-one-out values (NaN skipped)."""
    draws = draws[np.isfinite(draws)]
    if draws.size < 2 or not np.isfinite(value):
        return float("nan"), float("nan"), "none"
    lo_q, hi_q = alpha / 2, 1 - alpha / 2
    jack = jackknife[np.isfinite(jackknife)]
    below = (np.sum(draws < value) + 0.5 * np.sum(draws == value)) / draws.size
    method = "percentile"
    if 0.0 < below < 1.0 and jack.size >= 3:
        z0 = float(special.ndtri(below))
        d = jack.mean() - jack
        denom = 6.0 * float(np.sum(d * d)) ** 1.5
        if denom > 0:
            a = float(np.sum(d**3)) / denom
            z = special.ndtri(np.array([lo_q, hi_q]))
            adj = special.ndtr(z0 + (z0 + z) / (1 - a * (z0 + z)))
            if np.all(np.isfinite(adj)):
                lo_q, hi_q = float(adj[0]), float(adj[1])
                method = "bca"
    lo, hi = np.quantile(draws, [lo_q, hi_q])
    return float(lo), float(hi), method


def unit_bootstrap(
    per_unit: FloatArray,
    statistic: TotalsFunction,
    *,
    draws: int = 1000,
    rng: np.random.Generator | None = None,
    alpha: float = 0.05,
) -> BootstrapResult:
    """Statistic ``statistic(totals)`` with a BCa interval from resampling the units.

    ``statistic`` maps totals of shape ``(k, q)`` to ``k`` values (vectorised over draws);
    it may return NaN for an undefined draw (those are dropped; the share is in the draws).
    """
    rng = np.random.default_rng(0) if rng is None else rng
    per_unit = np.asarray(per_unit, dtype=np.float64)
    total = per_unit.sum(axis=0)
    value = float(statistic(total[None, :])[0])
    boot = statistic(resampled_unit_totals(per_unit, draws, rng))
    jack = statistic(total[None, :] - per_unit) if per_unit.shape[0] <= 200_000 else boot[:0]
    lo, hi, method = bca_bounds(value, boot, jack, alpha)
    finite = boot[np.isfinite(boot)]
    se = float(np.std(finite, ddof=1)) if finite.size >= 2 else float("nan")
    jfin = jack[np.isfinite(jack)]
    jse = float("nan")
    if jfin.size >= 2:
        jse = float(np.sqrt((jfin.size - 1) / jfin.size * np.sum((jfin - jfin.mean()) ** 2)))
    return BootstrapResult(value, lo, hi, se, boot, method, jse)
