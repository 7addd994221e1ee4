"""Ranking metrics against scikit-learn and loop references; merge and order properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import ndcg_score

from equilens.data._columns import prepare_columns
from equilens.exceptions import InvalidParameterError
from equilens.metrics._ranking import (
    RankingContext,
    evaluate_metrics,
    metrics,
    per_query,
    quantity_names,
)
from equilens.slicing._plan import build_plan
from equilens.tasks import get_task
from equilens.tasks._ranking import check_settings, holm, ranking_statistics
from tasks._ranking_helpers import random_rankings, reference

KS = (1, 3, 5, 20)


def _padded(query: np.ndarray, score: np.ndarray, rel: np.ndarray) -> tuple[np.ndarray, ...]:
    """One row per query for scikit-learn: pad with irrelevant items scored below all."""
    nq = int(query.max()) + 1
    width = max(2, int(np.bincount(query).max()))
    y_true = np.zeros((nq, width))
    y_score = np.full((nq, width), score.min() - 1.0)
    for q in range(nq):
        m = query == q
        y_true[q, : m.sum()] = rel[m]
        y_score[q, : m.sum()] = score[m]
    return y_true, y_score


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ndcg_matches_sklearn_per_query_and_averaged(seed: int) -> None:
    rng = np.random.default_rng(seed)
    query, score, rel, _ = random_rankings(rng, 60, 9)
    values, _ = per_query(query, score, rel, KS)
    names = quantity_names(KS, None)
    y_true, y_score = _padded(query, score, rel)
    for k in KS:
        col = values[:, names.index(f"ndcg@{k}")]
        expected = [ndcg_score(y_true[q : q + 1], y_score[q : q + 1], k=k) for q in range(60)]
        np.testing.assert_allclose(col, expected, rtol=1e-12, atol=1e-12)
        assert col.mean() == pytest.approx(ndcg_score(y_true, y_score, k=k), rel=1e-12)


def test_continuous_scores_match_sklearn_without_ties() -> None:
    rng = np.random.default_rng(5)
    query, _, rel, _ = random_rankings(rng, 40, 12)
    score = rng.normal(size=query.size)
    values, _ = per_query(query, score, rel, (10,))
    y_true, y_score = _padded(query, score, rel)
    both = ndcg_score(y_true, y_score, k=10, ignore_ties=True)
    assert values[:, quantity_names((10,), None).index("ndcg@10")].mean() == pytest.approx(both)


@pytest.mark.parametrize("seed", [3, 4])
def test_all_metrics_match_loop_reference_over_tie_orders(seed: int) -> None:
    rng = np.random.default_rng(seed)
    query, score, rel, _ = random_rankings(rng, 50, 6)
    # edge queries: all-zero relevance, a single item, k beyond the list (k=20 below)
    query = np.r_[query, 50, 50, 50, 51]
    score = np.r_[score, 1.0, 1.0, 0.0, 2.0]
    rel = np.r_[rel, 0.0, 0.0, 0.0, 2.0]
    group = rng.integers(0, 3, query.size)
    names = quantity_names(KS, ("0", "1", "2"))
    values, _ = per_query(query, score, rel, KS, group, ("0", "1", "2"))
    for q in range(52):
        m = query == q
        for k in KS:
            ref = reference(list(score[m]), list(rel[m]), k, list(group[m]), 3)
            for name, key in (("ndcg", "ndcg"), ("precision", "precision"), ("recall", "recall")):
                got = values[q, names.index(f"{name}@{k}")]
                assert got == pytest.approx(ref[key], abs=1e-12), (q, k, name)
        assert values[q, names.index("reciprocal_rank")] == pytest.approx(ref["rr"], abs=1e-12)
        for g in range(3):
            got = values[q, names.index(f"exposure[{g}]")]
            assert got == pytest.approx(ref[f"exposure[{g}]"], abs=1e-12)
            assert values[q, names.index(f"relevance[{g}]")] == pytest.approx(
                rel[m][group[m] == g].sum()
            )
        assert values[q, names.index("has_relevant")] == float((rel[m] > 0).any())
    assert values[50, names.index("ndcg@5")] == 0.0  # all-zero relevance: 0 as in sklearn
    assert values[51, names.index("ndcg@20")] == 1.0  # single relevant item
    assert values[51, names.index("precision@20")] == pytest.approx(1 / 20)


def _frame(rng: np.random.Generator, n_queries: int, max_items: int = 6) -> pd.DataFrame:
    query, score, rel, item = random_rankings(rng, n_queries, max_items)
    user = rng.choice(["u1", "u2", "u3"], n_queries)[query]
    return pd.DataFrame(
        {
            "q": [f"q{i:04d}" for i in query],
            "item": item,
            "s": score,
            "rel": rel,
            "user": user,
            "ig": rng.choice(["A", "B"], query.size, p=[0.3, 0.7]),
        }
    )


def _stats(df: pd.DataFrame, k: list[int] | None = None):  # type: ignore[no-untyped-def]
    inputs = prepare_columns(
        df,
        roles={
            "query": "q",
            "item": "item",
            "y_score": "s",
            "relevance": "rel",
            "item_group": "ig",
        },
        kinds={
            "query": "id",
            "item": "id",
            "y_score": "number",
            "relevance": "count",
            "item_group": "id",
        },
        sensitive=["user"],
    )
    return ranking_statistics(inputs, {"k": k or [3, 10]})


def _evaluate(st_):  # type: ignore[no-untyped-def]
    plan = build_plan(st_, [("user",)])
    ctx = RankingContext(st_.sums, plan.membership, 0.05, st_.ks, st_.item_groups)
    ev = evaluate_metrics(ctx, [metrics.get(m) for m in metrics.names()])
    labels = [s.label() for s in plan.slices]
    return {
        (name, lab): (e.value[i], e.se[i], e.lo[i], e.hi[i])
        for name, e in ev.items()
        for i, lab in enumerate(labels)
    }


def test_slice_means_and_standard_errors_match_pandas_and_scipy() -> None:
    rng = np.random.default_rng(11)
    df = _frame(rng, 400)
    st_ = _stats(df)
    got = _evaluate(st_)
    q, score, rel = df["q"].to_numpy(), df["s"].to_numpy(), df["rel"].to_numpy()
    codes = pd.factorize(q, sort=True)[0]
    values, _ = per_query(codes, score, rel, (3,))
    per = pd.DataFrame(values, columns=quantity_names((3,), None))
    per["user"] = df.groupby("q", sort=True)["user"].first().to_numpy()
    for user, part in per.groupby("user"):
        v, se, lo, hi = got[("ndcg_score[k=3]", f"user={user}")]
        assert v == pytest.approx(part["ndcg@3"].mean(), rel=1e-12)
        assert se == pytest.approx(stats.sem(part["ndcg@3"]), rel=1e-5)
        half = stats.t.ppf(0.975, len(part) - 1) * se / (v * (1 - v))
        logit = np.log(v / (1 - v))
        expected = (1 / (1 + np.exp(-(logit - half))), 1 / (1 + np.exp(-(logit + half))))
        assert (lo, hi) == pytest.approx(expected, rel=1e-9)
        rec = part[part["has_relevant"] > 0]["recall@3"]
        assert got[("recall_at_k[k=3]", f"user={user}")][0] == pytest.approx(rec.mean())


def test_disparate_exposure_is_share_over_share() -> None:
    rng = np.random.default_rng(12)
    df = _frame(rng, 200)
    got = _evaluate(_stats(df))
    e_a = got[("exposure_share[item_group=A]", "overall")][0]
    r_a = got[("relevance_share[item_group=A]", "overall")][0]
    assert r_a == pytest.approx(df.loc[df.ig == "A", "rel"].sum() / df["rel"].sum())
    assert got[("disparate_exposure[item_group=A]", "overall")][0] == pytest.approx(e_a / r_a)
    v, _, lo, hi = got[("disparate_exposure[item_group=A]", "overall")]
    assert lo < v < hi and v / lo == pytest.approx(hi / v)  # symmetric on the log scale


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), cut=st.floats(0.1, 0.9))
@example(seed=1000, cut=0.109375)  # a batch of unequal lists with as many rows as equal ones
def test_merging_batches_split_by_query_equals_concatenation(seed: int, cut: float) -> None:
    rng = np.random.default_rng(seed)
    df = _frame(rng, 40)
    queries = sorted(df["q"].unique())
    first = set(queries[: max(1, int(cut * len(queries)))])
    a, b = df[df["q"].isin(first)], df[~df["q"].isin(first)]
    whole = _evaluate(_stats(df))
    if len(b) == 0:
        return
    merged = _stats(a).merge(_stats(b))
    assert merged.item_rows.sum() == len(df)
    parts = _evaluate(merged)
    assert parts.keys() == whole.keys()
    for key, vals in whole.items():
        np.testing.assert_allclose(parts[key], vals, rtol=1e-6, atol=1e-10, err_msg=str(key))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_row_order_changes_nothing(seed: int) -> None:
    rng = np.random.default_rng(seed)
    df = _frame(rng, 30)
    shuffled = df.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    a, b = _evaluate(_stats(df)), _evaluate(_stats(shuffled))
    for key, vals in a.items():
        np.testing.assert_allclose(b[key], vals, rtol=1e-6, atol=1e-10, err_msg=str(key))


def test_check_settings() -> None:
    assert check_settings({}) == {"k": [10]}
    assert check_settings({"k": 5}) == {"k": [5]}
    assert check_settings({"k": [10, 3, 10]}) == {"k": [3, 10]}
    for bad in (0, -1, [], [3, 0], 2.5, True, "10"):
        with pytest.raises(InvalidParameterError, match="'k' parameter of the ranking task"):
            check_settings({"k": bad})
    with pytest.raises(InvalidParameterError, match="does not read top_k"):
        check_settings({"top_k": 3})


def test_holm_matches_statsmodels() -> None:
    from statsmodels.stats.multitest import multipletests

    p = np.array([0.01, 0.04, 0.03, 0.5, np.nan])
    expected = multipletests(p[:4], method="holm")[1]
    np.testing.assert_allclose(holm(p)[:4], expected)
    assert np.isnan(holm(p)[4])


def test_task_is_registered() -> None:
    task = get_task("ranking")
    assert [r.name for r in task.roles] == [
        "query",
        "item",
        "y_score",
        "rank",
        "relevance",
        "item_group",
    ]
    assert all(task.metrics.get(m).task == "ranking" for m in task.metrics.names())


def test_fast_order_of_equal_length_lists_equals_lexsort() -> None:
    from equilens.metrics._ranking import order_within_queries

    rng = np.random.default_rng(21)
    query = np.repeat(np.arange(500), 7)
    key = rng.integers(0, 3, query.size).astype(float)  # many ties: stability matters
    np.testing.assert_array_equal(order_within_queries(query, key), np.lexsort((-key, query)))
    sizes = np.array([3, 5, 4, 4])  # grouped, as many rows as 4 lists of 4, unequal lengths
    q3 = np.repeat(np.arange(4), sizes)
    k3 = np.arange(q3.size, dtype=float)  # the first list's neighbour would sort into it
    np.testing.assert_array_equal(order_within_queries(q3, k3), np.lexsort((-k3, q3)))
    shuffled = rng.permutation(query.size)  # not grouped: the general path
    q2, k2 = query[shuffled], key[shuffled]
    np.testing.assert_array_equal(order_within_queries(q2, k2), np.lexsort((-k2, q2)))
