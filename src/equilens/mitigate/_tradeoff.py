"""Trade-off curves from sufficient statistics, with count-level bootstrap intervals.

A *family* of K settings (a threshold grid, the models of a reductions grid, constraint slacks)
each decide every evaluation row. Rows that share group, true label, the K decisions and the
score (bin) are interchangeable, so the evaluation set is a table of counts: ``rows[g, m]``, the
rows of group ``g`` in cell type ``m``. A stratified row bootstrap (resample each group's rows
with replacement) is then exactly ``Multinomial(n_g, rows[g] / n_g)`` per group
(``equilens.stats.draw_counts``), at a cost independent of the number of rows; every metric of
every setting in a draw is a matrix product of the drawn counts with the cell types' decisions.

The disparities (largest minus smallest rate between groups) get simultaneous bounds, valid at
parity: one percentile interval per pair of groups at level ``1 - alpha / pairs`` (Bonferroni),
folded by :func:`equilens.stats.pair_gap_bounds` (a percentile interval of max - min never
covers 0 when the groups are identical).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilens.exceptions import InvalidInputError
from equilens.mitigate._model import Estimate, TradeoffCurve
from equilens.stats import draw_counts, draw_interval, pair_gap_bounds

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Performance axes (higher is better) and disparity axes (lower is better).
PERFORMANCE = ("accuracy_score", "selection_rate", "roc_auc_score")
DISPARITIES = (
    "demographic_parity_difference",
    "equal_opportunity_difference",
    "false_positive_rate_difference",
    "equalized_odds_difference",
)


@dataclass(frozen=True)
class CellTable:
    """An evaluation set as counts of rows per group and cell type.

    ``rows[g, m]``: rows of group ``g`` in cell type ``m``; ``label[m]``: 1 for the positive
    label; ``decisions[m, k]``: 1 when setting ``k`` decides positive; ``rank[m, k]``: the
    order of the cell type's score under setting ``k`` (equal ranks tie), or None without
    scores.
    """

    groups: tuple[str, ...]
    rows: IntArray
    label: IntArray
    decisions: IntArray
    rank: IntArray | None


def cells_from_predictions(
    y_true: Any, groups: Any, decisions: Any, scores: Any = None
) -> CellTable:
    """Cell table of per-row outcomes: ``decisions`` (n, K) 0/1 and optional ``scores`` (n, K)."""
    y = np.asarray(y_true).astype(np.int64).ravel()
    g_labels, g_codes = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    dec = np.asarray(decisions).astype(np.int64).reshape(len(y), -1)
    parts = [y[:, None], dec]
    if scores is not None:
        sc = np.asarray(scores, dtype=np.float64).reshape(len(y), -1)
        ranks = np.column_stack(
            [np.unique(sc[:, k], return_inverse=True)[1] for k in range(sc.shape[1])]
        )
        parts.append(ranks.astype(np.int64))
    keys = np.column_stack(parts)
    types, inverse = np.unique(keys, axis=0, return_inverse=True)
    rows = np.zeros((len(g_labels), len(types)), dtype=np.int64)
    np.add.at(rows, (g_codes, inverse.ravel()), 1)
    k = dec.shape[1]
    return CellTable(
        groups=tuple(str(x) for x in g_labels),
        rows=rows,
        label=types[:, 0],
        decisions=types[:, 1 : 1 + k],
        rank=types[:, 1 + k :] if scores is not None else None,
    )


def cells_from_scores(
    y_true: Any, groups: Any, scores: Any, thresholds: Any, bins: int = 400
) -> CellTable:
    """Cell table of one score under a threshold grid (a row is positive when score >= t).

    Scores are cut at the thresholds and at ``bins`` equal-width bins in between (for the
    ROC-AUC, whose ties within a bin count one half); rows of a cut share every decision.
    """
    y = np.asarray(y_true).astype(np.int64).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    t = np.asarray(sorted(float(x) for x in thresholds))
    lo, hi = float(np.min(s)), float(np.max(s))
    edges = np.unique(np.concatenate([t, np.linspace(lo, hi, bins + 1)[1:-1]]))
    b = np.searchsorted(edges, s, side="right")  # cell b holds edges[b-1] <= s < edges[b]
    n_bins = len(edges) + 1
    g_labels, g_codes = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    flat = np.bincount(
        (g_codes * 2 + y) * n_bins + b, minlength=len(g_labels) * 2 * n_bins
    ).reshape(len(g_labels), 2 * n_bins)
    bin_of = np.tile(np.arange(n_bins), 2)
    lower = np.concatenate([[-np.inf], edges])[bin_of]
    decisions = (lower[:, None] >= t[None, :]).astype(np.int64)
    return CellTable(
        groups=tuple(str(x) for x in g_labels),
        rows=flat.astype(np.int64),
        label=np.repeat(np.array([0, 1], dtype=np.int64), n_bins),
        decisions=decisions,
        rank=np.repeat(bin_of[:, None], len(t), axis=1).astype(np.int64),
    )


def _auc(counts: FloatArray, table: CellTable, k: int) -> FloatArray:
    """Overall ROC-AUC of setting ``k`` in every draw: P(s+ > s-) + P(s+ = s-) / 2."""
    assert table.rank is not None
    rank = table.rank[:, k]
    n_ranks = int(rank.max()) + 1
    one_hot = np.zeros((len(rank), n_ranks))
    one_hot[np.arange(len(rank)), rank] = 1.0
    total = counts.sum(axis=1)  # (B, M): groups pooled
    pos = (total * table.label) @ one_hot
    neg = (total * (1 - table.label)) @ one_hot
    below = np.cumsum(neg, axis=1) - neg
    n_pos, n_neg = pos.sum(axis=1), neg.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (pos * (below + 0.5 * neg)).sum(axis=1) / (n_pos * n_neg)
    return np.where((n_pos > 0) & (n_neg > 0), out, np.nan)


def _rates(counts: FloatArray, table: CellTable) -> dict[str, FloatArray]:
    """Per draw, group and setting: selection rate, TPR, FPR; overall accuracy and approval."""
    dec = table.decisions.astype(np.float64)
    lab = table.label.astype(np.float64)
    n = counts.sum(axis=2)  # (B, G)
    pos = counts @ lab
    sel = np.einsum("bgm,mk->bgk", counts, dec)
    tp = np.einsum("bgm,mk->bgk", counts * lab, dec)
    fp = sel - tp
    neg = n - pos
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = {
            "selection_rate": sel / n[..., None],
            "true_positive_rate": tp / pos[..., None],
            "false_positive_rate": fp / neg[..., None],
        }
    total = n.sum(axis=1)[:, None]
    correct = (tp + (neg[..., None] - fp)).sum(axis=1)
    rates["accuracy_score"] = correct / total
    rates["approval"] = sel.sum(axis=1) / total
    return rates


def _gap_bounds(per_group: FloatArray, alpha: float) -> tuple[FloatArray, FloatArray]:
    """Simultaneous bounds of max - min over groups, per setting (draws on axis 0)."""
    n_groups, n_settings = per_group.shape[1], per_group.shape[2]
    pairs = list(combinations(range(n_groups), 2))
    diffs = np.stack([per_group[:, i] - per_group[:, j] for i, j in pairs], axis=1)
    lo, hi, _ = draw_interval(diffs.reshape(diffs.shape[0], -1), alpha / max(len(pairs), 1))
    lo, hi = lo.reshape(len(pairs), n_settings), hi.reshape(len(pairs), n_settings)
    bounds = [pair_gap_bounds(lo[:, k], hi[:, k]) for k in range(n_settings)]
    return np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])


def _gap(per_group: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore"):
        return np.asarray(per_group.max(axis=0) - per_group.min(axis=0), dtype=np.float64)


def pareto_front(
    performance: Sequence[float | None], disparity: Sequence[float | None]
) -> list[bool]:
    """Whether each point is on the Pareto front: no other point has performance at least as
    high and disparity at least as low, one of them strictly."""
    p = np.array([np.nan if v is None else v for v in performance], dtype=float)
    d = np.array([np.nan if v is None else v for v in disparity], dtype=float)
    out = []
    for i in range(len(p)):
        if np.isnan(p[i]) or np.isnan(d[i]):
            out.append(False)
            continue
        better = (p >= p[i]) & (d <= d[i]) & ((p > p[i]) | (d < d[i]))
        out.append(not bool(np.any(better & ~np.isnan(p) & ~np.isnan(d))))
    return out


def tradeoff_curve(
    table: CellTable,
    *,
    family: str,
    settings: Sequence[str],
    original: int | None = None,
    draws: int = 1000,
    seed: int = 0,
    confidence_level: float = 0.95,
) -> TradeoffCurve:
    """Performance and disparity of every setting, with bootstrap intervals on both axes.

    Parameters
    ----------
    table:
        The evaluation rows as cell counts (:func:`cells_from_scores`,
        :func:`cells_from_predictions`).
    family:
        What the settings are (``threshold``, ``grid``, ``slack``, ``options``).
    settings:
        A label per setting (column of ``table.decisions``).
    original:
        Index of the original model's setting, marked on the curve.
    draws, seed, confidence_level:
        Count-level bootstrap draws, their seed and the intervals' level.
    """
    k = table.decisions.shape[1]
    if len(settings) != k:
        raise InvalidInputError(f"{len(settings)} setting labels for {k} settings")
    if len(table.groups) < 2:
        raise InvalidInputError("A trade-off curve needs at least two groups")
    alpha = 1.0 - confidence_level
    rng = np.random.default_rng(seed)
    drawn = draw_counts(table.rows, draws, rng).astype(np.float64)
    observed = table.rows.astype(np.float64)[None]
    est: dict[str, list[Estimate]] = {}
    obs_r, draw_r = _rates(observed, table), _rates(drawn, table)
    for name, key in (("accuracy_score", "accuracy_score"), ("selection_rate", "approval")):
        lo, hi, und = draw_interval(draw_r[key], alpha)
        est[name] = [Estimate.of(obs_r[key][0, i], lo[i], hi[i], und[i]) for i in range(k)]
    if table.rank is not None:
        # One score under a threshold grid: every setting ranks alike, one AUC serves all.
        same = bool(np.all(table.rank == table.rank[:, :1]))
        cols = [0] * k if same else list(range(k))
        cache_obs = {i: _auc(observed, table, i)[0] for i in set(cols)}
        cache_draws = {i: _auc(drawn, table, i) for i in set(cols)}
        auc_obs = np.array([cache_obs[i] for i in cols])
        auc_draws = np.column_stack([cache_draws[i] for i in cols])
        lo, hi, und = draw_interval(auc_draws, alpha)
        est["roc_auc_score"] = [Estimate.of(auc_obs[i], lo[i], hi[i], und[i]) for i in range(k)]
    gaps = {
        "demographic_parity_difference": ("selection_rate",),
        "equal_opportunity_difference": ("true_positive_rate",),
        "false_positive_rate_difference": ("false_positive_rate",),
        "equalized_odds_difference": ("true_positive_rate", "false_positive_rate"),
    }
    for name, bases in gaps.items():
        values = np.max([_gap(obs_r[b][0]) for b in bases], axis=0)
        # Equalized odds: the larger of two gaps, each bounded at alpha / 2 (Bonferroni).
        level = alpha / len(bases)
        bounds = [_gap_bounds(draw_r[b], level) for b in bases]
        lo = np.max([b[0] for b in bounds], axis=0)
        hi = np.max([b[1] for b in bounds], axis=0)
        # A draw where some group's rate is undefined (no rows of the label) has no gap.
        und = np.max([np.isnan(draw_r[b]).any(axis=1).mean(axis=0) for b in bases], axis=0)
        est[name] = [Estimate.of(values[i], lo[i], hi[i], und[i]) for i in range(k)]
    pareto = {
        f"{perf}|{disp}": pareto_front([e.value for e in est[perf]], [e.value for e in est[disp]])
        for perf in PERFORMANCE
        if perf in est
        for disp in DISPARITIES
    }
    return TradeoffCurve(
        family=family,
        settings=list(settings),
        original=original,
        groups=list(table.groups),
        n_rows=int(table.rows.sum()),
        draws=draws,
        seed=seed,
        confidence_level=confidence_level,
        estimates=est,
        pareto=pareto,
    )
