"""Synthetic clustered corpus statistics with a known population score (vectorised over reps).

A cluster (a document, a prompt) has a latent quality ``u_k ~ N(0, sd_cluster)`` shared by
its segments; a segment's quality is ``z = mu + u_k (+ w_ks) + e``, ``e ~ N(0, sd_segment)``
and ``w_ks ~ N(0, sd_system)`` a system-by-cluster effect (a system better on some
documents), and its match probability is ``expit(z)``. From it come statistics laid out as
sacrebleu's: BLEU (lengths, matched and total n-grams, n = 1..4), chrF (hypothesis,
reference and matched n-grams for 6 character and 2 word orders) and TER (edits, reference
words). Segments are iid given their cluster, so the population corpus score is the score of
the expected statistics of one segment, computed from a large sample.
"""

from __future__ import annotations

import numpy as np

from equilens.textquality import SCORERS

MU = 0.3


def layout(
    rng: np.random.Generator, n_clusters: int, sizes: tuple[int, int] = (3, 8)
) -> np.ndarray:
    """Cluster code of each segment: ``n_clusters`` clusters of ``sizes[0]..sizes[1]``."""
    counts = rng.integers(sizes[0], sizes[1] + 1, n_clusters)
    return np.repeat(np.arange(n_clusters), counts)


def quality(
    rng: np.random.Generator,
    reps: int,
    codes: np.ndarray,
    *,
    sd_cluster: float = 1.0,
    sd_segment: float = 0.5,
    sd_system: float = 0.0,
    systems: int = 1,
) -> np.ndarray:
    """Latent quality ``(systems, reps, N)`` of each system's output of each segment."""
    k = int(codes.max()) + 1
    shared = rng.normal(0, sd_cluster, (1, reps, k))[..., codes]
    own = rng.normal(0, sd_system, (systems, reps, k))[..., codes] if sd_system else 0.0
    noise = rng.normal(0, sd_segment, (systems, reps, codes.size))
    return np.asarray(MU + shared + own + noise, dtype=np.float64)


def statistics(rng: np.random.Generator, metric: str, z: np.ndarray) -> np.ndarray:
    """sacrebleu-shaped statistics ``(..., q)`` of segments with latent quality ``z``."""
    p = 1.0 / (1.0 + np.exp(-z))
    hyp_words = 8 + rng.poisson(10, z.shape)
    ref_words = 8 + rng.poisson(10, z.shape)
    if metric == "ter":
        edits = rng.binomial(ref_words, 0.8 * (1 - p))
        return np.stack([edits, ref_words], axis=-1).astype(np.float64)
    if metric == "bleu":
        total = [np.maximum(hyp_words - n + 1, 0) for n in range(1, 5)]
        correct = [rng.binomial(t, p**n) for n, t in zip(range(1, 5), total, strict=True)]
        return np.stack([hyp_words, ref_words, *correct, *total], axis=-1).astype(np.float64)
    cols = []
    for n, (h, r, power) in enumerate(
        [(5 * hyp_words, 5 * ref_words, c / 3) for c in range(1, 7)]
        + [(hyp_words, ref_words, float(w)) for w in (1, 2)]
    ):
        order = n + 1 if n < 6 else n - 5
        hyp, ref = np.maximum(h - order + 1, 0), np.maximum(r - order + 1, 0)
        cols += [hyp, ref, rng.binomial(np.minimum(hyp, ref), p**power)]
    return np.stack(cols, axis=-1).astype(np.float64)


def population_score(
    metric: str,
    *,
    n: int = 400_000,
    sd_cluster: float = 1.0,
    sd_segment: float = 0.5,
    seed: int = 99,
) -> float:
    """The corpus score of the population (expected statistics of one segment)."""
    rng = np.random.default_rng(seed)
    z = MU + rng.normal(0, sd_cluster, n) + rng.normal(0, sd_segment, n)
    totals = statistics(rng, metric, z).sum(axis=0)
    return float(SCORERS[metric](totals[None])[0])
