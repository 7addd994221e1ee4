"""Equal-FPR / equal-TPR thresholds from scores, and from an audit log's ROC curves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import equilens
from equilens.exceptions import InvalidInputError
from equilens.mitigate import apply_thresholds, equal_rate_thresholds, thresholds_from_curves


def _data(n: int = 120, seed: int = 0, digits: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.choice(np.array(["a", "b"]), size=n)
    y = (rng.random(n) < 0.5).astype(int)
    s = np.round(np.clip(rng.normal(0.4 + 0.2 * y + 0.15 * (g == "b"), 0.2), 0, 1), digits)
    return pd.DataFrame({"g": g, "y": y, "s": s})


@pytest.mark.parametrize("rate", ["fpr", "tpr"])
def test_thresholds_reach_the_overall_rate_in_every_group(rate: str) -> None:
    df = _data(4000, digits=12)  # no ties: one row per step of the rate
    thr, achieved, target = equal_rate_thresholds(df["y"], df["s"], df["g"], rate=rate)
    which = df["y"] == (0 if rate == "fpr" else 1)
    assert target == pytest.approx((df.loc[which, "s"] >= 0.5).mean())
    pred = apply_thresholds(df["s"], df["g"], thr)
    for grp in ("a", "b"):
        rows = which & (df["g"] == grp)
        # The achieved rate is what the thresholds give, and within one row's share of target.
        assert pred[rows.to_numpy()].mean() == pytest.approx(achieved[grp])
        assert abs(achieved[grp] - target) <= 1.0 / rows.sum() + 1e-12


def test_curves_of_a_small_audit_give_the_score_thresholds() -> None:
    # Fewer than 101 distinct scores per group: the log keeps every ROC point, so the
    # thresholds chosen from the curves equal those chosen from the scores.
    df = _data(90, seed=3)
    df["pred"] = (df["s"] >= 0.5).astype(int)
    log = equilens.audit(
        df,
        y_true="y",
        y_pred="pred",
        y_score="s",
        sensitive_features="g",
        bootstrap=0,
        min_group_size=5,
    )
    for rate in ("fpr", "tpr"):
        from_log = thresholds_from_curves(log.curves, "g", rate=rate)  # type: ignore[arg-type]
        from_scores = equal_rate_thresholds(df["y"], df["s"], df["g"], rate=rate)  # type: ignore[arg-type]
        assert from_log[2] == pytest.approx(from_scores[2])
        assert from_log[1] == pytest.approx(from_scores[1])


def test_a_log_without_curves_or_feature_is_one_line() -> None:
    with pytest.raises(InvalidInputError, match="no curves"):
        thresholds_from_curves(None, "g", rate="fpr")
    df = _data(90, seed=3)
    df["pred"] = (df["s"] >= 0.5).astype(int)
    log = equilens.audit(
        df,
        y_true="y",
        y_pred="pred",
        y_score="s",
        sensitive_features="g",
        bootstrap=0,
        min_group_size=5,
    )
    with pytest.raises(InvalidInputError, match="no curves for the feature 'race'"):
        thresholds_from_curves(log.curves, "race", rate="fpr")


def test_a_group_unseen_in_fitting_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="No threshold for group"):
        apply_thresholds([0.1, 0.2], ["a", "z"], {"a": 0.5})
