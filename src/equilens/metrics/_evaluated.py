"""One metric evaluated over every slice: the shape every task's evaluation returns.

The audit's result rows, fairness criteria and comparisons read only this, whatever the task
(binary, multiclass, regression, measure, ranking), so a metric plugs in by filling it:

* ``value``, ``lo``, ``hi``, ``method`` per slice (the reported estimate and interval);
* ``draws`` (bootstrap draws per slice) where the comparisons and criteria need resampling;
* ``successes`` / ``trials`` for a proportion (score tests, Newcombe and Katz intervals);
* ``se`` / ``df`` / ``sd`` for a mean or ratio of sums (Welch t-test, t intervals, Hedges' g);
* ``hist`` / ``n_pos`` / ``n_neg`` / ``variance`` for ROC-AUC (score-type test).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from equilens.metrics._spec import MetricSpec

FloatArray = NDArray[np.float64]

__all__ = ["Evaluated"]


@dataclass
class Evaluated:
    """One metric over all slices."""

    spec: MetricSpec
    value: FloatArray
    lo: FloatArray
    hi: FloatArray
    method: NDArray[np.str_]
    no_ci_reason: str | None = None
    draws: FloatArray | None = None  # (B, S)
    draws_kind: str = "bootstrap"  # or "parametric" (normal draws from the DeLong variance)
    undefined_draws: FloatArray | None = None
    variance: FloatArray | None = None  # delong variance (AUC)
    hist: FloatArray | None = None  # (S, 2, K) per-label score histograms (AUC)
    n_neg: FloatArray | None = None  # effective negatives per slice (AUC)
    n_pos: FloatArray | None = None  # effective positives per slice (AUC)
    successes: FloatArray | None = None  # effective numerator (proportions)
    trials: FloatArray | None = None  # effective denominator
    weight_total: FloatArray | None = None  # weighted denominator
    error_bound: FloatArray | None = None
    #: Intervals of chosen slices at any level, for metrics whose interval is a bound rather
    #: than an estimate -/+ a symmetric error (ECE); the criteria combine them as a box.
    interval_at: Callable[[NDArray[np.int64], float], tuple[FloatArray, FloatArray]] | None = None
    #: Standard error of ``value`` per slice, for a mean or a ratio of sums (design-based when
    #: the units come in clusters); with ``df`` it gives t intervals and Welch's test.
    se: FloatArray | None = None
    #: Degrees of freedom of ``se`` per slice (inf: normal).
    df: FloatArray | None = None
    #: Standard deviation of the per-unit values per slice (the scale of Hedges' g).
    sd: FloatArray | None = None
    #: Independent units behind ``value`` per slice (rows, or clusters when clustered).
    units: FloatArray | None = None
    #: Histogram of the per-unit values per slice over common bins ``(S, K)``, for the rank
    #: test of two groups' distributions (``rank_values`` names what was ranked).
    value_hist: FloatArray | None = None
    rank_values: str | None = None
