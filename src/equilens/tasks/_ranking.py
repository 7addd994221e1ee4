"""The ranking task: per-query metrics by user group and exposure by item group.

Rows are (query, item) pairs with a score or a rank and a graded relevance; the sensitive
features are the user's groups (constant within a query) and ``item_group`` the provider's.
Each query is a unit: the one pass (:func:`ranking_statistics`) reduces it to a few numbers
(:func:`equilens.metrics._ranking.per_query`) summed per finest cell with their
cross-products, so every slice's metric gets a query-level (delta-method) interval and the
comparisons of user groups get Welch's test over queries. Exposure fairness is tested per item
group against exposure proportional to relevance (``docs/design/0012-ranking.md``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats as sps

from equilens.data import TaskInputs
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.metrics import (
    ITEM_GROUP_METRICS,
    USER_METRICS,
    RankingContext,
    evaluate_ranking_metrics,
    metric_name,
    order_within_queries,
    per_query,
    quantity_names,
)
from equilens.metrics import ranking_metrics as metrics
from equilens.slicing import SlicePlan
from equilens.stats import UnitSums, merged_key_order, standardised_shift, unit_sums
from equilens.tasks._base import Role, Task, TaskEvaluation, TaskOptions, TaskStatistics
from equilens.tasks._unit_stats import choose_metrics

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

__all__ = ["TASK", "RankingStatistics", "check_settings", "ranking_statistics"]

DEFAULT_K = (10,)
EXPOSURE_MODEL = (
    "position-based exposure 1 / log2(1 + position) over the whole list of each query "
    "(Singh & Joachims 2018; tied items share their positions' mean exposure); relevance = "
    "the graded relevance column; shares are ratios of sums over the slice's queries"
)


@dataclass(frozen=True)
class RankingStatistics:
    """Sums of per-query quantities per finest cell (a ``TaskStatistics``); units are queries."""

    features: tuple[str, ...]
    keys: tuple[tuple[str, ...], ...]
    sums: UnitSums
    ks: tuple[int, ...]
    item_groups: tuple[str, ...] | None
    #: (query, item) rows per cell.
    item_rows: IntArray
    columns: dict[str, Any] = field(default_factory=dict)

    @property
    def cell_rows(self) -> IntArray:
        """Queries per cell (the unit of every interval and test)."""
        return self.sums.rows

    @property
    def cell_weight(self) -> FloatArray:
        return self.sums.rows.astype(np.float64)

    @property
    def cell_favoured(self) -> FloatArray | None:
        return None

    @property
    def weighted(self) -> bool:
        return False

    def merge(self, other: RankingStatistics) -> RankingStatistics:
        """The statistics of both batches' rows (a query must not straddle the batches)."""
        if self.features != other.features or self.ks != other.ks:
            raise ValueError("cannot merge ranking statistics of different features or k")
        if (self.item_groups is None) != (other.item_groups is None):
            raise ValueError("cannot merge ranking statistics with and without item groups")
        groups = None
        if self.item_groups is not None and other.item_groups is not None:
            groups = tuple(sorted(set(self.item_groups) | set(other.item_groups)))
        names = quantity_names(self.ks, groups)
        keys = merged_key_order(len(self.features), self.keys, other.keys)
        pos = {key: i for i, key in enumerate(keys)}
        a, b = (
            _expand(s.sums, names).take(
                np.array([pos[k] for k in s.keys], dtype=np.int64), len(keys)
            )
            for s in (self, other)
        )
        rows = np.zeros(len(keys), dtype=np.int64)
        for s in (self, other):
            np.add.at(rows, np.array([pos[k] for k in s.keys], dtype=np.int64), s.item_rows)
        return RankingStatistics(
            self.features, keys, a + b, self.ks, groups, rows, dict(self.columns)
        )


def _expand(sums: UnitSums, names: Sequence[str]) -> UnitSums:
    """``sums`` over the quantities ``names`` (a superset; missing ones are zero)."""
    if tuple(names) == sums.quantities:
        return sums
    c, g, _ = sums.buckets.shape
    q = len(names)
    src = [sums.quantities.index(n) if n in sums.quantities else -1 for n in names]
    have = np.array([i for i, s in enumerate(src) if s >= 0], dtype=np.int64)
    from_ = np.array([s for s in src if s >= 0], dtype=np.int64)
    totals = np.zeros((c, q))
    cross = np.zeros((c, q, q))
    buckets = np.zeros((c, g, q))
    totals[:, have] = sums.totals[:, from_]
    cross[:, have[:, None], have[None, :]] = sums.cross[:, from_[:, None], from_[None, :]]
    buckets[:, :, have] = sums.buckets[:, :, from_]
    return UnitSums(
        tuple(names), totals, cross, sums.units, sums.rows, buckets, sums.bucket_units, False
    )


