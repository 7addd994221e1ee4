"""The exact worst-case bound for a [0, 1] mean whose units are all 0 (or all 1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from scipy import optimize
from scipy import stats as st

import equilens
from equilens.stats import all_zero_upper_bound


@pytest.mark.parametrize("k", [1, 2, 9, 54, 1000])
@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_equal_units_give_clopper_pearson(k: int, alpha: float) -> None:
    want = st.beta.ppf(1 - alpha / 2, 1, k)  # Clopper-Pearson upper bound for 0 of k
    assert all_zero_upper_bound(np.full(k, 3.0), alpha) == pytest.approx(want, rel=1e-9)


def _max_log_prob(w: np.ndarray, p: float) -> float:
    """Independent check: maximise sum log(1 - p_u) s.t. sum w p_u = p W with SLSQP."""
    total = w.sum()
    res = optimize.minimize(
        lambda x: -np.sum(np.log1p(-x)),
        np.full(w.size, p),
        constraints=[{"type": "eq", "fun": lambda x: w @ x - p * total}],
        bounds=[(0.0, 1.0 - 1e-12)] * w.size,
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 500},
    )
    return float(-res.fun)


@pytest.mark.parametrize(
    "weights", [[1, 1, 1, 1], [1, 2, 3, 10], [5, 1, 1, 1, 1, 1, 1], [2, 9], [1, 1, 40]]
)
def test_the_bound_is_where_the_worst_configuration_reaches_alpha_over_two(
    weights: list[float],
) -> None:
    w = np.asarray(weights, dtype=float)
    u = all_zero_upper_bound(w, 0.05)
    assert _max_log_prob(w, u) == pytest.approx(np.log(0.025), abs=1e-5)
    # Just above the bound every configuration makes all-zero less likely than alpha / 2.
    assert _max_log_prob(w, min(1.0, u * 1.01)) < np.log(0.025)


@settings(max_examples=60, deadline=None)
@given(hs.lists(hs.integers(1, 50), min_size=1, max_size=40), hs.sampled_from([0.05, 0.1]))
def test_properties(weights: list[int], alpha: float) -> None:
    w = np.asarray(weights, dtype=float)
    u = all_zero_upper_bound(w, alpha)
    k = w.size
    # Equal rates are one configuration: never below Clopper-Pearson with K units, never
    # above 1; the scale of the weights does not matter; more units never widen it.
    assert st.beta.ppf(1 - alpha / 2, 1, k) - 1e-9 <= u <= 1.0
    assert all_zero_upper_bound(w * 7.5, alpha) == pytest.approx(u, rel=1e-9)
    assert all_zero_upper_bound(np.append(w, w.min()), alpha) <= u + 1e-12


@pytest.mark.slow
def test_audit_coverage_at_small_rates_with_dependent_clusters() -> None:
    """Clusters of 1-9 rows whose rows share the cluster's outcome (the worst dependence),
    cluster rates spread (beta) or concentrated in the largest clusters; true rate 0.01-0.03.
    Every slice's interval (t where events are seen, the exact bound where none) covers."""
    rng = np.random.default_rng(5)
    reps, k = 300, 40
    covered = {"spread": 0, "concentrated": 0}
    zero_slices = 0
    for design in covered:
        for _ in range(reps):
            sizes = rng.integers(1, 10, k)
            # spread: mean ~0.015; concentrated: all of it in the clusters of 8-9 rows
            spread = design == "spread"
            rate = rng.beta(0.3, 20.0, k) if spread else np.where(sizes >= 8, 0.06, 0.0)
            hit = rng.random(k) < rate  # a cluster's rows are all 1 or all 0
            truth = float(np.sum(sizes * rate) / sizes.sum())
            rows = pd.DataFrame(
                {"v": np.repeat(hit.astype(float), sizes), "c": np.repeat(np.arange(k), sizes)}
            )
            log = equilens.audit(
                rows.assign(g="x"), task="measure", value="v", cluster="c",
                sensitive_features=["g"], bootstrap=0,
            )  # fmt: skip
            r = log.result("mean")
            zero_slices += int(not hit.any())
            if r.ci_low is not None and r.ci_low <= truth <= r.ci_high:
                covered[design] += 1
    assert zero_slices > 100  # the bound was exercised
    # Measured 0.993 (spread) and 1.000 (concentrated); before the bound the all-zero
    # slices had no interval and coverage was about 0.44.
    for design, n in covered.items():
        assert n / reps >= 0.95, (design, n / reps)


def test_a_gate_rule_on_the_upper_bound_passes_zero_of_many_and_blocks_zero_of_few() -> None:
    import yaml

    from equilens.policy import decide, parse_policy

    policy = parse_policy(
        yaml.safe_load(
            "kind: policy\nformat_version: 1\nname: harm\nrules:\n"
            "  - {id: harm-bound, metric: mean, on: ci_high, op: '>', threshold: 0.1, "
            "severity: block}\n"
        )
    )

    def log(requests: int) -> object:
        rows = pd.DataFrame({"v": 0.0, "req": np.repeat(np.arange(requests), 3), "g": "x"})
        return equilens.audit(
            rows, task="measure", value="v", cluster="req", sensitive_features=["g"]
        )

    assert decide(log(54), policy).verdict == "pass"  # bound 0.066
    assert decide(log(12), policy).verdict == "block"  # bound 0.264: 12 requests prove little
