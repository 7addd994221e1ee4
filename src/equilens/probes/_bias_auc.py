"""Unintended-bias AUCs of a classifier on identity subgroups (Borkan et al. 2019).

For a subgroup ``g`` (texts mentioning an identity) and its background (all other texts):

* **subgroup AUC**: ROC-AUC on the subgroup's texts only; low means the model separates toxic
  from non-toxic texts poorly when the identity is mentioned;
* **BPSN AUC** (background positive, subgroup negative): AUC on the subgroup's negatives and
  the background's positives; low means non-toxic texts about ``g`` score higher than toxic
  texts elsewhere (false positives driven by the identity term);
* **BNSP AUC** (background negative, subgroup positive): AUC on the subgroup's positives and
  the background's negatives; low means toxic texts about ``g`` score lower than non-toxic
  texts elsewhere.

Each AUC is computed from exact score histograms (:mod:`equilens.metrics._scores`) with a
DeLong (1988) interval on the logit scale. The per-metric summary is the generalized (power)
mean ``M_p = (mean_g AUC_g^p)^(1/p)`` with ``p = -5``, which weights the worst subgroups most;
its interval comes from a bootstrap that resamples rows within each (subgroup, label) stratum
(multinomial counts over exact score bins), so every draw keeps the design's group sizes.

The power mean of noisy AUCs is biased downward (it is a concave summary dominated by the
smallest AUC, and noise makes the smallest smaller), and a percentile interval keeps the bias:
with 20 subgroups of 30 rows it covered the population value in 51% (subgroup), 82% (BPSN)
and 68% (BNSP) of simulated runs. The interval is therefore the bias-corrected percentile
interval: the percentile limits shifted by the bootstrap estimate of the bias,
``mean(draws) - estimate`` (it contains the estimate whenever the draws' mean lies within
their own percentile limits). Coverage in the same runs: 0.98, 0.93, 0.95 (see
``tests/probes/test_bias_auc_coverage.py``). The power mean is a summary; the per-subgroup
AUCs with their DeLong intervals are the evidence.

References
----------
Borkan, D., Dixon, L., Sorensen, J., Thain, N. & Vasserman, L. (2019). Nuanced metrics for
measuring unintended bias with real data for text classification. WWW '19 Companion, 491-500.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.metrics import auc_interval, delong_variance_from_hist, roc_auc_from_hist
from equilens.stats import percentile_interval

__all__ = [
    "BIAS_AUC_METRICS",
    "BiasAuc",
    "GeneralizedMean",
    "generalized_mean",
    "unintended_bias_aucs",
]

FloatArray = NDArray[np.float64]

#: Metric names, as written into the audit log.
BIAS_AUC_METRICS = ("subgroup_auc", "bpsn_auc", "bnsp_auc")

#: Power of the generalized mean used by Borkan et al. (2019).
POWER = -5.0


@dataclass(frozen=True)
class BiasAuc:
    """One bias AUC of one subgroup."""

    metric: str
    subgroup: str
    n: int
    n_positive: int
    n_negative: int
    value: float | None
    ci_low: float | None
    ci_high: float | None
    reason: str | None


@dataclass(frozen=True)
class GeneralizedMean:
    """The generalized mean of one bias AUC over the subgroups where it is defined."""

    metric: str
    subgroups: int
    value: float | None
    ci_low: float | None
    ci_high: float | None
    undefined_draws: float | None
    bootstrap_bias: float | None = None
    """``mean(draws) - value``: the bias the interval corrects (None without draws)."""


def generalized_mean(values: ArrayLike, p: float = POWER) -> FloatArray:
    """Power mean ``(mean(x^p))^(1/p)`` over the last axis, ignoring NaN entries.

    NaN where no entry is defined. ``p`` must be non-zero; values must be positive.
    """
    if p == 0:
        raise InvalidParameterError(
            "The 'p' parameter of generalized_mean must be a non-zero float. Got 0 instead."
        )
    x = np.asarray(values, dtype=np.float64)
    defined = np.isfinite(x)
    count = defined.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        powered = np.where(defined, np.where(defined, x, 1.0) ** p, 0.0)
        mean = powered.sum(axis=-1) / count
        out = mean ** (1.0 / p)
    return np.asarray(np.where(count > 0, out, np.nan), dtype=np.float64)


def _f(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def unintended_bias_aucs(
    y_true: ArrayLike,
    y_score: ArrayLike,
    subgroups: Mapping[str, ArrayLike],
    *,
    alpha: float = 0.05,
    draws: int = 1000,
    seed: int = 0,
    power: float = POWER,
) -> tuple[list[BiasAuc], list[GeneralizedMean]]:
    """Subgroup, BPSN and BNSP AUCs per subgroup, and their generalized means.

    Parameters
    ----------
    y_true : array_like of {0, 1}, shape (n,)
        True labels (1 = the positive class, e.g. toxic).
    y_score : array_like of float, shape (n,)
        Finite model scores.
    subgroups : mapping of str to array_like of bool, each shape (n,)
        Membership of each subgroup (a row may belong to several; the background of ``g`` is
        every row not in ``g``).
    alpha : float, default 0.05
        One minus the confidence level.
    draws : int, default 1000
        Bootstrap draws for the generalized means' (bias-corrected percentile) intervals.
    seed : int, default 0
        Seed of the bootstrap.
    power : float, default -5
        Power of the generalized mean.

    Returns
    -------
    aucs : list of BiasAuc
        Three rows per subgroup (subgroup, BPSN, BNSP), in subgroup order. A metric whose rows
        lack positives or negatives is undefined (value None, with the reason).
    means : list of GeneralizedMean
        One row per metric.
    """
    y = np.asarray(y_true)
    s = np.asarray(y_score, dtype=np.float64)
    if y.ndim != 1 or s.shape != y.shape:
        raise InvalidInputError(
            f"Found input variables with inconsistent numbers of samples: [{y.size}, {s.size}]"
        )
    if y.size and not np.all((y == 0) | (y == 1)):
        raise InvalidInputError("unintended_bias_aucs needs binary y_true in {0, 1}")
    if not np.all(np.isfinite(s)):
        raise InvalidInputError("unintended_bias_aucs needs finite scores")
    pos = y.astype(bool)
    values, bins = np.unique(s, return_inverse=True)
    k = values.size
    names = list(subgroups)
    masks = []
    for name in names:
        m = np.asarray(subgroups[name], dtype=bool).reshape(-1)
        if m.shape != y.shape:
            raise InvalidInputError(
                f"Subgroup '{name}' has {m.size} membership flags for {y.size} rows"
            )
        masks.append(m)

    # Row selections of each (subgroup, metric): (negatives, positives).
    selections: list[tuple[NDArray[np.bool_], NDArray[np.bool_]]] = []
    for m in masks:
        selections.append((m & ~pos, m & pos))  # subgroup
        selections.append((m & ~pos, ~m & pos))  # BPSN
        selections.append((~m & ~pos, m & pos))  # BNSP
    neg_h = np.stack([np.bincount(bins[a], minlength=k) for a, _ in selections]).astype(float)
    pos_h = np.stack([np.bincount(bins[b], minlength=k) for _, b in selections]).astype(float)
    auc = roc_auc_from_hist(neg_h, pos_h)
    var = delong_variance_from_hist(neg_h, pos_h)
    lo, hi = auc_interval(auc, var, alpha)

    rows: list[BiasAuc] = []
    for j, (a, b) in enumerate(selections):
        metric = BIAS_AUC_METRICS[j % 3]
        n_neg, n_pos = int(a.sum()), int(b.sum())
        reason = None
        if n_neg == 0 or n_pos == 0:
            reason = f"no {'negatives' if n_neg == 0 else 'positives'} among the rows of {metric}"
        elif not np.isfinite(lo[j]):
            reason = "DeLong variance is zero (perfect separation or all scores tied)"
        rows.append(
            BiasAuc(
                metric=metric,
                subgroup=names[j // 3],
                n=n_neg + n_pos,
                n_positive=n_pos,
                n_negative=n_neg,
                value=_f(auc[j]),
                ci_low=_f(lo[j]),
                ci_high=_f(hi[j]),
                reason=reason,
            )
        )

    # Bootstrap: resample rows within each stratum (membership pattern x label) by drawing
    # multinomial counts over the stratum's score bins; AUCs follow from weighted histograms.
    rng = np.random.default_rng(seed)
    member = np.stack(masks, axis=1) if masks else np.zeros((y.size, 0), dtype=bool)
    keys = np.concatenate([member, pos[:, None]], axis=1)
    _, stratum = np.unique(keys, axis=0, return_inverse=True)
    stratum = stratum.reshape(-1)
    n_strata = int(stratum.max()) + 1 if y.size else 0
    counts = np.zeros((draws, y.size), dtype=np.float64)
    for st in range(n_strata):
        rows_st = np.flatnonzero(stratum == st)
        hist = np.bincount(bins[rows_st], minlength=k)
        occupied = np.flatnonzero(hist)
        drawn = rng.multinomial(rows_st.size, hist[occupied] / rows_st.size, size=draws)
        # Give each occupied bin's drawn count to one representative row of the stratum.
        rep = np.array([rows_st[bins[rows_st] == b][0] for b in occupied])
        counts[:, rep] = drawn
    boot_auc = np.full((draws, len(selections)), np.nan)
    for j, (a, b) in enumerate(selections):
        nh = _weighted_hist(bins, counts, a, k)
        ph = _weighted_hist(bins, counts, b, k)
        boot_auc[:, j] = roc_auc_from_hist(nh, ph)
    means: list[GeneralizedMean] = []
    point = np.array([np.nan if r.value is None else r.value for r in rows])
    for i, metric in enumerate(BIAS_AUC_METRICS):
        cols = np.arange(i, len(selections), 3)
        value = generalized_mean(point[cols], power)
        defined = np.isfinite(point[cols])
        sample = generalized_mean(np.where(defined[None, :], boot_auc[:, cols], np.nan), power)
        # A draw that loses a subgroup's AUC (no positives drawn) is an undefined draw.
        lost = np.any(defined[None, :] & ~np.isfinite(boot_auc[:, cols]), axis=1)
        sample = np.where(lost, np.nan, sample)
        m_lo, m_hi, undefined = percentile_interval(sample, alpha)
        ok = np.isfinite(sample)
        bias = float(sample[ok].mean() - value) if ok.any() and np.isfinite(value) else np.nan
        means.append(
            GeneralizedMean(
                metric=metric,
                subgroups=int(defined.sum()),
                value=_f(float(value)),
                ci_low=_f(float(np.clip(m_lo - bias, 0.0, 1.0))),
                ci_high=_f(float(np.clip(m_hi - bias, 0.0, 1.0))),
                undefined_draws=float(undefined),
                bootstrap_bias=_f(bias),
            )
        )
    return rows, means


def _weighted_hist(
    bins: NDArray[np.intp], counts: FloatArray, select: NDArray[np.bool_], k: int
) -> FloatArray:
    """Per-draw histograms over score bins of the selected rows, weighted by drawn counts."""
    idx = np.flatnonzero(select)
    draws = counts.shape[0]
    if idx.size == 0:
        return np.zeros((draws, k))
    flat = (np.arange(draws)[:, None] * k + bins[idx][None, :]).reshape(-1)
    w = counts[:, idx].reshape(-1)
    hist = np.bincount(flat, weights=w, minlength=draws * k).reshape(draws, k)
    return np.asarray(hist, dtype=np.float64)
