"""Benchmark of equilens' agreement and corpus text metrics against their reference packages.

    .venv/bin/python bench/bench_text.py            # full size (targets below)
    .venv/bin/python bench/bench_text.py --quick    # a tenth of the size, smoke check

Targets (issue 14):
* Krippendorff's alpha (ordinal) for 10,000 items x 5 raters with 1,000 bootstrap draws in
  under 10 s; the peer is the ``krippendorff`` package computing alpha once per draw
  (timed on a few draws and scaled to 1,000).
* Corpus BLEU and chrF of 100,000 segments per slice (4 slices + overall) with 1,000 paired
  bootstrap draws each in under 30 s, from per-segment statistics; the peer is sacrebleu's
  own scoring of summed statistics per draw (``_compute_score_from_stats``, as its
  ``paired_bs`` does), timed on a few draws and scaled. Ours is ``corpus_tables`` itself
  (intervals of every slice and the group-versus-rest intervals; randomisation tests off).
  The per-segment statistics are sacrebleu's for 2,000 synthetic segments, tiled to
  100,000 (extracting them is a one-off cost, printed separately).
* The same with ``clusters``: 100,000 segments in 20,000 clusters of 5 (each cluster's
  segments spread over the slices), under the same 30 s; the ratio printed is against the
  unclustered run of the same size.

This is a benchmark, not a test: it prints PASS/FAIL per target and always exits 0.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from equilens.agreement import krippendorff_alpha
from equilens.textquality import SegmentStatistics, corpus_tables, segment_statistics

WORDS = [
    "the",
    "a",
    "cat",
    "dog",
    "sat",
    "on",
    "mat",
    "quickly",
    "ran",
    "home",
    "big",
    "small",
    "red",
    "blue",
    "green",
    "old",
    "new",
]


def _ratings(n: int, rng: np.random.Generator) -> np.ndarray:
    latent = rng.normal(size=(n, 1))
    x = np.clip(np.round(3 + latent + 0.8 * rng.normal(size=(n, 5))), 1, 5)
    x[rng.random(x.shape) < 0.1] = np.nan
    return x


def bench_alpha(n: int, draws: int) -> None:
    import krippendorff

    rng = np.random.default_rng(0)
    x = _ratings(n, rng)
    t0 = time.perf_counter()
    r = krippendorff_alpha(x, "ordinal", draws=draws)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    peer_draws = 5
    for _ in range(peer_draws):
        sample = x[rng.integers(0, n, n)]
        krippendorff.alpha(reliability_data=sample.T, level_of_measurement="ordinal")
    peer = (time.perf_counter() - t0) / peer_draws * draws
    ok = "PASS" if ours < 10.0 * n / 10_000 else "FAIL"
    print(
        f"alpha {n:,} items x 5 raters, {draws} draws: {ours:.2f} s (alpha {r.value:.3f} "
        f"[{r.ci_low:.3f}, {r.ci_high:.3f}]); krippendorff package, scaled: {peer:.1f} s; "
        f"ratio {peer / ours:.0f}x  [{ok}: < 10 s at 10,000 items]"
    )


def bench_corpus(n: int, draws: int) -> None:
    from sacrebleu.metrics import BLEU, CHRF

    rng = np.random.default_rng(1)
    refs = [" ".join(rng.choice(WORDS, rng.integers(5, 30))) for _ in range(2000)]
    hyps = [" ".join(r.split()[: rng.integers(1, 30)] + list(rng.choice(WORDS, 3))) for r in refs]
    t0 = time.perf_counter()
    stats = {m: segment_statistics(m, hyps, refs).stats for m in ("bleu", "chrf")}
    extract = time.perf_counter() - t0
    reps = -(-n // 2000)
    tiled = {m: np.tile(s, (reps, 1))[:n] for m, s in stats.items()}
    slices = rng.integers(0, 4, n)
    segs = {m: SegmentStatistics(m, s, "") for m, s in tiled.items()}
    t0 = time.perf_counter()
    corpus_tables({"system": segs}, {"slice": slices.tolist()}, draws=draws, trials=0)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    clusters = np.arange(n) // 5
    corpus_tables(
        {"system": segs}, {"slice": slices.tolist()}, draws=draws, trials=0, clusters=clusters
    )
    clustered = time.perf_counter() - t0
    peer_draws = 3
    t0 = time.perf_counter()
    for m, cls in (("bleu", BLEU), ("chrf", CHRF)):
        scorer = cls()
        s = tiled[m]
        for _ in range(peer_draws):
            idx = rng.integers(0, n, n)
            scorer._compute_score_from_stats(list(s[idx].sum(axis=0)))
    peer = (time.perf_counter() - t0) / peer_draws * draws * 5
    ok = "PASS" if ours < 30.0 * n / 100_000 else "FAIL"
    print(
        f"corpus BLEU+chrF, {n:,} segments, 5 slices, {draws} draws: {ours:.2f} s; sacrebleu "
        f"per-draw scoring, scaled: {peer:.1f} s; ratio {peer / ours:.1f}x  [{ok}: < 30 s at "
        f"100,000]; statistics of 2,000 segments extracted by sacrebleu in {extract:.1f} s"
    )
    ok = "PASS" if clustered < 30.0 * n / 100_000 else "FAIL"
    print(
        f"corpus BLEU+chrF clustered, {n:,} segments in {n // 5:,} clusters, 5 slices, {draws} "
        f"draws: {clustered:.2f} s; unclustered {ours:.2f} s; ratio {clustered / ours:.1f}x  "
        f"[{ok}: < 30 s at 100,000]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the size")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    bench_alpha(10_000 // scale, 1000)
    bench_corpus(100_000 // scale, 1000)


if __name__ == "__main__":
    main()
