"""Coverage of the corpus-score interval and size of the group test (seeded).

The population is a pool of 3,000 synthetic segments' sacrebleu statistics; its corpus score
is the truth. Samples of segments are drawn from the pool; groups are drawn from the same
pool (identical groups).
"""

from __future__ import annotations

import numpy as np
import pytest

from equilens.textquality import SCORERS, corpus_tables, segment_statistics
from equilens.textquality._corpus import _bca, permutation_p

WORDS = "the a cat dog sat on mat ran home big small red blue old new".split()  # noqa: SIM905


@pytest.fixture(scope="module")
def pool() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    refs = [" ".join(rng.choice(WORDS, rng.integers(4, 20))) for _ in range(3000)]
    hyps = [
        " ".join(r.split()[: rng.integers(1, 20)] + list(rng.choice(WORDS, rng.integers(0, 5))))
        for r in refs
    ]
    return {m: segment_statistics(m, hyps, refs).stats for m in ("bleu", "chrf", "ter")}


@pytest.mark.slow
@pytest.mark.parametrize("metric", ["bleu", "chrf", "ter"])
def test_corpus_interval_covers_the_pool_score(pool: dict[str, np.ndarray], metric: str) -> None:
    from equilens.agreement import resampled_unit_totals

    stats = pool[metric]
    truth = SCORERS[metric](stats.sum(axis=0)[None])[0]
    rng = np.random.default_rng(1)
    reps, hits = 1000, 0
    for _ in range(reps):
        sample = stats[rng.integers(0, len(stats), 100)]
        _, lo, hi = _bca(sample, SCORERS[metric], resampled_unit_totals(sample, 400, rng))
        hits += lo <= truth <= hi
    coverage, mc = hits / reps, np.sqrt(0.95 * 0.05 / reps)
    print(f"{metric} coverage {coverage:.3f} ({mc:.3f})")
    assert abs(coverage - 0.95) <= 3.5 * mc


@pytest.mark.slow
def test_group_test_keeps_its_size_with_identical_groups(pool: dict[str, np.ndarray]) -> None:
    rng = np.random.default_rng(2)
    reps, rejections = 1000, 0
    inside = np.arange(120) < 50
    for _ in range(reps):
        sample = pool["bleu"][rng.integers(0, len(pool["bleu"]), 120)]
        rejections += permutation_p(sample, inside, "bleu", 200, rng) < 0.05
    size, mc = rejections / reps, np.sqrt(0.05 * 0.95 / reps)
    print(f"group test size {size:.3f} ({mc:.3f})")
    assert size <= 0.05 + 3 * mc


def test_corpus_tables_stratified_overall_matches_the_corpus(pool: dict[str, np.ndarray]) -> None:
    from equilens.textquality import SegmentStatistics

    segs = {m: SegmentStatistics(m, s[:200], "") for m, s in pool.items()}
    groups = {"g": ["a" if i % 3 else "b" for i in range(200)]}
    out = corpus_tables({"sys": segs}, groups, draws=200, trials=0)
    overall = [r for r in out["corpus"] if r["feature"] is None]
    for r in overall:
        assert r["value"] == pytest.approx(segs[r["metric"]].corpus())
        assert r["ci_low"] < r["value"] < r["ci_high"]
    assert len(out["group_comparisons"]) == 3  # one test per metric for two groups
