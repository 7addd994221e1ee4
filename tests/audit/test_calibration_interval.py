"""The ECE interval: valid at perfect calibration, covering the ECE of miscalibrated scores.

The old percentile bootstrap around the plug-in ECE (biased upward, about 0.1 at n = 100) never
covered 0 for a perfectly calibrated score, so the shipped calibration rule fired on every run.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from equilens import audit
from equilens.metrics._scores import (
    calibration_bin_index,
    expected_calibration_error,
    expected_calibration_error_interval,
)
from equilens.policy import decide, load_policy

SHIPPED_POLICY = (
    pathlib.Path(__file__).resolve().parents[2] / "examples/policies/prelaunch-standard.yaml"
)
M = 10
ALPHA = 0.05


def _tables(s: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Calibration tables of R samples at once (rows of ``s`` and ``y``), by bincount."""
    reps, n = s.shape
    key = np.arange(reps)[:, None] * M + calibration_bin_index(s.ravel(), M).reshape(reps, n)
    out = []
    for label in (0, 1):
        sel = y == label
        cw = np.bincount(key[sel], minlength=reps * M).reshape(reps, M).astype(float)
        cs = np.bincount(key[sel], weights=s[sel], minlength=reps * M).reshape(reps, M)
        out.append(np.stack([cw, cs], axis=-1))
    return out[0], out[1], out[0][..., 0] + out[1][..., 0]


def _population_ece(curve) -> float:  # type: ignore[no-untyped-def]
    grid = (np.arange(200_000) + 0.5) / 200_000  # scores uniform on [0, 1]
    b = calibration_bin_index(grid, M)
    return float(
        sum(np.mean(b == k) * abs(np.mean(curve(grid[b == k]) - grid[b == k])) for k in range(M))
    )


def test_interval_contains_the_plug_in_estimate_and_matches_its_definition() -> None:
    rng = np.random.default_rng(0)
    s = rng.random((50, 300))
    y = (rng.random((50, 300)) < s**1.3).astype(int)
    cn, cp, rows = _tables(s, y)
    ece = expected_calibration_error(cn, cp)
    lo, hi = expected_calibration_error_interval(cn, cp, rows, ALPHA)
    assert ((lo <= ece) & (ece <= hi)).all()
    # The half-width is the (1 - alpha/2) quantile of sum_m p_m sd_m |Z_m|: between its mean
    # and the sum of the per-bin (1 - alpha/2) quantiles.
    w = cn[..., 0] + cp[..., 0]
    z2 = 1.959964**2
    share = cp[..., 0] / np.where(w > 0, w, 1)
    tilde = (rows * share + z2 / 2) / (rows + z2)
    a = (w / w.sum(-1, keepdims=True)) * np.sqrt(tilde * (1 - tilde) / np.maximum(rows, 1))
    half = np.where(lo > 0, ece - lo, hi - ece)
    assert (half >= np.sqrt(2 / np.pi) * a.sum(-1)).all()
    assert (half <= 2.2414 * a.sum(-1) + 1e-12).all()


def test_weights_widen_the_interval_by_their_design_effect() -> None:
    rng = np.random.default_rng(1)
    s = rng.random((1, 500))
    y = (rng.random((1, 500)) < s).astype(int)
    cn, cp, rows = _tables(s, y)
    lo1, hi1 = expected_calibration_error_interval(cn, cp, rows)
    lo4, hi4 = expected_calibration_error_interval(cn, cp, rows, design_effect=np.array([4.0]))
    assert hi4[0] - lo4[0] > 1.5 * (hi1[0] - lo1[0]) - 1e-12 or lo4[0] == 0.0


