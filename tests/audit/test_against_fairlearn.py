"""Point estimates of audit() against scikit-learn and fairlearn (MetricFrame and criteria)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    f1_score,
    precision_score,
    roc_auc_score,
)

from equilens import AuditLog, audit

TOL = {"rtol": 1e-12, "atol": 1e-12}

SK = {
    "selection_rate": selection_rate,
    "accuracy_score": accuracy_score,
    "balanced_accuracy_score": balanced_accuracy_score,
    "precision_score": lambda y, p, **kw: precision_score(y, p, zero_division=np.nan, **kw),
    "true_positive_rate": true_positive_rate,
    "false_positive_rate": false_positive_rate,
    "false_negative_rate": false_negative_rate,
    "true_negative_rate": true_negative_rate,
    "f1_score": lambda y, p, **kw: f1_score(y, p, zero_division=np.nan, **kw),
}
SCORE = {
    "roc_auc_score": roc_auc_score,
    "average_precision_score": average_precision_score,
    "brier_score_loss": brier_score_loss,
}


def _value(log: AuditLog, metric: str, slice_: dict[str, str]) -> float:
    v = log.result(metric, slice_).value
    return np.nan if v is None else v


def _run(df: pd.DataFrame, features: list[str], weights: bool = False, **kw: object) -> AuditLog:
    return audit(
        df,
        y_true="y",
        y_pred="pred",
        y_score="score",
        sample_weight="w" if weights else None,
        sensitive_features=features,
        min_group_size=1,
        bootstrap=0,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("weights", [False, True])
def test_group_metrics_match_metricframe(weighted_frame: pd.DataFrame, weights: bool) -> None:
    df = weighted_frame
    log = _run(df, ["race", "sex"], weights=weights, intersections=True)
    params = {"sample_weight": df["w"].to_numpy()} if weights else {}
    sp = {name: params for name in SK}
    mf = MetricFrame(
        metrics=SK,
        y_true=df["y"],
        y_pred=df["pred"],
        sensitive_features=df[["race", "sex"]],
        sample_params=sp,
    )
    for name in SK:
        np.testing.assert_allclose(_value(log, name, {}), mf.overall[name], **TOL)
        for (race, sex), expected in mf.by_group[name].items():
            got = _value(log, name, {"race": race, "sex": sex})
            np.testing.assert_allclose(got, expected, **TOL, err_msg=f"{name} {race} {sex}")
    for name, fn in SCORE.items():
        for race in df["race"].unique():
            m = (df["race"] == race).to_numpy()
            w = df["w"].to_numpy()[m] if weights else None
            expected = fn(df["y"][m], df["score"][m], sample_weight=w)
            np.testing.assert_allclose(_value(log, name, {"race": race}), expected, **TOL)


CRITERIA = {
    "demographic_parity_difference": demographic_parity_difference,
    "demographic_parity_ratio": demographic_parity_ratio,
    "equalized_odds_difference": equalized_odds_difference,
    "equalized_odds_ratio": equalized_odds_ratio,
    "equal_opportunity_difference": equal_opportunity_difference,
    "equal_opportunity_ratio": equal_opportunity_ratio,
}


@pytest.mark.parametrize("method", ["between_groups", "to_overall"])
@pytest.mark.parametrize("weights", [False, True])
def test_fairness_criteria_match_fairlearn(
    weighted_frame: pd.DataFrame, method: str, weights: bool
) -> None:
    df = weighted_frame
    log = _run(df, ["race", "sex"], weights=weights, intersections=[["race", "sex"]])
    w = df["w"].to_numpy() if weights else None
    for name, fn in CRITERIA.items():
        for feats in (["race"], ["race", "sex"]):
            expected = fn(
                df["y"], df["pred"], sensitive_features=df[feats], method=method, sample_weight=w
            )
            row = next(
                d
                for d in log.disparities
                if d.criterion == name and d.features == feats and d.method == method
            )
            assert row.value is not None
            np.testing.assert_allclose(row.value, expected, **TOL, err_msg=f"{name} {feats}")


def test_edge_cases_one_class_group_and_single_row() -> None:
    df = pd.DataFrame(
        {
            "y": [1, 1, 1, 0, 1, 0, 0, 1],
            "pred": [1, 0, 1, 0, 1, 1, 0, 1],
            "score": [0.9, 0.2, 0.8, 0.1, 0.7, 0.6, 0.3, 0.5],
            "g": ["only_pos", "only_pos", "only_pos", "mixed", "mixed", "mixed", "mixed", "one"],
        }
    )
    log = audit(
        df,
        y_true="y",
        y_pred="pred",
        y_score="score",
        sensitive_features="g",
        min_group_size=1,
        bootstrap=50,
    )
    fpr = log.result("false_positive_rate", {"g": "only_pos"})
    assert fpr.status == "undefined" and fpr.value is None and fpr.reason
    auc = log.result("roc_auc_score", {"g": "one"})
    assert auc.status == "undefined" and auc.value is None
    tpr_one = log.result("true_positive_rate", {"g": "one"})
    assert tpr_one.value == 1.0 and tpr_one.ci_method == "clopper-pearson"
    np.testing.assert_allclose(log.result("true_positive_rate", {"g": "mixed"}).value, 1.0, **TOL)


def test_all_positive_predictions_and_string_labels() -> None:
    rng = np.random.default_rng(5)
    n = 300
    df = pd.DataFrame(
        {
            "y": rng.choice(["approve", "deny"], n),
            "pred": ["approve"] * n,
            "g": rng.choice(["x", "y"], n),
        }
    )
    log = audit(
        df,
        y_true="y",
        y_pred="pred",
        sensitive_features="g",
        positive_label="approve",
        min_group_size=1,
        bootstrap=0,
    )
    yb = (df["y"] == "approve").astype(int)
    for g in ("x", "y"):
        m = df["g"] == g
        assert log.result("selection_rate", {"g": g}).value == 1.0
        np.testing.assert_allclose(
            log.result("precision_score", {"g": g}).value, yb[m].mean(), **TOL
        )
        assert log.result("true_negative_rate", {"g": g}).value == 0.0
    dp = next(d for d in log.disparities if d.criterion == "demographic_parity_difference")
    assert dp.value == 0.0


def test_zero_weights_rows_do_not_count(weighted_frame: pd.DataFrame) -> None:
    df = weighted_frame.copy()
    df.loc[df.index[:300], "w"] = 0.0
    log = _run(df, ["race"], weights=True)
    keep = df.iloc[300:]
    expected = MetricFrame(
        metrics=true_positive_rate,
        y_true=keep["y"],
        y_pred=keep["pred"],
        sensitive_features=keep["race"],
        sample_params={"sample_weight": keep["w"].to_numpy()},
    )
    for race, v in expected.by_group.items():
        np.testing.assert_allclose(_value(log, "true_positive_rate", {"race": race}), v, **TOL)
