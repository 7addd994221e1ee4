"""Coverage of the default interval methods.

The simulation draws binomial counts directly (the sufficient statistics) and checks that
nominal 95% intervals cover the true value between 93% and 97% of the time, averaged over
the true rates, for each group size. With 10 000 replications per setting the Monte Carlo
standard error of one coverage estimate is about 0.22 points, and of the average over three
rates about 0.13 points, so the band is ~15 standard errors wide on each side of 95%. A Wald
interval fails it (mean coverage about 92-93% at n = 20 and 50).

Known behaviour (Brown, Cai & DasGupta 2001): Wilson coverage oscillates with p at small n.
Exact coverages of these settings (binomial probabilities summed, no simulation) range from
93.5% (Wilson, n = 50, p = 0.5) to 98.3% (Newcombe, n = 20, p1 = p2 = 0.1) per setting, and
from 94.9% to 96.4% (Wilson, n = 20) averaged over p. Newcombe's method 10 is somewhat
conservative for small groups with rates near 0 or 1 (Newcombe 1998).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from equilens.stats._intervals import (
    clopper_pearson_interval,
    newcombe_difference_interval,
    proportion_interval,
)

GROUP_SIZES = (20, 50, 200, 1000, 10000)
TRUE_RATES = (0.1, 0.3, 0.5)
REPLICATIONS = 10_000
LOWER, UPPER = 0.93, 0.97


def covers(lo: np.ndarray, hi: np.ndarray, truth: float) -> float:
    assert not np.isnan(lo).any()
    assert not np.isnan(hi).any()
    return float(np.mean((lo <= truth) & (truth <= hi)))


@pytest.mark.slow
@pytest.mark.parametrize("n", GROUP_SIZES)
def test_proportion_interval_coverage(n: int) -> None:
    rng = np.random.default_rng(20_240_611 + n)
    coverage = []
    for p in TRUE_RATES:
        x = rng.binomial(n, p, size=REPLICATIONS)
        lo, hi, method = proportion_interval(x, n)
        assert (method == "wilson").all()
        coverage.append(covers(lo, hi, p))
    mean = float(np.mean(coverage))
    assert LOWER <= mean <= UPPER, f"n={n}: coverage by p {coverage}, mean {mean:.4f}"


@pytest.mark.slow
@pytest.mark.parametrize("n", GROUP_SIZES)
@pytest.mark.parametrize("shift", [0.0, 0.2], ids=["equal-rates", "rates-differ-by-0.2"])
def test_newcombe_difference_coverage(n: int, shift: float) -> None:
    rng = np.random.default_rng(31_337 + n + int(100 * shift))
    coverage = []
    for p in TRUE_RATES:
        p2 = p + shift
        x1 = rng.binomial(n, p, size=REPLICATIONS)
        x2 = rng.binomial(n, p2, size=REPLICATIONS)
        lo, hi = newcombe_difference_interval(x1, n, x2, n)
        coverage.append(covers(lo, hi, p - p2))
    mean = float(np.mean(coverage))
    assert LOWER <= mean <= UPPER, f"n={n}: coverage by p {coverage}, mean {mean:.4f}"


@pytest.mark.parametrize("n", [1, 2, 5, 9])
def test_clopper_pearson_exact_coverage_small_n(n: int) -> None:
    # The small-n branch of proportion_interval. Its coverage can be computed exactly:
    # sum of binomial probabilities of the counts whose interval contains p. It is at least
    # 95% for every p (Clopper & Pearson 1934), which the Wilson interval is not.
    x = np.arange(n + 1)
    lo, hi = clopper_pearson_interval(x, n)
    _, _, method = proportion_interval(x, n)
    assert (method == "clopper-pearson").all()
    p_grid = np.linspace(0.001, 0.999, 999)
    inside = (lo[None, :] <= p_grid[:, None]) & (p_grid[:, None] <= hi[None, :])
    coverage = (stats.binom.pmf(x[None, :], n, p_grid[:, None]) * inside).sum(axis=1)
    assert coverage.min() >= 0.95 - 1e-12
