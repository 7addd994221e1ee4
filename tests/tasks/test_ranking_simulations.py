"""Simulations of the ranking intervals and tests (queries iid from a known model).

Every replicate is one finest cell (or two: its user groups), so one call of the task's
statistics and evaluation runs all replicates at once. The truth of each metric is the mean
over a large independent sample of queries from the same model (its Monte Carlo error is
stated beside it and is small against the intervals' widths).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from equilens.metrics._ranking import (
    RankingContext,
    evaluate_metrics,
    metrics,
    per_query,
    quantity_names,
)
from equilens.stats._units import unit_sums

ITEMS = 8
GROUPS = ("A", "B")
REL_P = [0.5, 0.3, 0.15, 0.05]


def _queries(rng: np.random.Generator, n_queries: int, penalty: float) -> tuple[np.ndarray, ...]:
    """Queries of ITEMS items: graded relevance, score = relevance + noise - penalty if in A."""
    q = np.repeat(np.arange(n_queries), ITEMS)
    rel = rng.choice(4, q.size, p=REL_P).astype(float)
    group = (rng.random(q.size) < 0.6).astype(np.int64)  # 0 = A (40%), 1 = B
    score = rel + rng.normal(0, 1.0, q.size) - penalty * (group == 0)
    return q, score, rel, group


def _evaluate(values: np.ndarray, cells: np.ndarray, n_cells: int, names: list[str]):  # type: ignore[no-untyped-def]
    sums = unit_sums(cells, n_cells, values, names)
    ctx = RankingContext(sums, np.eye(n_cells), 0.05, (5,), GROUPS)
    specs = [
        metrics.get(m)
        for m in (
            "ndcg_score",
            "recall_at_k",
            "mean_reciprocal_rank",
            "exposure_share",
            "disparate_exposure",
        )
    ]
    return evaluate_metrics(ctx, specs)


def _truth(penalty: float) -> dict[str, float]:
    rng = np.random.default_rng(12345)
    n = 300_000
    q, score, rel, group = _queries(rng, n, penalty)
    values, _ = per_query(q, score, rel, (5,), group, GROUPS)
    names = quantity_names((5,), GROUPS)
    ev = _evaluate(values, np.zeros(n, dtype=np.int64), 1, names)
    return {name: float(e.value[0]) for name, e in ev.items()} | {
        f"se:{name}": float(e.se[0]) for name, e in ev.items()
    }


@pytest.mark.slow
@pytest.mark.parametrize("n_queries", [30, 300])
def test_interval_coverage(n_queries: int) -> None:
    penalty = 0.7
    truth = _truth(penalty)
    reps = 2000
    rng = np.random.default_rng(n_queries)
    q, score, rel, group = _queries(rng, reps * n_queries, penalty)
    values, _ = per_query(q, score, rel, (5,), group, GROUPS)
    cells = np.repeat(np.arange(reps), n_queries)
    ev = _evaluate(values, cells, reps, quantity_names((5,), GROUPS))
    mc = 3.5 * np.sqrt(0.95 * 0.05 / reps)
    report = {}
    for name, e in ev.items():
        covered = (e.lo <= truth[name]) & (truth[name] <= e.hi)
        cov = float(np.mean(covered))
        report[name] = cov
        # truth's own Monte Carlo error is < 2% of the interval half-width at n <= 300
        assert truth[f"se:{name}"] < 0.02 * float(np.nanmean(e.hi - e.lo)) / 2
        if name == "mean_reciprocal_rank":  # conservative: heavy tail at 1, Wilson at the bound
            assert 0.95 - mc < cov < 0.985, (name, cov, truth[name])
        else:
            assert abs(cov - 0.95) < mc, (name, cov, truth[name])
    assert truth["disparate_exposure[item_group=A]"] < 0.95  # the model under-exposes A
    print(n_queries, {k: round(v, 4) for k, v in truth.items() if ":" not in k}, report)


@pytest.mark.slow
def test_false_finding_rate_identical_user_groups() -> None:
    """Two user groups from one model, per replicate: Welch's test from the evaluated
    mean, sd and units (scipy's ttest_ind_from_stats) rejects at its level; the provider
    test of disparate exposure = 1 (item groups independent of everything) too."""
    reps, n_queries = 2000, 80
    rng = np.random.default_rng(7)
    q, score, rel, group = _queries(rng, reps * n_queries, penalty=0.0)
    values, _ = per_query(q, score, rel, (5,), group, GROUPS)
    user = rng.integers(0, 2, reps * n_queries)
    cells = np.repeat(np.arange(reps), n_queries) * 2 + user
    ev = _evaluate(values, cells, 2 * reps, quantity_names((5,), GROUPS))
    mc = 3.5 * np.sqrt(0.05 * 0.95 / reps)
    rates = {}
    for name in ("ndcg_score[k=5]", "recall_at_k[k=5]", "mean_reciprocal_rank"):
        e = ev[name]
        assert e.sd is not None and e.units is not None
        _, p = stats.ttest_ind_from_stats(
            e.value[0::2],
            e.sd[0::2],
            e.units[0::2],
            e.value[1::2],
            e.sd[1::2],
            e.units[1::2],
            equal_var=False,
        )
        rates[name] = float(np.mean(p < 0.05))
        assert abs(rates[name] - 0.05) < mc, (name, rates[name])
    # provider side, overall of each replicate (both user cells together)
    sums = unit_sums(cells // 2, reps, values, quantity_names((5,), GROUPS))
    ctx = RankingContext(sums, np.eye(reps), 0.05, (5,), GROUPS)
    de = evaluate_metrics(ctx, [metrics.get("disparate_exposure")])
    for g in GROUPS:
        e = de[f"disparate_exposure[item_group={g}]"]
        assert e.se is not None and e.df is not None
        t = np.log(e.value) / (e.se / e.value)
        rate = float(np.mean(2 * stats.t.sf(np.abs(t), e.df) < 0.05))
        rates[g] = rate
        assert abs(rate - 0.05) < mc, (g, rate)
    print(rates)


@pytest.mark.slow
def test_whole_audit_false_finding_rate() -> None:
    """Whole ranking audits where user groups and item groups make no difference: the share
    of audits with any finding (a Holm-adjusted user-group comparison or an exposure test)
    stays near or below the level of each family (two families: at most about 2 x 5%)."""
    import pandas as pd

    from equilens import audit

    runs, n_queries = 400, 150
    rng = np.random.default_rng(99)
    any_user = any_item = 0
    for _ in range(runs):
        q, score, rel, group = _queries(rng, n_queries, penalty=0.0)
        df = pd.DataFrame(
            {
                "q": q,
                "item": np.tile(np.arange(ITEMS), n_queries),
                "s": score,
                "rel": rel,
                "ig": np.array(GROUPS)[group],
                "user": rng.choice(["a", "b", "c"], n_queries)[q],
            }
        )
        log = audit(
            df, task="ranking", query="q", item="item", y_score="s", relevance="rel",
            item_group="ig", sensitive_features=["user"], k=[5, 10],
        )  # fmt: skip
        tested = [c for c in log.comparisons if c.in_family]
        if not any(c.p_holm is not None for c in tested):
            pytest.skip("the comparisons of means (Welch, audit/_compare.py) are not merged yet")
        any_user += any(c.p_holm is not None and c.p_holm < 0.05 for c in tested)
        rows = log.spec_resolved["task_disparate_exposure_tests"]["rows"]
        any_item += any(r["reject"] for r in rows)
    mc = 3.5 * np.sqrt(0.05 * 0.95 / runs)
    print({"user_family": any_user / runs, "item_family": any_item / runs})
    assert any_user / runs < 0.05 + mc
    assert any_item / runs < 0.05 + mc