@pytest.mark.slow
@pytest.mark.parametrize("n", [100, 300, 1000, 5000])
def test_size_at_perfect_calibration(n: int) -> None:
    """A calibrated score's interval excludes 0 in at most about alpha/2 of samples."""
    reps = 2000
    rng = np.random.default_rng(n)
    s = rng.random((reps, n))
    y = (rng.random((reps, n)) < s).astype(int)
    cn, cp, rows = _tables(s, y)
    lo, _ = expected_calibration_error_interval(cn, cp, rows, ALPHA)
    size = float((lo > 0).mean())
    se = np.sqrt(ALPHA / 2 * (1 - ALPHA / 2) / reps)
    print(
        f"n={n}: ECE lower bound > 0 in {size:.4f} (MC se {se:.4f}); > 0.05 in {(lo > 0.05).mean()}"
    )
    assert size <= ALPHA / 2 + 2 * se
    assert (lo > 0.05).mean() == 0.0


@pytest.mark.slow
@pytest.mark.parametrize(
    "curve",
    [lambda s: s**2, lambda s: s**1.2, lambda s: 0.5 + 0.9 * (s - 0.5), lambda s: s],
    ids=["square", "power-1.2", "shrunk", "calibrated"],
)
@pytest.mark.parametrize("n", [100, 1000, 5000])
def test_coverage_of_the_population_ece(curve, n: int) -> None:  # type: ignore[no-untyped-def]
    reps = 1000
    truth = _population_ece(curve)
    rng = np.random.default_rng(7 * n)
    s = rng.random((reps, n))
    y = (rng.random((reps, n)) < curve(s)).astype(int)
    cn, cp, rows = _tables(s, y)
    lo, hi = expected_calibration_error_interval(cn, cp, rows, ALPHA)
    cov = float(((lo <= truth) & (truth <= hi)).mean())
    se = np.sqrt(ALPHA * (1 - ALPHA) / reps)
    print(f"n={n} ECE={truth:.4f}: coverage {cov:.4f} (MC se {se:.4f})")
    assert cov >= 1 - ALPHA - 2 * se


@pytest.mark.slow
def test_shipped_calibration_rule_does_not_fire_on_a_calibrated_model_at_n_100() -> None:
    policy = load_policy(SHIPPED_POLICY)
    rng = np.random.default_rng(5)
    reps, fired = 100, 0
    for _ in range(reps):
        s = rng.random(100)
        y = (rng.random(100) < s).astype(int)
        g = rng.choice(["a", "b"], size=100)
        log = audit(
            {"s": s, "y": y, "pred": (s > 0.5).astype(int), "g": g},
            y_true="y",
            y_pred="pred",
            y_score="s",
            sensitive_features="g",
            bootstrap=0,
        )
        row = log.result("expected_calibration_error", {})
        assert row.ci_method == "bias-bounded (half-normal)"
        fired += decide(log, policy).rule_status("calibration-overall") == "warn"
    print(f"calibration-overall fired in {fired}/{reps} calibrated audits at n=100")
    assert fired / reps <= ALPHA


@pytest.mark.slow
def test_calibration_gap_between_groups_of_unequal_size_covers_parity() -> None:
    """Both groups calibrated; the small group's plug-in ECE is far larger (bias), the gap not."""
    rng = np.random.default_rng(9)
    reps, covered, plug_in = 200, 0, []
    for _ in range(reps):
        g = np.repeat(["small", "large"], [60, 1500])
        s = rng.random(g.size)
        y = (rng.random(g.size) < s).astype(int)
        log = audit(
            {"s": s, "y": y, "pred": (s > 0.5).astype(int), "g": g},
            y_true="y",
            y_pred="pred",
            y_score="s",
            sensitive_features="g",
            bootstrap=0,
        )
        row = next(
            d
            for d in log.disparities
            if d.criterion == "calibration_within_groups_difference"
            and d.method == "between_groups"
        )
        assert row.ci_low is not None and row.ci_high is not None
        assert row.ci_low <= row.value <= row.ci_high
        covered += row.ci_low == 0.0
        plug_in.append(row.value)
    cov = covered / reps
    print(
        f"ECE gap at parity: mean plug-in {np.mean(plug_in):.3f}, interval reaches 0 in {cov:.3f}"
    )
    assert np.mean(plug_in) > 0.05  # the bias the interval must absorb
    assert cov >= 1 - ALPHA - 2 * np.sqrt(ALPHA * (1 - ALPHA) / reps)
