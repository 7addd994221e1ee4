"""read_log accepts every task's log and checks the task fields (format 1.3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from _task_logs import task_log
from equilens.exceptions import LogFormatError
from equilens.results import read_log, write_log
from equilens.results._check import log_problems

TASKS = ("multiclass", "regression", "measure", "ranking")


@pytest.mark.parametrize("task", TASKS)
def test_task_logs_round_trip(tmp_path: Path, task: str) -> None:
    log = task_log(task)
    path = write_log(log, tmp_path / "a.json")
    back = read_log(path)
    assert back.task == task
    assert back == log


def _raw(task: str) -> dict[str, Any]:
    return json.loads(task_log(task).to_json())


def _problems(raw: dict[str, Any]) -> list[str]:
    from equilens.results import AuditLog

    return log_problems(AuditLog.model_validate(raw))


def test_regression_rows_may_exceed_one_but_not_go_negative() -> None:
    raw = _raw("regression")
    assert _problems(raw) == []  # MAE of 1,200 and a negative mean error are fine
    row = next(r for r in raw["results"] if r["metric"] == "mean_absolute_error")
    row["value"] = -3.0
    assert _problems(raw) == [
        "results[2].value: -3 is negative for mean_absolute_error; it must be >= 0"
    ]


def test_a_t_interval_of_an_error_may_reach_below_zero() -> None:
    raw = _raw("regression")
    row = next(r for r in raw["results"] if r["metric"] == "mean_absolute_error")
    row["ci_low"] = -5.0  # t interval at small n: allowed, only the value is bounded
    assert _problems(raw) == []


def test_per_class_share_out_of_range_is_named() -> None:
    raw = _raw("multiclass")
    i = next(i for i, r in enumerate(raw["results"]) if r["metric"] == "recall_score[class=7]")
    raw["results"][i]["value"] = 1.5
    assert _problems(raw) == [
        f"results[{i}].value: 1.5 is outside [0, 1] for recall_score[class=7]"
    ]


def test_r2_above_one_is_a_problem() -> None:
    raw = _raw("regression")
    i = next(i for i, r in enumerate(raw["results"]) if r["metric"] == "r2_score")
    raw["results"][i]["value"] = 1.2
    assert _problems(raw)[0].startswith(f"results[{i}].value: 1.2 is outside [-inf, 1]")


def test_task_rows_share_one_row_count_per_slice() -> None:
    raw = _raw("ranking")
    i = next(i for i, r in enumerate(raw["results"]) if r["metric"] == "ndcg_score[k=10]")
    raw["results"][i]["n"] = 7
    assert any("7 rows for overall" in p for p in _problems(raw))


def test_rank_test_p_value_is_checked() -> None:
    raw = _raw("regression")
    raw["comparisons"][0]["rank_test"]["p_value"] = 2.0
    assert _problems(raw) == ["comparisons[0].rank_test.p_value: 2 is outside [0, 1]"]


def test_confusion_matrix_shape_and_counts(tmp_path: Path) -> None:
    raw = _raw("multiclass")
    raw["confusion_matrices"][0]["counts"][1] = [1.0, -2.0, 3.0]
    assert _problems(raw) == ["confusion_matrices[0].counts[1][1]: -2 is negative"]
    raw["confusion_matrices"][0]["counts"].pop()
    assert "confusion_matrices[0].counts: not 3 x 3" in _problems(raw)[0]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(LogFormatError, match=r"bad.json: confusion_matrices\[0\]"):
        read_log(path)


def test_confusion_matrices_belong_to_multiclass_logs() -> None:
    raw = _raw("multiclass")
    raw["task"] = "regression"
    assert _problems(raw)[0] == (
        "confusion_matrices: a regression log has no confusion matrices (multiclass only)"
    )


def test_unknown_task_is_a_schema_error(tmp_path: Path) -> None:
    raw = _raw("measure")
    raw["task"] = "clustering"
    path = tmp_path / "t.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(LogFormatError, match="task"):
        read_log(path)
