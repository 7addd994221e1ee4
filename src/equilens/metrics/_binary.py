"""The binary task's slice tables and the computation of each binary metric.

Every entry of the binary registry (:data:`equilens.metrics.metrics`) carries its own
``evaluate(tables, context)``, one of the functions below, so evaluating a metric is
``spec.evaluate(tables, context)``, never a dispatch on its name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray

from equilens.metrics._confusion import (
    ALL,
    NEGATIVES,
    POSITIVES,
    Cell,
    cell_sum,
    evaluate_confusion_metric,
    proportion_parts,
)
from equilens.metrics._evaluated import Evaluated
from equilens.metrics._scores import (
    auc_binning_bound,
    auc_score_interval,
    average_precision_from_hist,
    average_precision_interval,
    brier_from_moments,
    delong_variance_from_hist,
    expected_calibration_error,
    expected_calibration_error_interval,
    roc_auc_from_hist,
)
from equilens.stats import (
    CellStats,
    aggregate_draws,
    draw_counts,
    draw_interval,
    proportion_interval,
)

if TYPE_CHECKING:
    from equilens.metrics._spec import MetricSpec

FloatArray = NDArray[np.float64]

__all__ = [
    "BinaryContext",
    "EvaluationContext",
    "SliceTables",
    "evaluate_auc",
    "evaluate_average_precision",
    "evaluate_brier",
    "evaluate_calibration_error",
    "evaluate_confusion",
    "evaluate_count",
]


class EvaluationContext(Protocol):
    """What a binary metric's computation reads besides the tables (TaskOptions fits)."""

    @property
    def alpha(self) -> float: ...

    @property
    def interval_method(self) -> str: ...


@dataclass(frozen=True)
class BinaryContext:
    """The options of a binary metric's computation: ``1 - confidence level`` and the method."""

    alpha: float
    interval_method: str = "auto"


@dataclass
class SliceTables:
    """The sufficient statistics summed up to every slice, plus bootstrap draws of them."""

    rows: NDArray[np.int64]  # (S, 2, 2)
    wsum: FloatArray  # (S, 2, 2)
    wsq: FloatArray  # (S, 2, 2)
    n: NDArray[np.int64]  # (S,)
    conf_draws: FloatArray | None  # (B, S, 2, 2) weighted
    hist: FloatArray | None = None  # (S, 2, K)
    exact_bins: NDArray[np.bool_] | None = None
    moments: FloatArray | None = None  # (S, 2, 5)
    calib: FloatArray | None = None  # (S, 2, M, 3)
    calib_draws: FloatArray | None = None  # (B, S, 2, M, 2) [sum w, sum w*s]

    @classmethod
    def build(
        cls, stats: CellStats, membership: FloatArray, draws: int, rng: np.random.Generator
    ) -> SliceTables:
        """Sum cells into slices and draw the count-level bootstrap."""

        def up(a: NDArray[np.float64] | NDArray[np.int64]) -> FloatArray:
            return np.asarray(
                np.tensordot(membership, a.astype(np.float64), axes=(1, 0)), dtype=np.float64
            )

        rows = np.rint(up(stats.rows)).astype(np.int64)
        conf_draws = None
        if draws > 0:
            counts = draw_counts(stats.rows, draws, rng)
            conf_draws = aggregate_draws(counts, stats.rows, stats.wsum, membership, stats.wsq, rng)
        tables = cls(
            rows=rows,
            wsum=up(stats.wsum),
            wsq=up(stats.wsq),
            n=rows.sum(axis=(1, 2)),
            conf_draws=conf_draws,
        )
        if stats.has_scores:
            assert stats.score_hist is not None and stats.score_bins is not None
            assert stats.score_moments is not None and stats.calib is not None
            tables.hist = up(stats.score_hist)
            tables.exact_bins = stats.score_bins.exact
            tables.moments = up(stats.score_moments)
            tables.calib = up(stats.calib)
            if draws > 0:
                calib_rows = np.rint(stats.calib[..., 0]).astype(np.int64)
                counts = draw_counts(calib_rows, draws, rng)
                w = aggregate_draws(counts, calib_rows, stats.calib[..., 1], membership)
                ws = aggregate_draws(counts, calib_rows, stats.calib[..., 2], membership)
                tables.calib_draws = np.stack([w, ws], axis=-1)
        return tables

    def effective_n(self, cells: tuple[Cell, ...]) -> FloatArray:
        """Kish effective sample size of a set of confusion cells, per slice."""
        w = cell_sum(self.wsum, cells)
        w2 = cell_sum(self.wsq, cells)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(w2 > 0, w * w / np.where(w2 > 0, w2, 1.0), 0.0)


def _nan(shape: int) -> FloatArray:
    return np.full(shape, np.nan)


def _none(s: int) -> NDArray[np.str_]:
    return np.full(s, "none", dtype=object)


def _checked(
    spec: MetricSpec,
    value: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    method: str,
    ok: NDArray[np.bool_],
) -> Evaluated:
    """An estimate with its interval where ``ok``, no interval elsewhere."""
    return Evaluated(
        spec,
        value,
        np.where(ok, lo, np.nan),
        np.where(ok, hi, np.nan),
        np.where(ok, method, "none").astype(object),
    )


def evaluate_count(spec: MetricSpec, t: SliceTables, ctx: EvaluationContext) -> Evaluated:
    """The (weighted) number of rows: no interval."""
    s = t.n.shape[0]
    value = cell_sum(t.wsum, ALL)
    return Evaluated(
        spec, value, _nan(s), _nan(s), _none(s), no_ci_reason="a count has no sampling error"
    )


