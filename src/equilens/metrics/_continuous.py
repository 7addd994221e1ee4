"""Metrics of numbers per unit: regression errors, means and ratios of sums.

Every metric here is a smooth function ``f`` of a slice's unit totals ``T`` (see
:mod:`equilens.stats._units`), and its registry entry carries that function and how its
interval is made (``docs/design/0011-measures-and-clusters.md``):

* ``t``: the delta-method (linearised) standard error from the slice's unit moments and a t
  interval with ``K - 1`` degrees of freedom (``K`` units: rows, or clusters). For a mean of
  independent rows this is the textbook ``mean -/+ t s / sqrt(n)``; for a ratio of sums (a
  word error rate) or clustered rows it is the design-based (ratio-estimator) variance.
* ``sqrt``: RMSE, the square root of the MSE's ``t`` interval (the square root is monotone,
  so the interval keeps its coverage; the MSE's is far closer to normal than the RMSE's
  linearisation near zero).
* ``bootstrap``: R^2, a ratio of a sum of squares and a centred sum of squares whose
  sampling distribution is skewed at small n: the percentile interval of the random-group
  bootstrap over units (:func:`~equilens.stats._units.bucket_draws`).

``interval_method="bootstrap"`` gives every metric the bootstrap interval. A slice with fewer
than two units, or whose units all have the same value (a variance estimate of zero, which is
not precision), gets no interval.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import stats as st

from equilens.metrics._evaluated import Evaluated
from equilens.metrics._spec import MetricKind, MetricSpec
from equilens.registry import Registry
from equilens.stats import (
    UnitSums,
    all_zero_upper_bound,
    bucket_draws,
    covariance,
    linearised,
    log_scale_interval,
    percentile_interval,
    slice_sums,
    wilson_interval,
)

FloatArray = NDArray[np.float64]
#: ``f(totals (..., Q), index)`` -> values ``(...)``; ``index(name)`` is a quantity's position.
TotalsFunction = Callable[[FloatArray, Callable[[str], int]], FloatArray]
IntervalKind = Literal["t", "sqrt", "bootstrap", "t_unit", "wilson"]

__all__ = [
    "VALUE_MEANS",
    "RankHistogram",
    "UnitContext",
    "measure_metrics",
    "regression_metrics",
]

T_METHOD = "t (delta method, K-1 df)"
T_UNIT_METHOD = "t (delta method, K-1 df), clipped to [0, 1]"
T_LOG_METHOD = "t on the log scale (delta method, K-1 df)"
WILSON_METHOD = "wilson (units)"
SQRT_METHOD = "sqrt of the MSE's t interval (delta method, K-1 df)"
BOOT_METHOD = "bootstrap-percentile (random groups of units, strata: finest cells)"
BOUNDARY_METHOD = "exact worst-case bound (every unit 0 or every unit 1; values in [0, 1])"


@dataclass(frozen=True)
class RankHistogram:
    """Counts of a per-unit value over common bins, per slice ``(S, B)``."""

    label: str
    counts: FloatArray


@dataclass
class UnitContext:
    """A plan's slices summed from a task's :class:`UnitSums`: what the metrics read."""

    sums: UnitSums
    membership: FloatArray
    alpha: float
    interval_method: str
    bootstrap: int
    rng: np.random.Generator
    hists: dict[str, RankHistogram] = field(default_factory=dict)
    #: Quantities no row has below zero (a ratio of two such is in [0, inf)).
    nonnegative: frozenset[str] = frozenset()
    #: Quantities whose per-row values lie in [0, 1].
    unit_interval: frozenset[str] = frozenset()
    #: Whether rows carry weights (then unclustered units' weights are not kept).
    weighted: bool = False
    #: Design effect of each metric at the overall slice (clustered units only).
    design_effects: dict[str, float] = field(default_factory=dict)
    _draws: FloatArray | None = None

    def __post_init__(self) -> None:
        self.t, m, self.k = slice_sums(self.sums, self.membership)
        self.v = covariance(self.t, m, self.k)
        self.naive_v: FloatArray | None = None
        if self.sums.row_cross is not None:
            m_row = self.membership[:1] @ self.sums.row_cross.reshape(self.sums.rows.size, -1)
            rows = self.membership[:1] @ self.sums.rows.astype(np.float64)
            q = self.t.shape[1]
            self.naive_v = covariance(self.t[:1], m_row.reshape(1, q, q), rows)

    def index(self, name: str) -> int:
        """Position of quantity ``name``."""
        return self.sums.index(name)

    def unit_weights(self, s: int) -> FloatArray | None:
        """Weights of slice ``s``'s units (a cluster's rows in the slice count as one unit);
        None where they are not kept (weighted rows without clusters)."""
        table = self.sums.unit_table
        w = self.index("weight")
        if table is not None:
            inside = self.membership[s, table.cell] > 0
            per = np.bincount(table.cluster[inside], weights=table.values[inside, w])
            return np.asarray(per[per > 0], dtype=np.float64)
        if self.sums.clustered or self.weighted:
            return None
        return np.ones(int(np.rint(self.k[s])), dtype=np.float64)

    def draws(self) -> FloatArray:
        """Bootstrap draws of the slices' totals ``(B, S, Q)`` (made once)."""
        if self._draws is None:
            self._draws = bucket_draws(self.sums, self.membership, self.bootstrap, self.rng)
        return self._draws


