"""Coverage of the generalized-mean bias AUC intervals (issue 20 item 8).

Binormal scores: each of G subgroups shifts its non-toxic texts' scores upward by its own
amount (identity-driven false positives), so the bias AUCs differ by subgroup. The population
power means come from one very large sample.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from equilens.probes._bias_auc import unintended_bias_aucs


def _sample(rng: np.random.Generator, groups: int, n_g: int) -> tuple[np.ndarray, ...]:
    g = np.repeat(np.arange(groups), n_g)
    y = (rng.random(g.size) < 0.3).astype(int)
    shift = np.linspace(0.0, 0.6, groups)
    s = rng.normal(0, 1, g.size) + 1.5 * y + shift[g] * (1 - y)
    return y, s, g


def _means(y: np.ndarray, s: np.ndarray, g: np.ndarray, groups: int, draws: int, seed: int) -> Any:
    _, means = unintended_bias_aucs(
        y, s, {str(i): g == i for i in range(groups)}, draws=draws, seed=seed
    )
    return means


def test_interval_is_the_percentile_interval_shifted_by_the_bootstrap_bias() -> None:
    rng = np.random.default_rng(0)
    y, s, g = _sample(rng, 6, 40)
    for m in _means(y, s, g, 6, 300, 1):
        assert m.value is not None and m.ci_low is not None and m.ci_high is not None
        assert m.bootstrap_bias is not None and m.bootstrap_bias < 0  # biased downward
        assert m.ci_low <= m.value <= m.ci_high


@pytest.mark.slow
@pytest.mark.parametrize(("groups", "n_g", "reps"), [(20, 30, 160), (8, 60, 160)])
def test_simulation_generalized_mean_coverage(groups: int, n_g: int, reps: int) -> None:
    """Percentile intervals covered 0.51 / 0.82 / 0.68 at 20 x 30 (the issue: 46 / 83 / 76%)."""
    rng = np.random.default_rng(groups)
    truth = [m.value for m in _means(*_sample(rng, groups, 20000), groups, 2, 0)]
    cover = np.zeros(3)
    for r in range(reps):
        for i, m in enumerate(_means(*_sample(rng, groups, n_g), groups, 400, r)):
            cover[i] += m.ci_low <= truth[i] <= m.ci_high
    cover /= reps
    mc = np.sqrt(0.95 * 0.05 / reps)
    print(f"{groups} x {n_g}: coverage subgroup/BPSN/BNSP {np.round(cover, 3)} (+/- {mc:.3f})")
    assert np.all(cover >= 0.95 - 3 * mc), cover
