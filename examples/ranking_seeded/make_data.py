"""Write rankings.csv: a SEEDED, synthetic search log (no real ranking data ships).

    python examples/ranking_seeded/make_data.py [--queries 1200] [--seed 0]

Each query (a user's search) has 10 candidate items, ranked by a model's score. Users belong
to a `region` (north, south, east) and a `tenure` group (new, returning); items come from a
`provider` (major or independent). The true relevance (0-3) of an item does not depend on
its provider, but the simulated model has two built-in flaws the audit should find:

* it under-scores independent providers' items by 0.6 (relevance units), so they get less
  exposure than their share of relevance (disparate exposure);
* its scores are noisier for new users (noise sd 1.6 instead of 0.8), so their rankings are
  worse (lower NDCG@k) than returning users'.

Region has no effect (every region is served the same way).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

ITEMS = 10


def make(n_queries: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_queries * ITEMS
    query = np.repeat(np.arange(n_queries), ITEMS)
    region = rng.choice(["north", "south", "east"], n_queries, p=[0.5, 0.3, 0.2])[query]
    tenure = rng.choice(["returning", "new"], n_queries, p=[0.7, 0.3])[query]
    provider = rng.choice(["major", "independent"], n, p=[0.65, 0.35])
    relevance = rng.choice(4, n, p=[0.55, 0.25, 0.15, 0.05])
    noise = np.where(tenure == "new", 1.6, 0.8) * rng.normal(size=n)
    score = relevance + noise - 0.6 * (provider == "independent")
    return pd.DataFrame(
        {
            "query": [f"q{q:05d}" for q in query],
            "item": [f"i{i:05d}" for i in rng.integers(0, 50_000, n)],
            "score": np.round(score, 4),
            "relevance": relevance,
            "provider": provider,
            "region": region,
            "tenure": tenure,
        }
    ).drop_duplicates(["query", "item"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(Path(__file__).with_name("rankings.csv")))
    args = parser.parse_args()
    df = make(args.queries, args.seed)
    df.to_csv(args.out, index=False)
    print(f"wrote {len(df):,} rows ({args.queries:,} queries) to {args.out}")


if __name__ == "__main__":
    main()
