"""Trade-off curves from cell counts: exact point estimates, Pareto front, and intervals that
cover the truth and reach 0 at parity (simulated, with Monte Carlo error)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from equilens.exceptions import InvalidInputError
from equilens.mitigate import (
    cells_from_predictions,
    cells_from_scores,
    pareto_front,
    tradeoff_curve,
)


def _sample(n: int, rng: np.random.Generator, shift: float = 0.1):  # type: ignore[no-untyped-def]
    g = rng.choice(np.array(["a", "b", "c"]), size=n, p=[0.5, 0.3, 0.2])
    y = (rng.random(n) < 0.4).astype(int)
    s = np.clip(rng.normal(0.35 + 0.3 * y + shift * (g == "b"), 0.2), 0, 1)
    return y, g, s


def test_point_estimates_equal_a_direct_computation() -> None:
    rng = np.random.default_rng(0)
    y, g, s = _sample(3000, rng)
    grid = np.linspace(0, 1, 11)
    curve = tradeoff_curve(
        cells_from_scores(y, g, s, grid),
        family="threshold",
        settings=[str(t) for t in grid],
        draws=50,
    )
    for k, t in enumerate(grid):
        pred = s >= t
        sel = [pred[g == v].mean() for v in "abc"]
        tpr = [pred[(g == v) & (y == 1)].mean() for v in "abc"]
        fpr = [pred[(g == v) & (y == 0)].mean() for v in "abc"]
        est = curve.estimates
        assert est["accuracy_score"][k].value == pytest.approx((pred == y).mean())
        assert est["selection_rate"][k].value == pytest.approx(pred.mean())
        assert est["demographic_parity_difference"][k].value == pytest.approx(max(sel) - min(sel))
        assert est["equal_opportunity_difference"][k].value == pytest.approx(max(tpr) - min(tpr))
        assert est["false_positive_rate_difference"][k].value == pytest.approx(max(fpr) - min(fpr))
        assert est["equalized_odds_difference"][k].value == pytest.approx(
            max(max(tpr) - min(tpr), max(fpr) - min(fpr))
        )


def test_cells_from_predictions_agree_with_cells_from_scores() -> None:
    rng = np.random.default_rng(1)
    y, g, s = _sample(800, rng)
    grid = [0.3, 0.5, 0.7]
    a = tradeoff_curve(cells_from_scores(y, g, s, grid), family="t", settings=list("xyz"), draws=10)
    dec = np.column_stack([s >= t for t in grid])
    b = tradeoff_curve(
        cells_from_predictions(y, g, dec), family="t", settings=list("xyz"), draws=10
    )
    for name in ("accuracy_score", "demographic_parity_difference", "equalized_odds_difference"):
        assert [e.value for e in a.estimates[name]] == pytest.approx(
            [e.value for e in b.estimates[name]]
        )


def test_auc_from_cells_equals_sklearn() -> None:
    rng = np.random.default_rng(2)
    y, g, s = _sample(500, rng)
    s = np.round(s, 2)  # ties, counted one half as scikit-learn does
    dec = (s >= 0.5)[:, None]
    curve = tradeoff_curve(
        cells_from_predictions(y, g, dec, scores=s[:, None]),
        family="options",
        settings=["m"],
        draws=10,
    )
    assert curve.estimates["roc_auc_score"][0].value == pytest.approx(roc_auc_score(y, s))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=25))
def test_pareto_front_is_exactly_the_undominated_points(points: list[tuple[float, float]]) -> None:
    perf = [p for p, _ in points]
    disp = [d for _, d in points]
    front = pareto_front(perf, disp)
    for i, on in enumerate(front):
        dominated = any(
            perf[j] >= perf[i] and disp[j] <= disp[i] and (perf[j] > perf[i] or disp[j] < disp[i])
            for j in range(len(points))
        )
        assert on == (not dominated)
    assert any(front)


def test_one_group_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="two groups"):
        tradeoff_curve(
            cells_from_predictions([0, 1], ["a", "a"], [[1], [0]]), family="t", settings=["x"]
        )


def _simulate(reps: int, shift: float, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Per rep: does the DP-difference interval at t = 0.5 cover the truth; is its lower bound
    above 0 (a gap 'found'); and the true gap (from a 2M-row population)."""
    rng = np.random.default_rng(seed)
    _yp, gp, sp = _sample(400_000, rng, shift)
    sel = [(sp[gp == v] >= 0.5).mean() for v in "abc"]
    truth = max(sel) - min(sel)
    cover, found = np.empty(reps, bool), np.empty(reps, bool)
    for r in range(reps):
        y, g, s = _sample(600, rng, shift)
        est = tradeoff_curve(
            cells_from_predictions(y, g, (s >= 0.5)[:, None]),
            family="t",
            settings=["0.5"],
            draws=400,
            seed=r,
        ).estimates["demographic_parity_difference"][0]
        cover[r] = est.ci_low <= truth <= est.ci_high
        found[r] = est.ci_low > 0
    return cover, found, truth


@pytest.mark.slow
def test_disparity_interval_at_parity_and_away_from_it() -> None:
    reps = 1000
    # Identical groups: the interval must reach 0 in at least 95% of samples.
    _cover0, found0, truth0 = _simulate(reps, 0.0, seed=10)
    rate = found0.mean()
    mc = np.sqrt(0.05 * 0.95 / reps)  # 0.0126
    assert truth0 < 0.005
    print(f"parity: gap found in {rate:.3f} of {reps} samples (MC error {mc:.3f})")
    assert rate <= 0.05 + 2 * mc, f"false findings {rate:.3f} at parity"
    # A real gap (about 0.12): coverage of the true gap at least 95% minus Monte Carlo error.
    cover1, _, truth1 = _simulate(reps, 0.15, seed=11)
    assert truth1 > 0.08
    print(f"gap {truth1:.3f}: coverage {cover1.mean():.3f} (MC error {mc:.3f})")
    assert cover1.mean() >= 0.95 - 2 * mc, f"coverage {cover1.mean():.3f}"


def test_draws_without_positives_in_a_group_are_counted_undefined() -> None:
    y = np.array([1] * 40 + [0] * 60 + [1] + [0] * 49)
    g = np.array(["a"] * 100 + ["b"] * 50)
    dec = (np.arange(150) % 2 == 0)[:, None]
    curve = tradeoff_curve(
        cells_from_predictions(y, g, dec), family="t", settings=["x"], draws=400, seed=1
    )
    eo = curve.estimates["equal_opportunity_difference"][0]
    # Group b's one positive is missing from about (1 - 1/50)^50 = 36% of the resamples.
    assert eo.undefined_draws is not None and 0.28 < eo.undefined_draws < 0.45
    assert curve.estimates["demographic_parity_difference"][0].undefined_draws == 0.0
