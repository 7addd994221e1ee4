"""Ranking metrics: per-query values (NDCG@k, precision@k, recall@k, reciprocal rank, exposure)
and their per-slice means with query-level intervals.

Each query is a unit. :func:`per_query` turns the (query, item) rows into a few numbers per
query in one vectorised pass (a sort by query then descending score; no loop over queries);
every metric is then a smooth function of a slice's totals of those numbers over its queries
(a mean of per-query values, or a ratio of sums such as an exposure share), evaluated with the
delta method on the design-based covariance of the totals
(:mod:`equilens.stats._units`), with ``queries - 1`` degrees of freedom.

Ties in the scores are handled as :func:`sklearn.metrics.ndcg_score` does
(``ignore_ties=False``): the items of a tie group share the group's mean gain, which is the
expected value of the metric when the tie is broken at random. Precision@k, recall@k and
exposure use the same averaging; the reciprocal rank is its exact expectation under a random
order within the tie (``docs/design/0012-ranking.md``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special, stats

from equilens.metrics._evaluated import Evaluated
from equilens.metrics._names import metric_name
from equilens.metrics._spec import MetricKind, MetricSpec
from equilens.registry import Registry
from equilens.stats import UnitSums, covariance, linearised, log_scale_interval, slice_sums

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

__all__ = [
    "QUERIES",
    "RankingContext",
    "evaluate_metrics",
    "metrics",
    "order_within_queries",
    "per_query",
    "quantity_names",
]

#: The per-query quantity that counts queries.
QUERIES = "queries"
#: The quantity counting queries with at least one relevant item (recall's denominator).
HAS_RELEVANT = "has_relevant"


def quantity_names(ks: Sequence[int], item_groups: Sequence[str] | None) -> list[str]:
    """Names of the per-query quantities, in column order."""
    names = [QUERIES, HAS_RELEVANT, "reciprocal_rank"]
    for k in ks:
        names += [f"ndcg@{k}", f"precision@{k}", f"recall@{k}"]
    if item_groups is not None:
        names += ["exposure", "relevance"]
        names += [f"exposure[{g}]" for g in item_groups]
        names += [f"relevance[{g}]" for g in item_groups]
    return names


def _expected_reciprocal_rank(start: FloatArray, m: FloatArray, r: FloatArray) -> FloatArray:
    """E[1 / (start - 1 + J)], J the first relevant position among ``m`` tied items of which
    ``r`` are relevant, in a uniformly random order: P(J = j) = C(m - j, r - 1) / C(m, r)."""
    out = 1.0 / start  # r == m or m == 1: the first tied item is relevant
    tied = r < m
    if not tied.any():
        return out
    s, mm, rr = start[tied], m[tied], r[tied]
    log_total = special.gammaln(mm + 1) - special.gammaln(rr + 1) - special.gammaln(mm - rr + 1)
    acc = np.zeros(s.size)
    last = mm - rr + 1
    for j in range(1, int(last.max()) + 1):
        ok = j <= last
        a = np.where(ok, mm - j, rr - 1)
        logp = (
            special.gammaln(a + 1)
            - special.gammaln(rr)
            - special.gammaln(np.maximum(a - rr + 2, 1))
            - log_total
        )
        acc += np.where(ok, np.exp(logp) / (s - 1 + j), 0.0)
    out[tied] = acc
    return out


def order_within_queries(query: IntArray, key: FloatArray) -> IntArray:
    """Row order by query code, then descending ``key`` within a query (stable).

    Rows already grouped by ascending query code in lists of one length (the usual layout of
    a logged ranking) are sorted list by list (a 2-D sort along rows); others by ``lexsort``.
    """
    n = query.size
    if n and bool(np.all(query[1:] >= query[:-1])):
        width = n // (int(query[-1]) + 1) if int(query[0]) == 0 else 0
        if (
            width
            and width * (int(query[-1]) + 1) == n
            and bool(np.all(query.reshape(-1, width) == np.arange(n // width)[:, None]))
        ):
            within = np.argsort(-key.reshape(-1, width), axis=1, kind="stable")
            return np.asarray((within + np.arange(0, n, width)[:, None]).ravel(), dtype=np.int64)
    return np.asarray(np.lexsort((-key, query)), dtype=np.int64)


def per_query(
    query: IntArray,
    score: FloatArray,
    relevance: FloatArray,
    ks: Sequence[int],
    item_group: IntArray | None = None,
    item_groups: Sequence[str] | None = None,
    order: IntArray | None = None,
) -> tuple[FloatArray, IntArray]:
    """Per-query quantities ``(n_queries, Q)`` (columns :func:`quantity_names`) and the
    position of each query's first row in the sorted order (query codes must be ``0 .. U-1``,
    every code present).

    ``ndcg@k`` is :func:`sklearn.metrics.ndcg_score`'s per-query value (linear gains,
    discount ``1 / log2(1 + position)``, tie-averaged; 0 when no item is relevant);
    ``precision@k`` = relevant items (relevance > 0) in the top k / k; ``recall@k`` = relevant
    items in the top k / relevant items (stored as 0 for a query without relevant items,
    which ``has_relevant`` leaves out of recall's denominator); ``reciprocal_rank`` = 1 / the
    position of the first relevant item (0 without one). Exposure is position-based over the
    whole list: ``1 / log2(1 + position)``. ``order`` is
    :func:`order_within_queries` of the scores when the caller has it.
    """
    n = query.size
    if order is None:
        order = order_within_queries(query, score)
    qs = query[order]
    ss = score[order]
    rel = relevance[order]
    new_q = np.ones(n, dtype=bool)
    new_q[1:] = qs[1:] != qs[:-1]
    starts = np.flatnonzero(new_q)
    nq = starts.size
    qid = np.cumsum(new_q) - 1
    pos = (np.arange(n) - starts[qid] + 1).astype(np.float64)
    new_t = new_q.copy()
    new_t[1:] |= ss[1:] != ss[:-1]
    tid = np.cumsum(new_t) - 1
    tcount = np.bincount(tid).astype(np.float64)

    def tie_mean(x: FloatArray) -> FloatArray:
        return np.asarray((np.bincount(tid, weights=x) / tcount)[tid])

    relevant = (rel > 0).astype(np.float64)
    gain = tie_mean(rel)
    hit = tie_mean(relevant)
    disc = 1.0 / np.log2(1.0 + pos)
    ideal = relevance[order_within_queries(query, relevance)]  # same blocks as ``order``
    n_rel = np.bincount(qid, weights=relevant, minlength=nq)
    cols: list[FloatArray] = [np.ones(nq), (n_rel > 0).astype(np.float64)]

    rr = np.zeros(nq)
    rel_rows = np.flatnonzero(rel > 0)
    if rel_rows.size:
        first = rel_rows[np.r_[True, qid[rel_rows][1:] != qid[rel_rows][:-1]]]
        g = tid[first]
        tstart = np.flatnonzero(new_t)
        r_in_group = np.bincount(tid, weights=relevant)
        rr[qid[first]] = _expected_reciprocal_rank(pos[tstart[g]], tcount[g], r_in_group[g])
    cols.append(rr)
    for k in ks:
        top = pos <= k
        dcg = np.bincount(qid, weights=gain * disc * top, minlength=nq)
        idcg = np.bincount(qid, weights=ideal * disc * top, minlength=nq)
        hits = np.bincount(qid, weights=hit * top, minlength=nq)
        with np.errstate(divide="ignore", invalid="ignore"):
            cols.append(np.where(idcg > 0, dcg / np.where(idcg > 0, idcg, 1.0), 0.0))
            cols.append(hits / k)
            cols.append(np.where(n_rel > 0, hits / np.where(n_rel > 0, n_rel, 1.0), 0.0))
    if item_group is not None and item_groups is not None:
        n_groups = len(item_groups)
        exposure = tie_mean(disc)
        cols.append(np.bincount(qid, weights=exposure, minlength=nq).astype(np.float64))
        cols.append(np.bincount(qid, weights=rel, minlength=nq).astype(np.float64))
        slot = qid * n_groups + item_group[order]
        e_g = np.bincount(slot, weights=exposure, minlength=nq * n_groups).reshape(nq, n_groups)
        r_g = np.bincount(slot, weights=rel, minlength=nq * n_groups).reshape(nq, n_groups)
        cols.extend(e_g.T)
        cols.extend(r_g.T)
    return np.column_stack(cols), order[starts].astype(np.int64)


@dataclass(frozen=True)
class RankingContext:
    """What the registry entries read: the sums over queries per slice and the options."""

    sums: UnitSums
    membership: FloatArray
    alpha: float
    ks: tuple[int, ...]
    item_groups: tuple[str, ...] | None

    def __post_init__(self) -> None:
        t, m, k = slice_sums(self.sums, self.membership)
        object.__setattr__(self, "_t", t)
        object.__setattr__(self, "_v", covariance(t, m, k))
        object.__setattr__(self, "_k", k)

    @property
    def totals(self) -> FloatArray:
        """Totals per slice ``(S, Q)``."""
        return np.asarray(self._t)  # type: ignore[attr-defined]

    @property
    def queries(self) -> FloatArray:
        """Queries per slice."""
        return np.asarray(self._k)  # type: ignore[attr-defined]

    def of(
        self,
        spec: MetricSpec,
        quantities: Sequence[str],
        f: Callable[[FloatArray], FloatArray],
        *,
        units: str = QUERIES,
        scale: str = "logit",
        **params: object,
    ) -> tuple[str, Evaluated]:
        """One metric ``f`` of the totals of ``quantities`` over every slice, with its
        delta-method standard error and a t interval on the ``scale`` of the value: ``logit``
        for values in [0, 1] (skewed near the bounds; a slice whose every unit sits at a bound
        gets the Wilson interval of that many units, which covers any variable in [0, 1]),
        ``log`` for positive ratios."""
        idx = [self.sums.index(q) for q in quantities]
        t = self.totals[:, idx]
        v = np.asarray(self._v)[:, idx][:, :, idx]  # type: ignore[attr-defined]
        value, se = linearised(f, t, v)
        k = self.queries
        n_units = self.totals[:, self.sums.index(units)]
        df = np.where(k > 1, k - 1.0, np.nan)
        crit = stats.t.ppf(1 - self.alpha / 2, np.where(k > 1, df, 1.0))
        ok = np.isfinite(value) & np.isfinite(se) & (k > 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            if scale == "log":
                inside = value > 0
                lo, hi = log_scale_interval(value, se, crit)
                method = "t on log scale (delta method over queries)"
            else:
                inside = (value > 0) & (value < 1)
                centre = special.logit(np.where(inside, value, 0.5))
                half = crit * se / np.where(inside, value * (1 - value), 1.0)
                lo, hi = special.expit(centre - half), special.expit(centre + half)
                method = "t on logit scale (delta method over queries)"
                edge = ok & ~inside & (value >= 0) & (value <= 1)
                w_lo, w_hi = _wilson(value, n_units, crit)
                lo, hi = np.where(edge, w_lo, lo), np.where(edge, w_hi, hi)
                inside = inside | edge
        ok &= inside
        lo, hi = np.where(ok, lo, np.nan), np.where(ok, hi, np.nan)
        name = metric_name(spec.name, **params)
        ev = Evaluated(
            spec=dataclasses.replace(spec, name=name),
            value=np.asarray(value, dtype=np.float64),
            lo=lo,
            hi=hi,
            method=np.full(value.shape, method),
            no_ci_reason="fewer than two queries, or a value at zero with no spread (log scale)",
            se=np.where(ok, se, np.nan),
            df=df,
            sd=np.where(ok, se * np.sqrt(n_units), np.nan),
            units=n_units,
        )
        return name, ev


def _wilson(p: FloatArray, n: FloatArray, z: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Wilson interval of a proportion ``p`` of ``n`` trials (critical value ``z``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z2 = z * z / n
        centre = (p + z2 / 2) / (1 + z2)
        half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n)) / (1 + z2)
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def _ratio(t: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t[..., 1] > 0, t[..., 0] / np.where(t[..., 1] > 0, t[..., 1], 1.0), np.nan)


def _share_ratio(t: FloatArray) -> FloatArray:
    """(exposure_g / exposure) / (relevance_g / relevance)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (t[..., 0] * t[..., 3]) / (t[..., 1] * t[..., 2])
    return np.where(np.isfinite(out), out, np.nan)


Evaluator = Callable[[RankingContext, MetricSpec], list[tuple[str, Evaluated]]]


def _per_k(quantity: str, denominator: str) -> Evaluator:
    def run(ctx: RankingContext, spec: MetricSpec) -> list[tuple[str, Evaluated]]:
        return [
            ctx.of(spec, [f"{quantity}@{k}", denominator], _ratio, units=denominator, k=k)
            for k in ctx.ks
        ]

    return run


def _reciprocal_rank(ctx: RankingContext, spec: MetricSpec) -> list[tuple[str, Evaluated]]:
    return [ctx.of(spec, ["reciprocal_rank", QUERIES], _ratio)]


def _per_item_group(kind: str) -> Evaluator:
    def run(ctx: RankingContext, spec: MetricSpec) -> list[tuple[str, Evaluated]]:
        out = []
        for g in ctx.item_groups or ():
            if kind == "disparate":
                qs = [f"exposure[{g}]", "exposure", f"relevance[{g}]", "relevance"]
                out.append(ctx.of(spec, qs, _share_ratio, scale="log", item_group=g))
            else:
                out.append(ctx.of(spec, [f"{kind}[{g}]", kind], _ratio, item_group=g))
        return out

    return run


metrics: Registry[MetricSpec] = Registry("ranking metric")

#: Metrics comparing user groups (the rest describe providers' item groups).
USER_METRICS = ("ndcg_score", "precision_at_k", "recall_at_k", "mean_reciprocal_rank")
#: Metrics that need the item_group column.
ITEM_GROUP_METRICS = ("exposure_share", "relevance_share", "disparate_exposure")


def _register(spec: MetricSpec, *aliases: str) -> None:
    metrics.register(spec.name, spec, aliases=aliases)


def _spec(
    name: str, description: str, kind: MetricKind, better: bool | None, why: str, run: Evaluator
) -> MetricSpec:
    return MetricSpec(
        name, description, kind, better, undefined_when=why, evaluate=run, task="ranking"
    )


_register(
    _spec(
        "ndcg_score",
        "Mean over queries of NDCG@k (scikit-learn's ndcg_score: linear gains, "
        "tie-averaged; 0 for a query without relevant items).",
        "mean",
        True,
        "the group has no query",
        _per_k("ndcg", QUERIES),
    ),
    "ndcg",
)
_register(
    _spec(
        "precision_at_k",
        "Mean over queries of the share of the top k positions holding a relevant item.",
        "mean",
        True,
        "the group has no query",
        _per_k("precision", QUERIES),
    ),
)
_register(
    _spec(
        "recall_at_k",
        "Relevant items in the top k over the query's relevant items, averaged over the "
        "queries that have a relevant item.",
        "ratio",
        True,
        "no query of the group has a relevant item",
        _per_k("recall", HAS_RELEVANT),
    ),
)
_register(
    _spec(
        "mean_reciprocal_rank",
        "Mean over queries of 1 / the position of the first relevant item (0 without one).",
        "mean",
        True,
        "the group has no query",
        _reciprocal_rank,
    ),
    "mrr",
)
_register(
    _spec(
        "exposure_share",
        "The item group's share of the position-based exposure 1 / log2(1 + position), "
        "summed over the group's queries.",
        "ratio",
        None,
        "the group has no query",
        _per_item_group("exposure"),
    )
)
_register(
    _spec(
        "relevance_share",
        "The item group's share of the relevance, summed over the group's queries.",
        "ratio",
        None,
        "no item of the group's queries is relevant",
        _per_item_group("relevance"),
    )
)
_register(
    _spec(
        "disparate_exposure",
        "Exposure share over relevance share of the item group (1: exposure proportional to "
        "relevance; below 1: under-exposed; Singh & Joachims 2018).",
        "statistic",
        None,
        "the item group has no relevance or no exposure in the group's queries",
        _per_item_group("disparate"),
    )
)


def evaluate_metrics(ctx: RankingContext, specs: Sequence[MetricSpec]) -> dict[str, Evaluated]:
    """Every row of ``specs`` (one per k, per item group) over the slices, in order."""
    out: dict[str, Evaluated] = {}
    for spec in specs:
        assert spec.evaluate is not None
        for name, ev in spec.evaluate(ctx, spec):
            out[name] = ev
    return out
