"""ROC-AUC comparisons: the score-type z-test, its minimum detectable difference, degeneracy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from equilens import audit
from equilens.metrics._scores import auc_difference_test


def _frame(n: int, shift_b: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], size=n)
    y = rng.integers(0, 2, size=n)
    signal = np.where(group == "a", 0.5, 0.5 + shift_b)
    score = 1 / (1 + np.exp(-(signal * (2 * y - 1) + rng.normal(size=n))))
    return pd.DataFrame({"y": y, "pred": (score > 0.5).astype(int), "score": score, "g": group})


def _auc_row(log: object) -> object:
    rows = [c for c in log.comparisons if c.metric == "roc_auc_score"]  # type: ignore[attr-defined]
    assert len(rows) == 1
    return rows[0]


def test_auc_comparison_has_minimum_detectable_difference_at_80_percent_power() -> None:
    log = audit(
        _frame(4000, 0.0),
        y_true="y",
        y_pred="pred",
        y_score="score",
        sensitive_features=["g"],
        reference={"g": "a"},
        bootstrap=0,
    )
    row = _auc_row(log)
    assert row.test == "auc-score-z"
    frame = _frame(4000, 0.0)
    hist = {
        (g, y): np.bincount(
            np.searchsorted(np.unique(frame.score), frame.score[(frame.g == g) & (frame.y == y)]),
            minlength=np.unique(frame.score).size,
        ).astype(float)
        for g in "ab"
        for y in (0, 1)
    }
    _, p, se = auc_difference_test(hist["b", 0], hist["b", 1], hist["a", 0], hist["a", 1])
    assert float(p) == pytest.approx(row.p_value, rel=1e-9)
    z = stats.norm.ppf(0.975)
    mdd = row.minimum_detectable_difference
    assert mdd is not None and mdd > 0
    power = stats.norm.cdf(mdd / se - z) + stats.norm.cdf(-mdd / se - z)
    assert power == pytest.approx(0.8, abs=1e-9)
    # Enough data to rule out a 0.10 gap: an honest "no difference detected", not a shrug.
    assert mdd < 0.10
    assert row.conclusion in {"no_difference_detected", "difference_detected"}


def test_small_auc_comparison_is_insufficient_evidence_with_reason() -> None:
    log = audit(
        _frame(120, 0.0, seed=3),
        y_true="y",
        y_pred="pred",
        y_score="score",
        sensitive_features=["g"],
        reference={"g": "a"},
        min_group_size=10,
        bootstrap=0,
    )
    row = _auc_row(log)
    assert row.p_holm > 0.05
    assert row.conclusion == "insufficient_evidence"
    assert row.minimum_detectable_difference > 0.10
    assert "minimum detectable difference" in row.reason


def test_perfect_separation_gives_reason_not_nan_interval() -> None:
    rng = np.random.default_rng(1)
    n = 400
    group = rng.choice(["a", "b"], size=n)
    y = rng.integers(0, 2, size=n)
    score = np.where(y == 1, 0.6 + 0.4 * rng.random(n), 0.4 * rng.random(n))
    frame = pd.DataFrame({"y": y, "pred": (score > 0.5).astype(int), "score": score, "g": group})
    log = audit(
        frame,
        y_true="y",
        y_pred="pred",
        y_score="score",
        sensitive_features=["g"],
        reference={"g": "a"},
        bootstrap=0,
    )
    row = _auc_row(log)
    assert row.value == 1.0 and row.reference_value == 1.0
    # Both groups separate perfectly: the pooled null variance is zero, so there is no test
    # (never a p-value from a zero variance); the MOVER interval of the difference still exists.
    assert row.p_value is None and row.p_holm is None and not row.in_family
    assert row.status == "undefined" and row.conclusion == "undefined"
    assert "null variance" in row.reason
    assert row.difference_ci_low < 0 < row.difference_ci_high
    assert log.multiple_comparisons["size"] == sum(c.in_family for c in log.comparisons)
