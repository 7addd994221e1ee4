"""Coverage of nominal 95% intervals through the whole audit() pipeline (simulation)."""

from __future__ import annotations

import numpy as np
import pytest

from equilens import audit

P_A, P_B = 0.3, 0.45  # true selection rates of groups a and b


def _envelope(reps: int) -> tuple[float, float]:
    """95% +- 3 binomial standard errors of a coverage estimated from ``reps`` replications.

    The exact coverage of Wilson / Newcombe intervals oscillates around 95% (93.7% at n = 100,
    p = 0.3); the interval functions themselves are held to [93%, 97%] with 10,000
    replications in tests/stats/test_coverage.py. This test checks the wiring of the whole
    pipeline, so it allows for simulation noise.
    """
    se = (0.95 * 0.05 / reps) ** 0.5
    return 0.95 - 3 * se, 0.95 + 3 * se


def _simulate(n: int, reps: int, seed: int, **kw: object) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    hit_rate = hit_diff = 0
    groups = np.array(["a"] * n + ["b"] * n)
    y = np.zeros(2 * n, dtype=int)
    for _ in range(reps):
        pred = np.concatenate([rng.random(n) < P_A, rng.random(n) < P_B]).astype(int)
        log = audit(
            y_true=y,
            y_pred=pred,
            sensitive_features={"g": groups},
            reference={"g": "a"},
            metrics=["selection_rate"],
            min_group_size=1,
            **kw,  # type: ignore[arg-type]
        )
        r = log.result("selection_rate", {"g": "b"})
        assert r.ci_low is not None and r.ci_high is not None
        hit_rate += r.ci_low <= P_B <= r.ci_high
        c = next(
            c for c in log.comparisons if c.metric == "selection_rate" and c.slice == {"g": "b"}
        )
        assert c.difference_ci_low is not None and c.difference_ci_high is not None
        hit_diff += c.difference_ci_low <= P_B - P_A <= c.difference_ci_high
    return hit_rate / reps, hit_diff / reps


@pytest.mark.slow
@pytest.mark.parametrize("n", [20, 100, 1000, 10_000])
def test_closed_form_intervals_cover(n: int) -> None:
    reps = 500
    rate, diff = _simulate(n, reps=reps, seed=n, bootstrap=0)
    lo, hi = _envelope(reps)
    assert lo <= rate <= hi, rate
    assert lo <= diff <= hi, diff


@pytest.mark.slow
@pytest.mark.parametrize("n", [100, 2000])
def test_bootstrap_intervals_cover(n: int) -> None:
    reps = 300
    rate, diff = _simulate(n, reps=reps, seed=n + 1, bootstrap=400, interval_method="bootstrap")
    lo, hi = _envelope(reps)
    assert lo <= rate <= hi, rate
    assert lo <= diff <= hi, diff
