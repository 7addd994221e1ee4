"""What a slice is judged on: per unit, a numerator and a denominator of the task's metric.

Every supported metric is a ratio of sums over a slice's units: an error rate (errors over
rows), a false-negative rate (misses over positives), a mean absolute error (absolute errors
over rows), a word error rate (errors over reference words). Rows are the units unless a
cluster column groups them; then a unit is a cluster and sums over its rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from equilens.exceptions import InvalidInputError, InvalidParameterError

__all__ = ["DEFAULT_METRIC", "METRICS", "Outcome", "check_metric", "metric_columns", "outcome"]

FloatArray = NDArray[np.float64]

#: Metrics per task (all "higher is worse" except a measure marked higher-is-better).
METRICS: dict[str, tuple[str, ...]] = {
    "binary": (
        "error_rate",
        "false_negative_rate",
        "false_positive_rate",
        "false_discovery_rate",
        "false_omission_rate",
        "brier_score",
    ),
    "multiclass": ("error_rate",),
    "regression": ("absolute_error", "squared_error"),
    "measure": ("value",),
}
DEFAULT_METRIC: dict[str, str] = {
    "binary": "error_rate",
    "multiclass": "error_rate",
    "regression": "absolute_error",
    "measure": "value",
}


@dataclass(frozen=True)
class Outcome:
    """Per-unit numerator and denominator of the metric (see the module docstring)."""

    metric: str
    num: FloatArray
    den: FloatArray
    proportion: bool
    """Whether every unit is a single row with ``num, den`` in {0, 1} and ``num <= den`` (a
    rate of events: tested on the 2x2 table; otherwise a ratio of sums: Welch's test)."""
    worse: Literal["higher", "lower"] = "higher"


def check_metric(task: str, metric: str | None) -> str:
    """The metric to search on: ``metric`` if the task defines it, else a one-line error."""
    if task not in METRICS:
        raise InvalidParameterError(
            f"slice discovery does not support --task {task} (supported: {', '.join(METRICS)})"
        )
    chosen = metric or DEFAULT_METRIC[task]
    if chosen not in METRICS[task]:
        raise InvalidParameterError(
            f"--metric {chosen} is not defined for --task {task} (choose from "
            f"{', '.join(METRICS[task])})"
        )
    return chosen


def metric_columns(task: str, metric: str, columns: Mapping[str, str | None]) -> dict[str, str]:
    """Role -> column name of the columns ``metric`` needs; one-line error naming a missing one."""
    if task == "measure":
        if columns.get("value"):
            needed = {"value": "--value"}
        elif columns.get("numerator") or columns.get("denominator"):
            needed = {"numerator": "--numerator", "denominator": "--denominator"}
        else:
            raise InvalidParameterError(
                "--task measure needs --value, or --numerator and --denominator"
            )
    else:
        needed = {"y_true": "--y-true", "y_pred": "--y-pred"}
        if metric == "brier_score":
            needed = {"y_true": "--y-true", "y_score": "--y-score"}
    missing = [flag for role, flag in needed.items() if not columns.get(role)]
    if missing:
        raise InvalidParameterError(f"--metric {metric} needs {', '.join(missing)}")
    return {role: str(columns[role]) for role in needed}


def _numbers(column: pd.Series, name: str) -> FloatArray:
    try:
        values = pd.to_numeric(column, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise InvalidInputError(f"Column '{name}' must hold numbers") from None
    if not np.isfinite(values).all():
        raise InvalidInputError(f"Column '{name}' has missing or infinite values")
    return values


def _labels(column: pd.Series, name: str) -> NDArray[np.generic]:
    """Label values: numbers stay numbers (fast comparisons), anything else becomes text."""
    if column.isna().any():
        raise InvalidInputError(f"Column '{name}' has missing values")
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return column.to_numpy(dtype=np.float64)
    return column.astype(str).to_numpy(dtype=np.str_)


def _same_kind(
    truth: NDArray[np.generic], pred: NDArray[np.generic]
) -> tuple[NDArray[np.generic], NDArray[np.generic]]:
    if truth.dtype.kind == pred.dtype.kind:
        return truth, pred
    return _text(truth), _text(pred)


def _text(values: NDArray[np.generic]) -> NDArray[np.str_]:
    if values.dtype.kind == "f":
        return np.array([f"{v:g}" for v in values], dtype=np.str_)
    return values.astype(np.str_)


def _positive(
    truth: NDArray[np.generic],
    pred: NDArray[np.generic],
    names: tuple[str, str],
    given: str | None,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    truth, pred = _same_kind(truth, pred)
    values = set(np.unique(truth).tolist()) | set(np.unique(pred).tolist())
    numeric = truth.dtype.kind == "f"
    if given is None:
        zero_one = {0.0, 1.0} if numeric else {"0", "1", "True", "False", "true", "false"}
        if not values <= zero_one:
            shown = ", ".join(sorted(f"{v:g}" if numeric else str(v) for v in values)[:6])
            raise InvalidInputError(
                f"Cannot tell which label is positive: {names[0]} and {names[1]} hold {shown}; "
                "pass --positive-label"
            )
        if numeric:
            return truth == 1.0, pred == 1.0
        ones = ["1", "True", "true"]
        return np.isin(truth, ones), np.isin(pred, ones)
    target: object = given
    if numeric:
        try:
            target = float(given)
        except ValueError:
            target = None
    if target not in values:
        raise InvalidParameterError(
            f"--positive-label {given} is not a value of {names[0]} or {names[1]}"
        )
    return truth == target, pred == target


def outcome(
    task: str,
    metric: str,
    frame: Mapping[str, pd.Series],
    columns: Mapping[str, str],
    *,
    positive_label: str | None = None,
    higher_is_better: bool = False,
) -> Outcome:
    """Per-row numerator and denominator of ``metric`` from the columns of ``frame``."""
    worse: Literal["higher", "lower"] = "lower" if higher_is_better else "higher"
    if task == "measure":
        if "value" in columns:
            num = _numbers(frame[columns["value"]], columns["value"])
            return Outcome(metric, num, np.ones_like(num), False, worse)
        num = _numbers(frame[columns["numerator"]], columns["numerator"])
        den = _numbers(frame[columns["denominator"]], columns["denominator"])
        if (den < 0).any():
            raise InvalidInputError(f"Column '{columns['denominator']}' has negative values")
        return Outcome("ratio", num, den, False, worse)
    if higher_is_better:
        raise InvalidParameterError("--higher-is-better applies to --task measure only")
    if task == "regression":
        err = _numbers(frame[columns["y_true"]], columns["y_true"]) - _numbers(
            frame[columns["y_pred"]], columns["y_pred"]
        )
        num = np.abs(err) if metric == "absolute_error" else err**2
        return Outcome(metric, num, np.ones_like(num), False)
    if metric == "brier_score":
        score = _numbers(frame[columns["y_score"]], columns["y_score"])
        truth = _labels(frame[columns["y_true"]], columns["y_true"])
        y, _ = _positive(truth, truth, (columns["y_true"], columns["y_true"]), positive_label)
        return Outcome(metric, (score - y) ** 2, np.ones_like(score), False)
    truth = _labels(frame[columns["y_true"]], columns["y_true"])
    pred = _labels(frame[columns["y_pred"]], columns["y_pred"])
    if task == "multiclass":
        truth, pred = _same_kind(truth, pred)
        wrong = (truth != pred).astype(np.float64)
        return Outcome(metric, wrong, np.ones_like(wrong), True)
    y, p = _positive(truth, pred, (columns["y_true"], columns["y_pred"]), positive_label)
    every = np.ones_like(y)
    counted, event = {
        "error_rate": (every, y != p),
        "false_negative_rate": (y, y & ~p),
        "false_positive_rate": (~y, ~y & p),
        "false_discovery_rate": (p, p & ~y),
        "false_omission_rate": (~p, ~p & y),
    }[metric]
    return Outcome(metric, event.astype(np.float64), counted.astype(np.float64), True)
