"""The terminal summary of a non-binary log shows that task's metrics, tests and effect sizes."""

from __future__ import annotations

import pytest

from _task_logs import task_log
from equilens._cli._table import print_summary, terminal
from equilens.report._task_content import headline_columns


def _printed(task: str) -> str:
    console = terminal(width=400)
    with console.capture() as cap:
        print_summary(task_log(task), console)
    return cap.get()


def test_multiclass_headline_and_worst_class() -> None:
    out = _printed("multiclass")
    assert "multiclass task" in out
    for head in ("Accuracy", "Bal. accuracy", "F1 (macro average)", "Top-k acc. (top 3)"):
        assert head in out
    # Per-class recalls become one column: the worst class of each group, named.
    assert "worst Recall" in out
    assert "0.610 [0.598, 0.622] (class 7)" in out
    assert "recall_score[class=0]" not in out.split("Differences detected")[0]
    # No binary columns.
    assert "selection rate" not in out and "TPR" not in out


def test_multiclass_per_class_criteria_are_key_criteria() -> None:
    out = _printed("multiclass")
    assert "equal_opportunity_difference[class=7]" in out


@pytest.mark.parametrize(
    ("task", "heads"),
    [
        ("regression", ("Bias", "MAE", "RMSE", "R²", "Mean pred.")),
        ("measure", ("Ratio",)),
        ("ranking", ("NDCG (top 10)", "P@k (top 10)", "R@k (top 10)", "MRR")),
    ],
)
def test_task_headlines(task: str, heads: tuple[str, ...]) -> None:
    out = _printed(task)
    for head in heads:
        assert head in out
    assert "welch-t; mann-whitney" in out
    assert "hedges_g = +0.31" in out


def test_regression_values_keep_their_scale() -> None:
    out = _printed("regression")
    assert "1200.000 [1176.000, 1224.000]" in out
    assert "+350.000" in out  # MAE difference F - M, not percentage points


def test_ranking_exposure_rows_stay_out_of_the_headline() -> None:
    cols = [c.metric for c in headline_columns(task_log("ranking"))]
    assert cols == [
        "ndcg_score[k=10]",
        "precision_at_k[k=10]",
        "recall_at_k[k=10]",
        "mean_reciprocal_rank",
    ]


def test_worst_class_of_a_lower_is_better_metric_is_its_highest() -> None:
    from equilens.report._task_content import Headline
    from equilens.results import MetricResult

    rows = {
        f"false_positive_rate[class={c}]": MetricResult(
            metric=f"false_positive_rate[class={c}]",
            slice={},
            n=10,
            value=v,
            ci_low=None,
            ci_high=None,
            ci_method="none",
            status="ok",
        )
        for c, v in (("a", 0.1), ("b", 0.3))
    }
    row, note = Headline("false_positive_rate", worst=True, lower_is_worse=False).row(rows)
    assert row is not None and row.value == 0.3 and note == "class b"


def test_binary_summary_is_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    from _data import make_frame
    from equilens import audit

    log = audit(make_frame(400), y_true="y", y_pred="pred", sensitive_features=["sex"], bootstrap=0)
    console = terminal(width=300)
    with console.capture() as cap:
        print_summary(log, console)
    out = cap.get()
    assert "Metrics by group (point estimate [95% CI])" in out
    assert "selection rate" in out and "test" not in out.split("Differences detected")[1]
