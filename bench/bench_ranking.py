"""Benchmark of the ranking audit: 1,000,000 queries x 10 items (10M rows) in under 10 s.

    .venv/bin/python bench/bench_ranking.py            # full size
    .venv/bin/python bench/bench_ranking.py --quick    # 50,000 queries, smoke check

The data are generated in memory (seeded): two user features (region: 5 groups, sex: 2),
constant within a query; 10 items per query with graded relevance 0-3, a score that follows
relevance with noise and under-ranks item group A (30% of items). The audit computes NDCG@k,
precision@k, recall@k (k = 5 and 10), MRR, exposure and relevance shares and disparate
exposure per item group over every slice (both features and their intersection), with
query-level intervals and the comparisons of user groups. Not timed: generating the frame
and a warm-up audit of 2,000 queries (lazy imports).

The peer, measured in the same run: scikit-learn's ``ndcg_score`` per user group (the 10
finest cells, one k, no interval) on a 50,000-query subsample, scaled linearly to the full
size; the printed ratio is peer seconds / equilens seconds.

This is a benchmark, not a test: it prints PASS/FAIL and always exits 0.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

TARGET_QUERIES = 1_000_000
TARGET_SECONDS = 10.0
ITEMS = 10
PEER_QUERIES = 50_000


def make_frame(n_queries: int, seed: int = 0) -> pd.DataFrame:
    """Seeded queries x ITEMS rows."""
    rng = np.random.default_rng(seed)
    n = n_queries * ITEMS
    query = np.repeat(np.arange(n_queries, dtype=np.int64), ITEMS)
    region = rng.choice(5, n_queries, p=[0.4, 0.25, 0.15, 0.12, 0.08])
    sex = rng.integers(0, 2, n_queries)
    rel = rng.choice(4, n, p=[0.5, 0.3, 0.15, 0.05]).astype(np.int8)
    group = np.where(rng.random(n) < 0.3, "A", "B")
    score = rel + rng.normal(0, 1, n) - 0.5 * (group == "A")
    return pd.DataFrame(
        {
            "query": query,
            "item": np.tile(np.arange(ITEMS, dtype=np.int64), n_queries),
            "score": score,
            "relevance": rel,
            "item_group": pd.Categorical(group),
            "region": pd.Categorical(np.array(["r0", "r1", "r2", "r3", "r4"])[region][query]),
            "sex": pd.Categorical(np.array(["f", "m"])[sex][query]),
        }
    )


def run_audit(df: pd.DataFrame) -> object:
    import equilens

    return equilens.audit(
        df,
        task="ranking",
        query="query",
        item="item",
        y_score="score",
        relevance="relevance",
        item_group="item_group",
        sensitive_features=["region", "sex"],
        intersections=True,
        k=[5, 10],
    )


def peer_seconds(df: pd.DataFrame, n_queries: int) -> float:
    """scikit-learn ndcg_score@10 per finest user cell on the subsample, in seconds."""
    from sklearn.metrics import ndcg_score

    sub = df[df["query"] < n_queries]
    y_true = sub["relevance"].to_numpy(np.float64).reshape(-1, ITEMS)
    y_score = sub["score"].to_numpy().reshape(-1, ITEMS)
    cell = (sub["region"].astype(str) + "|" + sub["sex"].astype(str)).to_numpy()[::ITEMS]
    t0 = time.perf_counter()
    for c in np.unique(cell):
        m = cell == c
        ndcg_score(y_true[m], y_score[m], k=10)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--queries", type=int, default=None)
    args = parser.parse_args(argv)
    n_queries = args.queries or (50_000 if args.quick else TARGET_QUERIES)
    df = make_frame(n_queries)
    run_audit(make_frame(2_000, seed=1))  # warm-up: imports
    t0 = time.perf_counter()
    log = run_audit(df)
    seconds = time.perf_counter() - t0
    peer_n = min(PEER_QUERIES, n_queries)
    peer = peer_seconds(df, peer_n) * n_queries / peer_n
    results = log.results  # type: ignore[attr-defined]
    print(f"equilens ranking benchmark: {n_queries:,} queries x {ITEMS} items = {len(df):,} rows")
    print(f"  equilens.audit(task='ranking'): {seconds:.2f} s ({len(results)} result rows)")
    print(
        f"  scikit-learn ndcg_score per cell (one metric, no intervals), scaled from "
        f"{peer_n:,} queries: {peer:.2f} s; ratio {peer / seconds:.1f}x"
    )
    if n_queries >= TARGET_QUERIES:
        verdict = "PASS" if seconds < TARGET_SECONDS else "FAIL"
        print(f"  [{verdict}] {n_queries:,} queries under {TARGET_SECONDS:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
