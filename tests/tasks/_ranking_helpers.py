"""Reference implementations of ranking metrics (loops, by brute force over tie orders)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np


def orderings(score: Sequence[float]) -> list[list[int]]:
    """Every order of the items consistent with descending score (ties in every order)."""
    levels = sorted(set(score), reverse=True)
    groups = [[i for i, s in enumerate(score) if s == lv] for lv in levels]
    out = []
    for combo in itertools.product(*(itertools.permutations(g) for g in groups)):
        out.append([i for part in combo for i in part])
    return out


def reference(
    score: Sequence[float],
    rel: Sequence[float],
    k: int,
    group: Sequence[int] | None = None,
    n_groups: int = 0,
) -> dict[str, float]:
    """Expected metrics of one query over a random order of tied items."""
    orders = orderings(score)
    n_rel = sum(1 for r in rel if r > 0)
    ideal = sorted(rel, reverse=True)
    idcg = sum(ideal[p] / math.log2(p + 2) for p in range(min(k, len(rel))))
    acc: dict[str, float] = {"ndcg": 0.0, "precision": 0.0, "recall": 0.0, "rr": 0.0}
    exp = [0.0] * n_groups
    for order in orders:
        dcg = 0.0
        hits = 0
        rr = 0.0
        for p, i in enumerate(order):
            if p < k:
                dcg += rel[i] / math.log2(p + 2)
                hits += rel[i] > 0
            if rel[i] > 0 and rr == 0.0:
                rr = 1.0 / (p + 1)
            if group is not None:
                exp[group[i]] += 1.0 / math.log2(p + 2)
        acc["ndcg"] += dcg / idcg if idcg > 0 else 0.0
        acc["precision"] += hits / k
        acc["recall"] += hits / n_rel if n_rel else 0.0
        acc["rr"] += rr
    out = {key: v / len(orders) for key, v in acc.items()}
    for g in range(n_groups):
        out[f"exposure[{g}]"] = exp[g] / len(orders)
    return out


def random_rankings(
    rng: np.random.Generator, n_queries: int, max_items: int, levels: int = 3
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Query codes, scores (few levels: ties), graded relevance and items, varying lengths."""
    sizes = rng.integers(1, max_items + 1, n_queries)
    query = np.repeat(np.arange(n_queries), sizes)
    n = query.size
    score = rng.integers(0, levels, n).astype(float)
    rel = rng.choice([0.0, 0.0, 1.0, 2.0, 3.0], n)
    item = np.concatenate([rng.permutation(s) for s in sizes])
    return query, score, rel, item