def evaluate_confusion(spec: MetricSpec, t: SliceTables, ctx: EvaluationContext) -> Evaluated:
    """A function of the confusion counts: Wilson / Clopper-Pearson intervals for proportions
    (on Kish effective counts), bootstrap percentile intervals otherwise."""
    s = t.n.shape[0]
    value = evaluate_confusion_metric(spec, t.wsum)
    draws = None
    if t.conf_draws is not None:
        draws = evaluate_confusion_metric(spec, t.conf_draws)
    ev = Evaluated(spec, value, _nan(s), _nan(s), _none(s), draws=draws)
    if spec.kind == "proportion":
        _, den = proportion_parts(spec, t.wsum)
        n_eff = t.effective_n(spec.denominator)
        ev.trials = n_eff
        ev.successes = np.where(den > 0, value * n_eff, 0.0)
        ev.weight_total = den
        if ctx.interval_method != "bootstrap":
            lo, hi, meth = proportion_interval(ev.successes, n_eff, ctx.alpha)
            ok = den > 0
            ev.lo, ev.hi = np.where(ok, lo, np.nan), np.where(ok, hi, np.nan)
            ev.method = np.where(ok, meth, "none").astype(object)
            return ev
    if draws is not None:
        ev.lo, ev.hi, ev.undefined_draws = draw_interval(draws, ctx.alpha)
        ev.method = np.full(s, "bootstrap-percentile", dtype=object)
    else:
        ev.no_ci_reason = "bootstrap disabled (bootstrap=0)"
    return ev


def _scores(t: SliceTables) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    assert t.hist is not None and t.moments is not None and t.calib is not None
    return t.hist, t.moments, t.calib, t.hist[:, 0, :], t.hist[:, 1, :]


def evaluate_auc(spec: MetricSpec, t: SliceTables, ctx: EvaluationContext) -> Evaluated:
    """ROC-AUC from the score histograms; Newcombe's score interval (it exists at perfect
    separation, where DeLong's is empty), DeLong variance for the tests."""
    hist, _, _, neg, pos = _scores(t)
    n_neg, n_pos = t.effective_n(NEGATIVES), t.effective_n(POSITIVES)
    value = roc_auc_from_hist(neg, pos)
    var = delong_variance_from_hist(neg, pos, n_eff_neg=n_neg, n_eff_pos=n_pos)
    lo, hi = auc_score_interval(value, n_pos, n_neg, ctx.alpha)
    exact = np.ones(neg.shape[-1], dtype=bool) if t.exact_bins is None else t.exact_bins
    ok = np.isfinite(value) & np.isfinite(lo) & np.isfinite(hi)
    ev = _checked(spec, value, lo, hi, "newcombe-score (Hanley-McNeil)", ok)
    ev.variance = var
    ev.hist = hist
    ev.n_neg, ev.n_pos = n_neg, n_pos
    ev.error_bound = auc_binning_bound(neg, pos, exact)
    return ev


def evaluate_average_precision(
    spec: MetricSpec, t: SliceTables, ctx: EvaluationContext
) -> Evaluated:
    """Average precision from the score histograms; logit interval (Boyd et al. 2013)."""
    _, _, _, neg, pos = _scores(t)
    value = average_precision_from_hist(neg, pos)
    lo, hi = average_precision_interval(value, t.effective_n(POSITIVES), ctx.alpha)
    return _checked(
        spec, value, lo, hi, "logit (Boyd et al. 2013)", np.isfinite(value) & np.isfinite(lo)
    )


def evaluate_brier(spec: MetricSpec, t: SliceTables, ctx: EvaluationContext) -> Evaluated:
    """Brier score from the score moments; normal (CLT) interval."""
    _, moments, _, _, _ = _scores(t)
    value, lo, hi = brier_from_moments(
        moments[:, 0, :], moments[:, 1, :], n_eff=t.effective_n(ALL), alpha=ctx.alpha
    )
    return _checked(spec, value, lo, hi, "normal (CLT)", np.isfinite(value) & np.isfinite(lo))


def evaluate_calibration_error(
    spec: MetricSpec, t: SliceTables, ctx: EvaluationContext
) -> Evaluated:
    """Expected calibration error; a bias-bounded interval at any level, bootstrap draws."""
    _, _, calib, _, _ = _scores(t)
    s = t.n.shape[0]
    value = expected_calibration_error(calib[:, 0, :, 1:], calib[:, 1, :, 1:])
    n_all = t.n.astype(np.float64)
    deff = np.where(n_all > 0, n_all / np.maximum(t.effective_n(ALL), 1e-300), 1.0)

    def interval_at(idx: NDArray[np.int64], level: float) -> tuple[FloatArray, FloatArray]:
        return expected_calibration_error_interval(
            calib[idx, 0, :, 1:],
            calib[idx, 1, :, 1:],
            calib[idx, :, :, 0].sum(axis=1),
            level,
            design_effect=deff[idx],
        )

    lo, hi = interval_at(np.arange(s), ctx.alpha)
    ev = _checked(
        spec, value, lo, hi, "bias-bounded (half-normal)", np.isfinite(value) & np.isfinite(lo)
    )
    ev.interval_at = interval_at
    if t.calib_draws is not None:
        ev.draws = expected_calibration_error(
            t.calib_draws[:, :, 0, :, :], t.calib_draws[:, :, 1, :, :]
        )
    return ev
