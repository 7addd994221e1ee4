"""Each claim as a test of its region, and Holm's correction over a card's claims.

A claim says the true value lies in a region ``[a, b]`` (one side may be infinite). The claim
is contradicted when the data reject that; the p-value is that of the nearer boundary,
two-sided so that it agrees with the audit's two-sided interval: ``p < 1 - level`` exactly
when the interval misses the region.

* ``wilson`` rows (rates): the score test of the boundary, ``z = (p̂ - a) / sqrt(a(1 - a) / n)``
  with the row's (effective) denominator, the test the Wilson interval inverts;
* ``clopper-pearson`` rows: the exact binomial tail at the boundary (as a Beta tail, so a
  weighted count works), the test the Clopper-Pearson interval inverts;
* every other interval (bootstrap percentiles, DeLong, logit, normal): the log keeps no
  bootstrap draws, so the interval's implied normal is used, with the standard error of the
  side facing the boundary, ``(hi - estimate) / z``; where the estimate lies outside its own
  interval (bias-corrected gaps), the interval's midpoint and half-width.

Exact values (counts) give p = 0 outside the region and 1 inside.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
from scipy import stats

from equilens.stats import holm

__all__ = ["claim_p_value", "holm_adjust"]


def _lower(z: float) -> float:
    """Standard normal P(Z <= z) (math.erfc: no scipy call per claim)."""
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def _score_tail(value: float, boundary: float, n: float, below: bool) -> float:
    """P(an estimate at least this far below (or above) ``boundary`` | truth = boundary)."""
    if below:
        if boundary <= 0.0 or value >= boundary:
            return 1.0
        if boundary >= 1.0:
            return 0.0
    else:
        if boundary >= 1.0 or value <= boundary:
            return 1.0
        if boundary <= 0.0:
            return 0.0
    z = (value - boundary) / math.sqrt(boundary * (1.0 - boundary) / n)
    return _lower(z) if below else _lower(-z)


def _exact_tail(value: float, boundary: float, n: float, below: bool) -> float:
    x = value * n
    if below:
        if boundary <= 0.0 or value >= boundary:
            return 1.0
        if boundary >= 1.0:
            return 0.0
        return float(stats.beta.sf(boundary, x + 1.0, n - x))  # P(X <= x | boundary)
    if boundary >= 1.0 or value <= boundary:
        return 1.0
    if boundary <= 0.0:
        return 0.0
    return float(stats.beta.cdf(boundary, x, n - x + 1.0))  # P(X >= x | boundary)


def _normal_tail(
    value: float, lo: float, hi: float, boundary: float, z_crit: float, below: bool
) -> float:
    side = hi - value if below else value - lo
    centre = value
    if not (lo <= value <= hi) or side <= 0.0:
        centre, side = (lo + hi) / 2.0, (hi - lo) / 2.0
    if (below and centre >= boundary) or (not below and centre <= boundary):
        return 1.0
    if side <= 0.0:
        return 0.0
    z = (centre - boundary) / (side / z_crit)
    return _lower(z) if below else _lower(-z)


def claim_p_value(
    region: tuple[float, float],
    value: float,
    lo: float | None,
    hi: float | None,
    ci_method: str,
    n: float | None,
    confidence_level: float,
) -> float:
    """The p-value of "the truth lies in ``region``" (see the module docstring).

    Parameters
    ----------
    region : (float, float)
        The claimed region on the metric's scale (``-inf``/``inf`` on an open side).
    value, lo, hi : float
        The estimate and its interval (``lo``/``hi`` None for an exact value).
    ci_method : str
    n : float or None
        The rate's (effective) denominator, for Wilson and Clopper-Pearson rows.
    confidence_level : float
        The interval's level.
    """
    a, b = region
    if lo is None or hi is None:
        return 0.0 if value < a or value > b else 1.0
    z_crit = NormalDist().inv_cdf(0.5 + confidence_level / 2.0)
    method = ci_method.lower()
    tails = []
    for boundary, below in ((a, True), (b, False)):
        if not math.isfinite(boundary):
            continue
        if method == "wilson" and n is not None and n > 0:
            tails.append(_score_tail(value, boundary, n, below))
        elif method == "clopper-pearson" and n is not None and n > 0:
            tails.append(_exact_tail(value, boundary, n, below))
        else:
            tails.append(_normal_tail(value, lo, hi, boundary, z_crit, below))
    return min(1.0, 2.0 * min(tails)) if tails else 1.0


def holm_adjust(p_values: list[float | None]) -> list[float | None]:
    """Holm-adjusted p-values over the claims that were tested (None stays None)."""
    arr = np.array([np.nan if p is None else p for p in p_values], dtype=float)
    if arr.size == 0:
        return []
    adjusted = holm(arr)
    return [None if p is None else float(q) for p, q in zip(p_values, adjusted, strict=True)]
