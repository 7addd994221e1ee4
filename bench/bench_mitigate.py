"""Benchmark: a 41-point threshold trade-off curve with 1,000 bootstrap draws on 1M rows.

    .venv/bin/python bench/bench_mitigate.py            # 1,000,000 rows, 1,000 draws
    .venv/bin/python bench/bench_mitigate.py --quick    # 100,000 rows

Target (issue 15): under 10 s from the scores, computed from sufficient statistics (per-group,
per-label score histograms resampled by multinomial draws), not by re-running the audit per
threshold. Peer, measured in the same run: the naive loop that resamples rows in each group
and re-evaluates the 41 thresholds per draw (timed on a few draws and scaled to 1,000).

This is a benchmark, not a test: it prints PASS/FAIL and always exits 0.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from equilens.mitigate import cells_from_scores, tradeoff_curve

TARGET_SECONDS = 10.0


def data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    groups = rng.choice(np.array(["a", "b", "c"]), size=n, p=[0.6, 0.3, 0.1])
    y = rng.random(n) < np.where(groups == "a", 0.3, 0.2)
    score = np.clip(rng.normal(0.4 + 0.25 * y - 0.05 * (groups == "c"), 0.2), 0, 1)
    return y.astype(np.int64), groups, score


def naive(y, groups, score, grid, draws, seed=0):  # type: ignore[no-untyped-def]
    """Row bootstrap, every threshold re-evaluated per draw (the peer)."""
    rng = np.random.default_rng(seed)
    idx = [np.flatnonzero(groups == g) for g in np.unique(groups)]
    out = np.empty((draws, len(grid)))
    for b in range(draws):
        rows = np.concatenate([rng.choice(i, size=len(i)) for i in idx])
        yb, gb, sb = y[rows], groups[rows], score[rows]
        for k, t in enumerate(grid):
            pred = sb >= t
            rates = [pred[gb == g].mean() for g in np.unique(gb)]
            out[b, k] = max(rates) - min(rates) + 0 * (pred == yb).mean()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()
    n = 100_000 if args.quick else 1_000_000
    y, groups, score = data(n)
    grid = np.linspace(0, 1, 41)
    t0 = time.perf_counter()
    table = cells_from_scores(y, groups, score, grid)
    curve = tradeoff_curve(
        table,
        family="threshold",
        settings=[f"{t:.3g}" for t in grid],
        original=20,
        draws=args.draws,
        seed=0,
    )
    ours = time.perf_counter() - t0
    peer_draws = 3
    t0 = time.perf_counter()
    naive(y, groups, score, grid, peer_draws)
    peer = (time.perf_counter() - t0) * args.draws / peer_draws
    dp = curve.estimates["demographic_parity_difference"][20]
    print(f"rows {n:,}, thresholds {len(grid)}, draws {args.draws}")
    print(f"equilens (histograms + multinomial draws): {ours:.2f} s")
    print(
        f"naive row bootstrap loop (scaled from {peer_draws} draws): {peer:.1f} s "
        f"(ratio {peer / ours:.0f}x)"
    )
    print(f"DP difference at t=0.5: {dp.value:.4f} [{dp.ci_low:.4f}, {dp.ci_high:.4f}]")
    verdict = "PASS" if ours < TARGET_SECONDS else "FAIL"
    print(f"{verdict}: target < {TARGET_SECONDS:.0f} s for the curve")


if __name__ == "__main__":
    main()