def check_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """``{"k": [k, ...]}``: sorted distinct cut-offs, each a whole number >= 1 (default 10)."""
    unknown = [name for name, v in settings.items() if v is not None and name != "k"]
    if unknown:
        raise InvalidParameterError(
            f"The ranking task does not read {', '.join(unknown)}; its setting is k (--k)."
        )
    raw = settings.get("k")
    if raw is None:
        return {"k": list(DEFAULT_K)}
    values = list(raw) if isinstance(raw, list | tuple) else [raw]
    ok = bool(values) and all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= 1 for v in values
    )
    if not ok:
        raise InvalidParameterError(
            f"The 'k' parameter of the ranking task must be a whole number >= 1 or a list of "
            f"them (CLI: --k K[,K...]); got {raw!r}."
        )
    return {"k": sorted({int(v) for v in values})}


def _label(inputs: TaskInputs, role: str) -> str:
    col = inputs.columns.get(role)
    return f"Column '{col}' (--{role.replace('_', '-')})"


def _check_rows(
    inputs: TaskInputs, query: IntArray, order: IntArray, starts: IntArray, cell: IntArray
) -> None:
    """One-line errors: an item twice in a query, tied ranks, user groups varying in a query."""
    qtext = inputs.labels["query"]
    item = inputs.values["item"]
    by_item = order_within_queries(query, item.astype(np.float64))
    same = (query[by_item][1:] == query[by_item][:-1]) & (item[by_item][1:] == item[by_item][:-1])
    if same.any():
        i = int(np.flatnonzero(same)[0])
        a, b = sorted((int(by_item[i]), int(by_item[i + 1])))
        raise InvalidInputError(
            f"{_label(inputs, 'item')} lists item '{inputs.labels['item'][item[a]]}' twice in "
            f"query '{qtext[query[a]]}' (row indices {a} and {b}); each item appears once per query"
        )
    rank = inputs.values.get("rank")
    if rank is not None:
        rs = rank[order]
        qs = query[order]
        tied = (qs[1:] == qs[:-1]) & (rs[1:] == rs[:-1])
        if tied.any():
            i = int(np.flatnonzero(tied)[0])
            a, b = sorted((int(order[i]), int(order[i + 1])))
            raise InvalidInputError(
                f"{_label(inputs, 'rank')} gives rank {float(rank[a]):g} to two items of query "
                f"'{qtext[query[a]]}' (row indices {a} and {b}); ranks must be distinct within a "
                "query"
            )
    if not inputs.features:
        return
    cs = cell[order]
    lo = np.minimum.reduceat(cs, starts)
    hi = np.maximum.reduceat(cs, starts)
    varies = np.flatnonzero(lo != hi)
    if varies.size:
        qpos = int(varies[0])
        end = int(starts[qpos + 1]) if qpos + 1 < starts.size else order.size
        rows = order[int(starts[qpos]) : end]
        for f in inputs.features:
            codes = f.codes[rows]
            if codes.min() != codes.max():
                raise InvalidInputError(
                    f"Sensitive column '{f.name}' varies within query "
                    f"'{qtext[query[rows[0]]]}' ('{f.labels[int(codes.min())]}' and "
                    f"'{f.labels[int(codes.max())]}'); user groups must be constant within a "
                    "query (item groups go in --item-group)"
                )


def ranking_statistics(inputs: TaskInputs, settings: Mapping[str, Any]) -> RankingStatistics:
    """The one pass: per-query quantities summed per finest cell of the user groups."""
    ks = tuple(check_settings(settings)["k"])
    score, rank = inputs.values.get("y_score"), inputs.values.get("rank")
    if (score is None) == (rank is None):
        got = "both" if score is not None else "neither"
        raise InvalidParameterError(
            f"The ranking task needs exactly one of y_score (--y-score) and rank (--rank); got "
            f"{got}."
        )
    if score is not None and score.ndim != 1:
        raise InvalidParameterError("The ranking task's y_score (--y-score) is one column.")
    order_score = np.asarray(score if score is not None else -np.asarray(rank), dtype=np.float64)
    query = np.asarray(inputs.values["query"], dtype=np.int64)
    cell, keys = inputs.cell_codes()
    groups = inputs.labels.get("item_group")
    item_group = inputs.values.get("item_group")
    order = order_within_queries(query, order_score)
    starts = np.flatnonzero(np.r_[True, query[order][1:] != query[order][:-1]])
    _check_rows(inputs, query, order, starts, cell)
    values, first = per_query(
        query, order_score, inputs.values["relevance"], ks, item_group, groups, order
    )
    query_cell = cell[first]
    names = quantity_names(ks, groups)
    sums = unit_sums(query_cell, len(keys), values, names)
    item_rows = np.bincount(cell, minlength=len(keys)).astype(np.int64)
    return RankingStatistics(
        tuple(f.name for f in inputs.features),
        keys,
        sums,
        ks,
        None if groups is None else tuple(groups),
        item_rows,
        dict(inputs.columns),
    )