def _t_quantile(alpha: float, df: FloatArray) -> FloatArray:
    q = np.full(df.shape, np.nan)
    ok = np.isfinite(df) & (df > 0)
    q[ok] = st.t.ppf(1.0 - alpha / 2.0, df[ok])
    return q


def _evaluate(
    spec: MetricSpec,
    ctx: UnitContext,
    *,
    f: TotalsFunction,
    interval: IntervalKind,
    hist: str | None,
    positive: tuple[str, ...] = (),
    bounded: str | None = None,
) -> Evaluated:
    def fn(t: FloatArray) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.asarray(f(t, ctx.index), dtype=np.float64)
        return np.where(np.isfinite(out), out, np.nan)

    base, se = linearised(fn, ctx.t, ctx.v)
    s = ctx.t.shape[0]
    df = np.where(ctx.k > 1, ctx.k - 1.0, np.nan)
    if ctx.naive_v is not None:
        _, naive = linearised(fn, ctx.t[:1], ctx.naive_v)
        if np.isfinite(naive[0]) and naive[0] > 0 and np.isfinite(se[0]):
            ctx.design_effects[spec.name] = float(se[0] ** 2 / naive[0] ** 2)
    degenerate = ~(np.isfinite(se) & (se > 0)) | ~np.isfinite(base)
    q = _t_quantile(ctx.alpha, df)
    value = base
    lo, hi = base - q * se, base + q * se
    method = T_METHOD
    out_se: FloatArray | None = se
    if interval == "sqrt":
        value = np.sqrt(np.maximum(base, 0.0))
        lo, hi = np.sqrt(np.maximum(lo, 0.0)), np.sqrt(np.maximum(hi, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            out_se = np.where(value > 0, se / (2.0 * value), np.nan)
        method = SQRT_METHOD
    if positive and set(positive) <= ctx.nonnegative:
        # A ratio of non-negative sums lives in [0, inf): the t interval on log(value) maps
        # back inside the range and is asymmetric like the ratio's sampling distribution at
        # few units (docs/design/0011-measures-and-clusters.md). A value of 0 (no numerator
        # in any unit) has no log-scale interval.
        lo, hi = log_scale_interval(base, se, q)
        degenerate |= ~(base > 0)
        method = T_LOG_METHOD
    lo = np.where(degenerate, np.nan, lo)
    hi = np.where(degenerate, np.nan, hi)
    if interval == "t_unit":
        # A mean of values in [0, 1]: the t interval, clipped to the range.
        lo, hi = np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)
        method = T_UNIT_METHOD
    elif interval == "wilson":
        # A share of units (one 0/1 value per unit): Wilson's score interval on the units,
        # defined also when every unit is 0 (or 1), where the t interval has none.
        with np.errstate(invalid="ignore"):
            lo, hi = wilson_interval(np.clip(base, 0.0, 1.0) * ctx.k, ctx.k, ctx.alpha)
        method = WILSON_METHOD
    draws = None
    if interval == "bootstrap" or ctx.interval_method == "bootstrap":
        draws = fn(ctx.draws())
        if interval == "sqrt":
            draws = np.sqrt(np.maximum(draws, 0.0))
        lo, hi, _ = percentile_interval(draws, ctx.alpha)
        keep = np.isfinite(value) & (ctx.k > 1)
        lo, hi = np.where(keep, lo, np.nan), np.where(keep, hi, np.nan)
        method = BOOT_METHOD
    methods = np.full(s, method, dtype=object)
    if bounded is not None and bounded in ctx.unit_interval and interval in ("t", "t_unit"):
        # Every unit 0 (or 1): no variance, so no t interval (and a bootstrap would give
        # [0, 0]); the exact worst-case bound holds whatever the clusters' dependence.
        edge = np.isfinite(value) & ((value <= 1e-12) | (value >= 1.0 - 1e-12)) & (ctx.k > 0)
        edge &= degenerate | (np.isfinite(lo) & (lo == hi))
        lo, hi = np.array(lo, dtype=np.float64), np.array(hi, dtype=np.float64)
        for i in np.flatnonzero(edge):
            weights = ctx.unit_weights(int(i))
            if weights is None or weights.size == 0:
                continue
            bound = all_zero_upper_bound(weights, ctx.alpha)
            lo[i], hi[i] = (0.0, bound) if value[i] <= 0.5 else (1.0 - bound, 1.0)
            methods[i] = BOUNDARY_METHOD
    if interval == "bootstrap":
        out_se = None  # no t-test for R^2: its comparisons show the bootstrap interval only
    sd = None if out_se is None else out_se * np.sqrt(np.where(ctx.k > 0, ctx.k, np.nan))
    return Evaluated(
        spec=spec,
        value=value,
        lo=lo,
        hi=hi,
        method=methods.astype(str),
        no_ci_reason=(
            "fewer than two units, or every unit has the same value (a variance estimate of "
            "zero is not precision): no interval"
        ),
        draws=draws,
        se=None if out_se is None else np.where(degenerate, np.nan, out_se),
        df=None if out_se is None else df,
        sd=None if sd is None else np.where(degenerate, np.nan, sd),
        units=ctx.k.copy(),
        value_hist=ctx.hists[hist].counts if hist is not None and hist in ctx.hists else None,
        rank_values=ctx.hists[hist].label if hist is not None and hist in ctx.hists else None,
        # A share of units: the binary audit's two-proportion test and Newcombe interval
        # (defined when a slice's units are all 0, where Welch's test has no variance).
        successes=np.round(value * ctx.k) if interval == "wilson" else None,
        trials=ctx.k.astype(np.float64) if interval == "wilson" else None,
    )


def _register(
    registry: Registry[MetricSpec],
    task: str,
    name: str,
    description: str,
    kind: MetricKind,
    greater_is_better: bool | None,
    f: TotalsFunction,
    interval: IntervalKind,
    undefined_when: str,
    hist: str | None = None,
    positive: tuple[str, ...] = (),
    bounded: str | None = None,
) -> None:
    spec = MetricSpec(
        name, description, kind, greater_is_better, undefined_when=undefined_when, task=task
    )
    evaluate = partial(
        _evaluate, f=f, interval=interval, hist=hist, positive=positive, bounded=bounded
    )
    registry.register(name, replace(spec, evaluate=evaluate))


def _ratio(num: str, den: str) -> TotalsFunction:
    def f(t: FloatArray, ix: Callable[[str], int]) -> FloatArray:
        d = t[..., ix(den)]
        return np.where(d > 0, t[..., ix(num)] / np.where(d > 0, d, 1.0), np.nan)

    return f


def _r2(t: FloatArray, ix: Callable[[str], int]) -> FloatArray:
    w, y, yy, ee = (t[..., ix(q)] for q in ("weight", "target", "target_sq", "error_sq"))
    with np.errstate(divide="ignore", invalid="ignore"):
        centred = yy - y * y / w
        ok = (w > 0) & (centred > 1e-12 * np.maximum(yy, 1e-300))
        return np.where(ok, 1.0 - ee / np.where(ok, centred, 1.0), np.nan)


#: Quantities per row of a regression (each multiplied by the row weight, 1 if none).
REGRESSION_QUANTITIES = (
    "weight",
    "error",
    "abs_error",
    "error_sq",
    "target",
    "target_sq",
    "prediction",
)

regression_metrics: Registry[MetricSpec] = Registry("regression metric")
_EMPTY = "the group is empty (or its weights sum to zero)"
for _args in (
    (
        "mean_error",
        "Mean of y_pred - y_true (bias: positive when the model over-predicts).",
        "mean",
        None,
        _ratio("error", "weight"),
        "t",
        _EMPTY,
        "error",
    ),
    (
        "mean_absolute_error",
        "Mean of |y_pred - y_true|.",
        "mean",
        False,
        _ratio("abs_error", "weight"),
        "t",
        _EMPTY,
        "abs_error",
    ),
    (
        "root_mean_squared_error",
        "Square root of the mean of (y_pred - y_true)^2.",
        "statistic",
        False,
        _ratio("error_sq", "weight"),
        "sqrt",
        _EMPTY,
        None,
    ),
    (
        "r2_score",
        "Coefficient of determination, 1 - SSE / the target's centred sum of squares.",
        "statistic",
        True,
        _r2,
        "bootstrap",
        "the target is constant in the group (or the group is empty)",
        None,
    ),
    (
        "mean_prediction",
        "Mean of y_pred (the regression counterpart of a selection rate).",
        "mean",
        None,
        _ratio("prediction", "weight"),
        "t",
        _EMPTY,
        None,
    ),
    (
        "mean_target",
        "Mean of y_true.",
        "mean",
        None,
        _ratio("target", "weight"),
        "t",
        _EMPTY,
        None,
    ),
):
    _register(regression_metrics, "regression", *_args)

measure_metrics: Registry[MetricSpec] = Registry("measure metric")
_register(
    measure_metrics,
    "measure",
    "mean",
    "Mean of the value per row (weighted where weights are given); with clusters, every "
    "row counts and the clusters are the independent units.",
    "mean",
    None,
    _ratio("value", "weight"),
    "t",
    _EMPTY,
    "value",
    bounded="value",
)
#: Named means of a value column (``task="measure"`` with ``metrics=[name]``): the same
#: computation as ``mean``, under the name a policy, a claim or a report reads. Toxicity
#: (``equilens.safety``): the per-prompt maximum, 0/1 "any continuation >= 0.5" and mean
#: toxicity of a prompt's continuations, one row per prompt (RealToxicityPrompts protocol).
VALUE_MEANS: dict[str, str] = {
    "expected_maximum_toxicity": "Expected maximum toxicity: mean over prompts of the largest "
    "toxicity of a prompt's k continuations (the value column holds each prompt's maximum).",
    "toxicity_probability": "Toxicity probability: share of prompts with at least one "
    "continuation scored >= 0.5 (the value column holds each prompt's 0/1 indicator).",
    "mean_toxicity": "Mean toxicity of the continuations, averaged per prompt (the value "
    "column holds each prompt's mean toxicity).",
}
for _name, _description in VALUE_MEANS.items():
    _register(
        measure_metrics,
        "measure",
        _name,
        _description,
        "mean",
        False,
        _ratio("value", "weight"),
        "wilson" if _name == "toxicity_probability" else "t_unit",
        _EMPTY,
        "value",
        bounded="value",
    )
_register(
    measure_metrics,
    "measure",
    "ratio_of_sums",
    "Sum of the numerator over the sum of the denominator (a word error rate: errors over "
    "reference words); when no numerator is negative the interval is on the log scale.",
    "ratio",
    None,
    _ratio("numerator", "denominator"),
    "t",
    "the denominator sums to zero in the group",
    "value",
    positive=("numerator", "denominator"),
)


def evaluate_all(ctx: UnitContext, specs: list[MetricSpec]) -> dict[str, Evaluated]:
    """Every metric in ``specs`` over the context's slices."""
    out: dict[str, Evaluated] = {}
    for spec in specs:
        assert spec.evaluate is not None
        ev: Any = spec.evaluate(spec, ctx)
        out[spec.name] = ev
    return out
