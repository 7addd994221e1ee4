"""Per-slice metric values, intervals and bootstrap draws, from the slice tables."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from equilens.audit._intervals import draw_interval
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
from equilens.metrics._spec import (
    ALL,
    NEGATIVES,
    POSITIVES,
    MetricSpec,
    cell_sum,
    evaluate_confusion_metric,
    proportion_parts,
)
from equilens.stats._bootstrap import aggregate_draws, draw_counts
from equilens.stats._intervals import proportion_interval
from equilens.stats._tables import CellStats

FloatArray = NDArray[np.float64]


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

    def effective_n(self, cells: tuple[tuple[int, int], ...]) -> FloatArray:
        """Kish effective sample size of a set of confusion cells, per slice."""
        w = cell_sum(self.wsum, cells)
        w2 = cell_sum(self.wsq, cells)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(w2 > 0, w * w / np.where(w2 > 0, w2, 1.0), 0.0)


def _nan(shape: int) -> FloatArray:
    return np.full(shape, np.nan)


def evaluate_metric(
    spec: MetricSpec, t: SliceTables, alpha: float, interval_method: str
) -> Evaluated:
    """Values, intervals (and draws where bootstrapped) of one metric on every slice."""
    s = t.n.shape[0]
    methods = np.full(s, "none", dtype=object)
    if spec.kind == "count":
        value = cell_sum(t.wsum, ALL)
        return Evaluated(
            spec, value, _nan(s), _nan(s), methods, no_ci_reason="a count has no sampling error"
        )
    if spec.kind in ("proportion", "confusion"):
        value = evaluate_confusion_metric(spec, t.wsum)
        draws = None
        if t.conf_draws is not None:
            draws = evaluate_confusion_metric(spec, t.conf_draws)
        ev = Evaluated(spec, value, _nan(s), _nan(s), methods, draws=draws)
        if spec.kind == "proportion":
            _, den = proportion_parts(spec, t.wsum)
            n_eff = t.effective_n(spec.denominator)
            ev.trials = n_eff
            ev.successes = np.where(den > 0, value * n_eff, 0.0)
            ev.weight_total = den
            if interval_method != "bootstrap":
                lo, hi, meth = proportion_interval(ev.successes, n_eff, alpha)
                ok = den > 0
                ev.lo, ev.hi = np.where(ok, lo, np.nan), np.where(ok, hi, np.nan)
                ev.method = np.where(ok, meth, "none").astype(object)
                return ev
        if draws is not None:
            ev.lo, ev.hi, ev.undefined_draws = draw_interval(draws, alpha)
            ev.method = np.full(s, "bootstrap-percentile", dtype=object)
        else:
            ev.no_ci_reason = "bootstrap disabled (bootstrap=0)"
        return ev
    return _evaluate_score_metric(spec, t, alpha)


def _evaluate_score_metric(spec: MetricSpec, t: SliceTables, alpha: float) -> Evaluated:
    assert t.hist is not None and t.moments is not None and t.calib is not None
    s = t.n.shape[0]
    neg, pos = t.hist[:, 0, :], t.hist[:, 1, :]
    n_neg, n_pos = t.effective_n(NEGATIVES), t.effective_n(POSITIVES)
    if spec.name == "roc_auc_score":
        value = roc_auc_from_hist(neg, pos)
        var = delong_variance_from_hist(neg, pos, n_eff_neg=n_neg, n_eff_pos=n_pos)
        # Newcombe's score interval exists at perfect separation, where DeLong's is empty.
        lo, hi = auc_score_interval(value, n_pos, n_neg, alpha)
        exact = np.ones(neg.shape[-1], dtype=bool) if t.exact_bins is None else t.exact_bins
        bound = auc_binning_bound(neg, pos, exact)
        ok = np.isfinite(value) & np.isfinite(lo) & np.isfinite(hi)
        return Evaluated(
            spec,
            value,
            np.where(ok, lo, np.nan),
            np.where(ok, hi, np.nan),
            np.where(ok, "newcombe-score (Hanley-McNeil)", "none").astype(object),
            variance=var,
            hist=t.hist,
            n_neg=n_neg,
            n_pos=n_pos,
            error_bound=bound,
        )
    if spec.name == "average_precision_score":
        value = average_precision_from_hist(neg, pos)
        lo, hi = average_precision_interval(value, n_pos, alpha)
        ok = np.isfinite(value) & np.isfinite(lo)
        return Evaluated(
            spec,
            value,
            np.where(ok, lo, np.nan),
            np.where(ok, hi, np.nan),
            np.where(ok, "logit (Boyd et al. 2013)", "none").astype(object),
        )
    if spec.name == "brier_score_loss":
        n_all = t.effective_n(ALL)
        value, lo, hi = brier_from_moments(
            t.moments[:, 0, :], t.moments[:, 1, :], n_eff=n_all, alpha=alpha
        )
        ok = np.isfinite(value) & np.isfinite(lo)
        return Evaluated(
            spec,
            value,
            np.where(ok, lo, np.nan),
            np.where(ok, hi, np.nan),
            np.where(ok, "normal (CLT)", "none").astype(object),
        )
    if spec.name == "expected_calibration_error":
        value = expected_calibration_error(t.calib[:, 0, :, 1:], t.calib[:, 1, :, 1:])
        n_all = t.n.astype(np.float64)
        deff = np.where(n_all > 0, n_all / np.maximum(t.effective_n(ALL), 1e-300), 1.0)
        calib = t.calib

        def interval_at(idx: NDArray[np.int64], level: float) -> tuple[FloatArray, FloatArray]:
            return expected_calibration_error_interval(
                calib[idx, 0, :, 1:],
                calib[idx, 1, :, 1:],
                calib[idx, :, :, 0].sum(axis=1),
                level,
                design_effect=deff[idx],
            )

        lo, hi = interval_at(np.arange(s), alpha)
        ok = np.isfinite(value) & np.isfinite(lo)
        ev = Evaluated(
            spec,
            value,
            np.where(ok, lo, np.nan),
            np.where(ok, hi, np.nan),
            np.where(ok, "bias-bounded (half-normal)", "none").astype(object),
            interval_at=interval_at,
        )
        if t.calib_draws is not None:
            ev.draws = expected_calibration_error(
                t.calib_draws[:, :, 0, :, :], t.calib_draws[:, :, 1, :, :]
            )
        return ev
    raise ValueError(f"unknown score metric {spec.name}")