def exposure_comparisons(
    ctx: RankingContext, evaluated: Mapping[str, Any], alpha: float
) -> list[dict[str, Any]]:
    """Per item group, overall: disparate exposure against parity (exposure share equal to
    relevance share), a t-test of log(disparate exposure) = 0 over queries (``queries - 1``
    df, delta method), as comparison rows of the audit's one Holm / BH family."""
    rows: list[dict[str, Any]] = []
    shift = standardised_shift(alpha, 0.8)
    for g in ctx.item_groups or ():
        name = metric_name("disparate_exposure", item_group=g)
        ev = evaluated.get(name)
        if ev is None or ev.se is None or ev.df is None:
            return []
        v, se, df = float(ev.value[0]), float(ev.se[0]), float(ev.df[0])
        lo, hi = float(ev.lo[0]), float(ev.hi[0])
        ok = v > 0 and se > 0 and math.isfinite(se) and math.isfinite(v) and df >= 1
        t = math.log(v) / (se / v) if ok else math.nan
        p = float(2 * sps.t.sf(abs(t), df)) if math.isfinite(t) else math.nan
        defined = math.isfinite(v)
        rows.append(
            {
                "_g": 0,
                "_r": 0,
                "metric": name,
                "features": ["item_group"],
                "slice": {"item_group": g},
                "reference": {},
                "value": v if defined else None,
                "reference_value": 1.0,
                "difference": v - 1.0 if defined else None,
                "difference_ci_low": lo - 1.0 if math.isfinite(lo) else None,
                "difference_ci_high": hi - 1.0 if math.isfinite(hi) else None,
                "ratio": v if defined else None,
                "ratio_ci_low": lo if math.isfinite(lo) else None,
                "ratio_ci_high": hi if math.isfinite(hi) else None,
                "ci_method": str(ev.method[0]) if math.isfinite(lo) else "none",
                "test": "t-log-ratio-vs-parity" if math.isfinite(p) else "none",
                "statistic": t if math.isfinite(p) else None,
                "p_value": p if math.isfinite(p) else None,
                "p_holm": None,
                "p_bh": None,
                "minimum_detectable_difference": shift * se if ok else None,
                "status": "ok" if defined and math.isfinite(p) else "undefined",
                "reason": "exposure share / relevance share of the item group against parity "
                "(1), over all queries"
                if defined and math.isfinite(p)
                else "no exposure or no relevance for the item group, or one query only",
            }
        )
    return rows


def evaluate_ranking(
    stats: TaskStatistics,
    plan: SlicePlan,
    requested: Sequence[str] | None,
    options: TaskOptions,
) -> TaskEvaluation:
    """Every ranking metric over the plan's slices; the exposure tests for the log."""
    assert isinstance(stats, RankingStatistics)
    available = list(USER_METRICS)
    if stats.item_groups is not None:
        available += list(ITEM_GROUP_METRICS)
    specs = choose_metrics(
        metrics, available, requested, "ranking", needs="the item_group column (--item-group)"
    )
    ctx = RankingContext(stats.sums, plan.membership, options.alpha, stats.ks, stats.item_groups)
    evaluated = evaluate_ranking_metrics(ctx, specs)
    n = np.rint(plan.membership @ stats.sums.rows.astype(np.float64)).astype(np.int64)
    resolved: dict[str, Any] = {
        "k": list(stats.ks),
        "unit": "query",
        "queries": int(n[0]),
        "items": int(stats.item_rows.sum()),
        "n_counts": "queries (min_group_size, intervals and tests count queries)",
        "ties": "tie-averaged as scikit-learn's ndcg_score (expected value under a random "
        "order of tied items)",
        "recall_at_k": "queries without a relevant item are left out of recall@k",
        "intervals": "delta method over queries, t with queries - 1 df; logit scale for "
        "values in [0, 1] (Wilson of the queries when all sit at a bound), log scale for "
        "disparate exposure; the bootstrap and interval_method options are not used",
    }
    warnings: list[str] = []
    extra: list[dict[str, Any]] = []
    if stats.item_groups is not None:
        extra = exposure_comparisons(ctx, evaluated, options.alpha)
        resolved["exposure"] = EXPOSURE_MODEL
        resolved["item_groups"] = list(stats.item_groups)
        resolved["disparate_exposure_test"] = (
            "t-test of log(exposure share / relevance share) = 0 over queries (delta method, "
            "queries - 1 df), overall slice; comparison rows in the audit's one family"
        )
    reported = list(evaluated)
    compared = [m for m in reported if m.split("[")[0] in USER_METRICS]
    return TaskEvaluation(
        evaluated=evaluated,
        n=n,
        comparison_metrics=compared,
        warnings=warnings,
        resolved=resolved,
        reported=reported,
        extra_comparisons=extra,
    )


TASK = Task(
    name="ranking",
    description="Ranked lists per query: NDCG@k, precision@k, recall@k and MRR by user group; "
    "exposure against relevance by item group.",
    roles=(
        Role("query", "id", True, "the query (or user session) the item was ranked for"),
        Role("item", "id", True, "the ranked item"),
        Role("y_score", "number", False, "the score ordering a query's items (higher = top)"),
        Role("rank", "number", False, "the item's position in its query (1 = top)"),
        Role("relevance", "count", True, "graded relevance of the item to the query (>= 0)"),
        Role("item_group", "id", False, "the item's provider group (exposure fairness)"),
    ),
    metrics=metrics,
    statistics=ranking_statistics,
    evaluate=evaluate_ranking,
    check_settings=check_settings,
)
