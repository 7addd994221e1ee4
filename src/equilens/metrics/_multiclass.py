"""The multiclass metric registry: each entry computes its rows from the slice tables.

Values follow scikit-learn called on a slice's rows (``labels`` left to its default: the
classes present in that slice's ``y_true`` or ``y_pred``):

* ``accuracy_score``, ``f1_score[average=micro]`` (equal to accuracy for single-label
  multiclass), ``precision_score[class=c]``, ``recall_score[class=c]``,
  ``false_positive_rate[class=c]``, ``selection_rate[class=c]`` (share predicted ``c``) and
  ``top_k_accuracy_score[k=k]`` are proportions: Wilson intervals (Clopper-Pearson under 10
  trials) on Kish effective counts, and ``successes`` / ``trials`` so that group comparisons
  get the audit's proportion tests. A per-class precision with no prediction of the class is
  undefined (scikit-learn reports 0 with a warning).
* ``balanced_accuracy_score`` (mean recall over the classes present in ``y_true``) and
  ``f1_score[average=macro|weighted]`` are other functions of the counts: percentile
  intervals of the count-level stratified bootstrap over the K x K entries of each finest cell
  (:mod:`equilens.tasks._multiclass_draws`), and the bootstrap standard deviation as ``se``
  (``df`` infinite) for z-type comparisons.

Every metric reads only the per-class sums (:func:`class_sums`: true positives, support and
predicted count of each class), so the bootstrap draws those, never K x K counts per slice.
* ``roc_auc_score[class=c]`` is the one-vs-rest AUC of class ``c``'s score from histograms on
  a grid of [0, 1] (``error_bound`` states the largest binning error; 0 when each bin holds
  one distinct score), with Newcombe's score interval and the per-label histograms that the
  AUC comparison test reads.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from equilens.metrics._evaluated import Evaluated
from equilens.metrics._names import metric_name
from equilens.metrics._scores import (
    auc_binning_bound,
    auc_score_interval,
    delong_variance_from_hist,
    roc_auc_from_hist,
)
from equilens.metrics._spec import MetricSpec
from equilens.registry import Registry
from equilens.stats._bootstrap import percentile_interval as draw_interval
from equilens.stats._intervals import proportion_interval

FloatArray = NDArray[np.float64]

__all__ = [
    "MulticlassTables",
    "balanced_accuracy",
    "class_sums",
    "f1_average",
    "metrics",
]


#: Rows of the per-class sums: true positives, support (true rows), predicted rows.
TP, SUPPORT, PREDICTED = 0, 1, 2


def class_sums(conf: FloatArray) -> FloatArray:
    """Per-class sums ``(..., 3, K)`` of K x K counts ``(..., true, predicted)``.

    Every multiclass metric is a function of these (true positives, support, predicted
    count per class), so the bootstrap draws them, not the K x K counts.
    """
    tp = np.diagonal(conf, axis1=-2, axis2=-1)
    return np.stack([tp, conf.sum(axis=-1), conf.sum(axis=-2)], axis=-2)


@dataclass
class MulticlassTables:
    """Multiclass sums per slice, and bootstrap draws of the per-class sums."""

    classes: tuple[str, ...]
    rows: NDArray[np.int64]  # (S, K, K)
    sums: FloatArray  # (S, 3, K) weighted class sums (class_sums of the weighted counts)
    sums_sq: FloatArray  # (S, 3, K) the same of the squared weights
    draws: FloatArray | None  # (B, S, 3, K) weighted class sums, None without bootstrap
    alpha: float
    interval_method: str
    top_k: int = 2
    topk_wsum: FloatArray | None = None  # (S, 2): [miss, hit]
    topk_wsq: FloatArray | None = None
    score_hist: FloatArray | None = None  # (S, K, 2, G): [rest, class]
    score_mixed: NDArray[np.bool_] | None = None  # (K, G)
    #: Why ``draws`` is None (the reason written on metrics without an interval).
    no_draws_reason: str = "bootstrap disabled (bootstrap=0)"

    @property
    def n(self) -> NDArray[np.int64]:
        return np.asarray(self.rows.sum(axis=(1, 2)), dtype=np.int64)


# --------------------------------------------------------------------------------------------
# Functions of the per-class sums (..., 3, K)


def _div(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan))


def balanced_accuracy(sums: FloatArray) -> FloatArray:
    """Mean recall over the classes with true rows (scikit-learn's balanced accuracy)."""
    support = sums[..., SUPPORT, :]
    recall = _div(sums[..., TP, :], support)
    present = support > 0
    count = present.sum(axis=-1)
    total = np.where(present, recall, 0.0).sum(axis=-1)
    return _div(total, count.astype(np.float64))


def _per_class_f1(sums: FloatArray) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    support = sums[..., SUPPORT, :]
    den = support + sums[..., PREDICTED, :]
    return _div(2 * sums[..., TP, :], den), support, den > 0


def f1_average(average: str) -> Callable[[FloatArray], FloatArray]:
    """F1 averaged over the classes present in ``y_true`` or ``y_pred`` (macro / weighted)."""

    def macro(sums: FloatArray) -> FloatArray:
        f1, _, present = _per_class_f1(sums)
        return _div(np.where(present, f1, 0.0).sum(axis=-1), present.sum(axis=-1) * 1.0)

    def weighted(sums: FloatArray) -> FloatArray:
        f1, support, present = _per_class_f1(sums)
        return _div(np.where(present, f1 * support, 0.0).sum(axis=-1), support.sum(axis=-1))

    return macro if average == "macro" else weighted


# --------------------------------------------------------------------------------------------
# Evaluated builders


def _proportion(
    spec: MetricSpec,
    t: MulticlassTables,
    num: FloatArray,
    den: FloatArray,
    den_sq: FloatArray,
    draws: tuple[FloatArray, FloatArray] | None = None,
) -> Evaluated:
    """A rate with its Wilson / Clopper-Pearson interval on Kish effective counts."""
    s = den.shape[0]
    value = _div(num, den)
    n_eff = _div(den * den, den_sq)
    n_eff = np.where(np.isfinite(n_eff), n_eff, 0.0)
    ok = den > 0
    ev = Evaluated(spec, value, np.full(s, np.nan), np.full(s, np.nan), np.full(s, "none"))
    ev.trials = n_eff
    ev.successes = np.where(ok, value * n_eff, 0.0)
    ev.weight_total = den
    if draws is not None:
        ev.draws = _div(draws[0], draws[1])
    if t.interval_method == "bootstrap" and ev.draws is not None:
        ev.lo, ev.hi, ev.undefined_draws = draw_interval(ev.draws, t.alpha)
        ev.method = np.where(ok, "bootstrap-percentile", "none").astype(object)
        return ev
    lo, hi, meth = proportion_interval(ev.successes, n_eff, t.alpha)
    ev.lo, ev.hi = np.where(ok, lo, np.nan), np.where(ok, hi, np.nan)
    ev.method = np.where(ok, meth, "none").astype(object)
    return ev


def _named(spec: MetricSpec, **params: object) -> MetricSpec:
    return dataclasses.replace(spec, name=metric_name(spec.name, **params))


def _per_class(
    spec: MetricSpec,
    t: MulticlassTables,
    parts: Callable[[FloatArray], tuple[FloatArray, FloatArray]],
) -> dict[str, Evaluated]:
    """One proportion per class: ``parts(conf) -> (numerators, denominators)``, (..., K)."""
    num, den = parts(t.sums)
    _, den_sq = parts(t.sums_sq)
    draws = parts(t.draws) if t.draws is not None else None
    out: dict[str, Evaluated] = {}
    for c, label in enumerate(t.classes):
        row = _named(spec, **{"class": label})
        d = None if draws is None else (draws[0][..., c], draws[1][..., c])
        out[row.name] = _proportion(row, t, num[..., c], den[..., c], den_sq[..., c], d)
    return out


def _bootstrapped(
    spec: MetricSpec, t: MulticlassTables, func: Callable[[FloatArray], FloatArray]
) -> Evaluated:
    """A non-proportion: bootstrap percentile interval, bootstrap SD as ``se``."""
    value = func(t.sums)
    s = value.shape[0]
    ev = Evaluated(spec, value, np.full(s, np.nan), np.full(s, np.nan), np.full(s, "none"))
    if t.draws is None:
        ev.no_ci_reason = t.no_draws_reason
        return ev
    draws = func(t.draws)
    ev.draws = draws
    lo, hi, ev.undefined_draws = draw_interval(draws, t.alpha)
    ok = np.isfinite(value) & np.isfinite(lo) & np.isfinite(hi)
    ev.lo, ev.hi = np.where(ok, lo, np.nan), np.where(ok, hi, np.nan)
    ev.method = np.where(ok, "bootstrap-percentile", "none").astype(object)
    clean: NDArray[np.bool_] = np.asarray(~np.isnan(draws).any(axis=0))
    sd = np.where(clean[None, :], draws, 0.0).std(axis=0, ddof=1)
    ev.se = np.where(ok & clean & (sd > 0), sd, np.nan)
    ev.df = np.full(s, np.inf)
    return ev


def _accuracy(spec: MetricSpec, t: MulticlassTables) -> dict[str, Evaluated]:
    def parts(c: FloatArray) -> tuple[FloatArray, FloatArray]:
        return c[..., TP, :].sum(axis=-1), c[..., SUPPORT, :].sum(axis=-1)

    num, den = parts(t.sums)
    den_sq = parts(t.sums_sq)[1]
    draws = parts(t.draws) if t.draws is not None else None
    return {spec.name: _proportion(spec, t, num, den, den_sq, draws)}


def _balanced(spec: MetricSpec, t: MulticlassTables) -> dict[str, Evaluated]:
    return {spec.name: _bootstrapped(spec, t, balanced_accuracy)}


def _f1(spec: MetricSpec, t: MulticlassTables) -> dict[str, Evaluated]:
    out: dict[str, Evaluated] = {}
    for average in ("macro", "micro", "weighted"):
        row = _named(spec, average=average)
        if average == "micro":  # equals accuracy: every row is one decision
            out[row.name] = _accuracy(row, t)[row.name]
        else:
            out[row.name] = _bootstrapped(row, t, f1_average(average))
    return out


def _precision(spec: MetricSpec, t: MulticlassTables) -> dict[str, Evaluated]:
    return _per_class(spec, t, lambda c: (c[..., TP, :], c[..., PREDICTED, :]))


def _recall(spec: MetricSpec, t: MulticlassTables) -> dict[str, Evaluated]:
    return _per_class(spec, t, lambda c: (c[..., TP, :], c[..., SUPPORT, :]))


def _fpr(spec: MetricSpec, t: MulticlassTables) -> dict[str, Evaluated]:
    def parts(c: FloatArray) -> tuple[FloatArray, FloatArray]:
        support = c[..., SUPPORT, :]
        total = support.sum(axis=-1, keepdims=True)
        return c[..., PREDICTED, :] - c[..., TP, :], total - support

    return _per_class(spec, t, parts)


def _selection(spec: MetricSpec, t: MulticlassTables) -> dict[str, Evaluated]:
    def parts(c: FloatArray) -> tuple[FloatArray, FloatArray]:
        total = c[..., SUPPORT, :].sum(axis=-1, keepdims=True)
        return c[..., PREDICTED, :], np.broadcast_to(total, c[..., PREDICTED, :].shape)

    return _per_class(spec, t, parts)


def _top_k(spec: MetricSpec, t: MulticlassTables) -> dict[str, Evaluated]:
    if t.topk_wsum is None or t.topk_wsq is None:
        return {}
    row = _named(spec, k=t.top_k)
    den = t.topk_wsum.sum(axis=-1)
    return {row.name: _proportion(row, t, t.topk_wsum[:, 1], den, t.topk_wsq.sum(axis=-1))}


def _roc_auc(spec: MetricSpec, t: MulticlassTables) -> dict[str, Evaluated]:
    if t.score_hist is None or t.score_mixed is None:
        return {}
    # Kish effective positives / negatives of class c: rows with / without true class c.
    support, support_sq = t.sums[:, SUPPORT], t.sums_sq[:, SUPPORT]  # (S, K)
    total, total_sq = support.sum(axis=-1)[:, None], support_sq.sum(axis=-1)[:, None]
    n_pos = np.nan_to_num(_div(support**2, support_sq))
    n_neg = np.nan_to_num(_div((total - support) ** 2, total_sq - support_sq))
    out: dict[str, Evaluated] = {}
    for c, label in enumerate(t.classes):
        row = _named(spec, **{"class": label})
        hist = t.score_hist[:, c]  # (S, 2, G)
        neg, pos = hist[:, 0, :], hist[:, 1, :]
        value = roc_auc_from_hist(neg, pos)
        var = delong_variance_from_hist(neg, pos, n_eff_neg=n_neg[:, c], n_eff_pos=n_pos[:, c])
        lo, hi = auc_score_interval(value, n_pos[:, c], n_neg[:, c], t.alpha)
        ok = np.isfinite(value) & np.isfinite(lo) & np.isfinite(hi)
        out[row.name] = Evaluated(
            row,
            value,
            np.where(ok, lo, np.nan),
            np.where(ok, hi, np.nan),
            np.where(ok, "newcombe-score (Hanley-McNeil)", "none").astype(object),
            variance=var,
            hist=hist,
            n_neg=n_neg[:, c],
            n_pos=n_pos[:, c],
            error_bound=auc_binning_bound(neg, pos, ~t.score_mixed[c]),
        )
    return out


# --------------------------------------------------------------------------------------------
# The registry

metrics: Registry[MetricSpec] = Registry("multiclass metric")


def _register(
    name: str,
    description: str,
    kind: str,
    greater_is_better: bool | None,
    undefined_when: str,
    evaluate: Callable[[MetricSpec, MulticlassTables], dict[str, Evaluated]],
) -> None:
    spec = MetricSpec(
        name,
        description,
        kind,  # type: ignore[arg-type]
        greater_is_better,
        undefined_when=undefined_when,
        evaluate=evaluate,
        task="multiclass",
    )
    metrics.register(name, spec)


_register(
    "accuracy_score",
    "Share of rows whose predicted class is the true class.",
    "proportion",
    True,
    "the group is empty",
    _accuracy,
)
_register(
    "balanced_accuracy_score",
    "Mean recall over the classes present in the group's true labels.",
    "confusion",
    True,
    "the group is empty",
    _balanced,
)
_register(
    "f1_score",
    "F1 averaged over classes: macro (plain mean), micro (equals accuracy), weighted (by support).",
    "confusion",
    True,
    "the group is empty",
    _f1,
)
_register(
    "precision_score",
    "Per class: share of the rows predicted as the class that truly are.",
    "proportion",
    True,
    "no row of the group is predicted as the class",
    _precision,
)
_register(
    "recall_score",
    "Per class: share of the class's rows predicted as the class (equal opportunity).",
    "proportion",
    True,
    "the group has no row of the class",
    _recall,
)
_register(
    "false_positive_rate",
    "Per class: share of the rows of other classes predicted as the class.",
    "proportion",
    False,
    "every row of the group is of the class",
    _fpr,
)
_register(
    "selection_rate",
    "Per class: share of rows predicted as the class (demographic parity).",
    "proportion",
    None,
    "the group is empty",
    _selection,
)
_register(
    "top_k_accuracy_score",
    "Share of rows whose true class is among the k highest class scores.",
    "proportion",
    True,
    "the group is empty",
    _top_k,
)
_register(
    "roc_auc_score",
    "Per class, one-vs-rest: probability that a row of the class scores above a row of "
    "another class on the class's score (ties count half).",
    "score",
    True,
    "the group lacks rows of the class or of the other classes",
    _roc_auc,
)
