"""compare / compare_logs / compare_predictions: design choice, data checks, values, output."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from compare.conftest import run_audit
from equilens.compare import (
    compare,
    compare_logs,
    compare_predictions,
    read_comparison,
    render_html,
    render_markdown,
)
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.results import AuditLog

PAIRED = {
    "base_pred": "base_pred",
    "candidate_pred": "cand_pred",
    "base_score": "base_score",
    "candidate_score": "cand_score",
}


def test_identical_logs_give_zero_change_with_intervals_covering_zero(
    logs: tuple[AuditLog, AuditLog],
) -> None:
    result = compare_logs(logs[0], logs[0])
    assert result.design == "unpaired" and result.data_check.status == "match"
    assert result.metrics and result.disparities
    for row in [*result.metrics, *result.disparities]:
        if row.change is None:
            continue
        assert row.change == 0.0
        if row.change_ci_low is not None:
            assert row.change_ci_low <= 0.0 <= row.change_ci_high
        assert row.conclusion != "change_detected"
    assert result.regressions == []


def test_identical_predictions_paired_give_zero_change(frame: pd.DataFrame) -> None:
    result = compare_predictions(
        frame,
        y_true="y",
        base_pred="base_pred",
        candidate_pred="base_pred",
        base_score="base_score",
        candidate_score="base_score",
        sensitive_features=["sex"],
        bootstrap=50,
    )
    for row in [*result.metrics, *result.disparities]:
        if row.change is None:
            continue
        assert row.change == 0.0 and row.conclusion != "change_detected"
        if getattr(row, "metric", None) == "roc_auc_score":
            # Identical scores: the DeLong variance of the change is 0, which is not precision.
            assert row.status == "undefined" and row.p_value is None
            assert row.reason is not None and "variance" in row.reason
            continue
        assert row.change_ci_low is not None and row.change_ci_low <= 0.0 <= row.change_ci_high
        if row.test.startswith("mcnemar"):
            assert row.p_value == 1.0


def test_unpaired_rates_match_statsmodels(logs: tuple[AuditLog, AuditLog]) -> None:
    result = compare_logs(*logs)
    row = result.metric("selection_rate", {"sex": "female"})
    b = logs[0].result("selection_rate", {"sex": "female"})
    c = logs[1].result("selection_rate", {"sex": "female"})
    xb, xc = round(b.value * b.n), round(c.value * c.n)
    lo, hi = confint_proportions_2indep(xc, c.n, xb, b.n, method="newcomb")
    assert row.change_ci_low == pytest.approx(lo, abs=1e-9)
    assert row.change_ci_high == pytest.approx(hi, abs=1e-9)
    _, p = proportions_ztest([xc, xb], [c.n, b.n])
    assert row.test == "chi-square" and row.p_value == pytest.approx(p, rel=1e-6)


def test_design_is_chosen_by_the_data(logs: tuple[AuditLog, AuditLog], frame: pd.DataFrame) -> None:
    assert compare(*logs).design == "unpaired"
    paired = compare(*logs, data=frame, ids="row_id", bootstrap=100, **PAIRED)
    assert paired.design == "paired" and paired.data_check.status == "match"
    assert paired.data_check.columns == {"y": "match", "sex": "match", "race": "match"}


def test_paired_values_equal_the_logs(logs: tuple[AuditLog, AuditLog], frame: pd.DataFrame) -> None:
    result = compare(*logs, data=frame, bootstrap=100, **PAIRED)
    for metric in ("selection_rate", "accuracy_score", "precision_score", "roc_auc_score"):
        for sl in ({}, {"sex": "female"}, {"race": "c"}):
            row = result.metric(metric, sl)
            assert row.base == pytest.approx(logs[0].result(metric, sl).value, abs=1e-12)
            assert row.candidate == pytest.approx(logs[1].result(metric, sl).value, abs=1e-12)
    for d in result.disparities:
        log_d = next(
            x
            for x in logs[1].disparities
            if x.criterion == d.criterion and x.features == d.features and x.method == d.method
        )
        assert d.candidate == pytest.approx(log_d.value, abs=1e-12)


def test_paired_detects_the_widened_gap_and_is_reproducible(
    logs: tuple[AuditLog, AuditLog], frame: pd.DataFrame
) -> None:
    one = compare(*logs, data=frame, bootstrap=200, seed=3, **PAIRED)
    two = compare(*logs, data=frame, bootstrap=200, seed=3, **PAIRED)
    dpd = one.disparity("demographic_parity_difference", ["sex"])
    assert dpd.conclusion == "change_detected" and dpd.direction == "widened"
    assert dpd.change_ci_low is not None and dpd.change_ci_low > 0
    assert any("demographic_parity_difference" in r for r in one.regressions)
    assert one.model_dump(exclude={"created"}) == two.model_dump(exclude={"created"})
    # Paired rate changes are tighter than unpaired ones: the two models' predictions on the
    # same rows are positively correlated.
    for group in ("female", "male"):
        p_row = one.metric("selection_rate", {"sex": group})
        u_row = compare_logs(*logs).metric("selection_rate", {"sex": group})
        assert p_row.change_ci_low is not None and u_row.change_ci_low is not None
        assert p_row.change_ci_high is not None and u_row.change_ci_high is not None
        width_p = p_row.change_ci_high - p_row.change_ci_low
        assert width_p < 0.6 * (u_row.change_ci_high - u_row.change_ci_low)


def test_mismatched_data_is_refused_or_recorded(
    logs: tuple[AuditLog, AuditLog], frame: pd.DataFrame
) -> None:
    other = frame.copy()
    other.loc[:9, "y"] = 1 - other.loc[:9, "y"]
    with pytest.raises(InvalidInputError, match="not the rows the logs audited: y differ"):
        compare(*logs, data=other, bootstrap=20, **PAIRED)
    result = compare(*logs, data=other, bootstrap=20, allow_data_mismatch=True, **PAIRED)
    assert result.data_check.status == "mismatch"
    assert result.warnings[0].startswith("DATA MISMATCH")


def test_unpaired_notes_different_rows(
    frame: pd.DataFrame, logs: tuple[AuditLog, AuditLog]
) -> None:
    other = run_audit(frame.iloc[:2000], "cand")
    result = compare_logs(logs[0], other)
    assert result.data_check.status == "mismatch"
    assert "independent" in result.design_note


def test_different_sensitive_features_are_refused(
    frame: pd.DataFrame, logs: tuple[AuditLog, AuditLog]
) -> None:
    other = run_audit(frame, "cand", sensitive_features=["sex"])
    with pytest.raises(InvalidInputError, match="different sensitive features"):
        compare_logs(logs[0], other)


@pytest.mark.parametrize(
    ("change", "match"),
    [("missing", "Column 'nope'"), ("dup", "duplicated value"), ("nan", "missing values")],
)
def test_bad_ids(
    frame: pd.DataFrame, logs: tuple[AuditLog, AuditLog], change: str, match: str
) -> None:
    data, ids = frame.copy(), "row_id"
    if change == "missing":
        ids = "nope"
    elif change == "dup":
        data.loc[5, "row_id"] = data.loc[4, "row_id"]
    else:
        data["row_id"] = data["row_id"].astype(float)
        data.loc[3, "row_id"] = np.nan
    with pytest.raises(InvalidInputError, match=match):
        compare(*logs, data=data, ids=ids, bootstrap=10, **PAIRED)


def test_bad_parameters(frame: pd.DataFrame, logs: tuple[AuditLog, AuditLog]) -> None:
    with pytest.raises(InvalidParameterError, match="both prediction columns"):
        compare(*logs, data=frame, base_pred="base_pred")
    with pytest.raises(InvalidParameterError, match="without data"):
        compare(*logs, base_pred="base_pred", candidate_pred="cand_pred")
    with pytest.raises(InvalidParameterError, match="disparity_methods"):
        compare_logs(*logs, disparity_methods=["worst"])
    with pytest.raises(InvalidParameterError, match="base_score"):
        compare_predictions(
            frame,
            y_true="y",
            base_pred="base_pred",
            candidate_pred="cand_pred",
            base_score="base_score",
            sensitive_features="sex",
        )


def test_json_roundtrip_and_no_nan(
    tmp_path: Path, logs: tuple[AuditLog, AuditLog], frame: pd.DataFrame
) -> None:
    result = compare(*logs, data=frame, bootstrap=50, labels=("champion", "challenger"), **PAIRED)
    path = tmp_path / "c.json"
    path.write_text(result.to_json())
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    json.loads(text)
    assert read_comparison(path) == result
    assert result.headline[0].startswith("challenger vs champion: ROC-AUC")
    assert all(
        r.p_value is None or (0 <= r.p_value <= 1 and not math.isnan(r.p_value))
        for r in result.metrics
    )


def test_reports_escape_everything() -> None:
    rng = np.random.default_rng(0)
    n = 400
    evil = "<script>alert(1)</script>|[x](http://e)"
    df = pd.DataFrame(
        {
            "y": rng.binomial(1, 0.5, n),
            "g": rng.choice([evil, "plain"], n),
            "p1": rng.binomial(1, 0.5, n),
            "p2": rng.binomial(1, 0.5, n),
        }
    )
    result = compare_predictions(
        df,
        y_true="y",
        base_pred="p1",
        candidate_pred="p2",
        sensitive_features="g",
        bootstrap=20,
        labels=("<b>old</b>", "new"),
    )
    page = render_html(result)
    assert "<script>" not in page and "&lt;script&gt;" in page and "<b>old</b>" not in page
    md = render_markdown(result)
    assert "<script>" not in md and "[x](http" not in md
