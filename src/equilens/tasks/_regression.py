"""Regression: errors of a numeric prediction per group (``task="regression"``).

Per row: the error ``e = y_pred - y_true`` (so ``mean_error`` > 0 means the model
over-predicts), ``|e|``, ``e^2``, the target and the prediction, each times the row weight.
Metrics (scikit-learn names): ``mean_error``, ``mean_absolute_error``,
``root_mean_squared_error``, ``r2_score``, ``mean_prediction``, ``mean_target``
(:mod:`equilens.metrics._continuous`). A ``cluster`` column makes the clusters the units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from equilens.data._columns import TaskInputs
from equilens.metrics._continuous import REGRESSION_QUANTITIES, regression_metrics
from equilens.slicing._plan import SlicePlan
from equilens.tasks._base import Role, Task, TaskEvaluation, TaskOptions, TaskStatistics
from equilens.tasks._unit_stats import (
    UnitStatistics,
    choose_metrics,
    evaluate_units,
    unit_statistics,
)

__all__ = ["TASK"]

#: Compared between groups unless the audit names its metrics (R^2 has no test: its
#: comparisons would show an interval only).
COMPARED = ("mean_error", "mean_absolute_error", "root_mean_squared_error", "mean_prediction")


def _statistics(inputs: TaskInputs, settings: Mapping[str, Any]) -> TaskStatistics:
    y = inputs.values["y_true"]
    p = inputs.values["y_pred"]
    w = inputs.values.get("sample_weight")
    e = p - y
    w1 = np.ones(inputs.n_rows) if w is None else np.asarray(w, dtype=np.float64)
    parts = {
        "weight": w1,
        "error": e,
        "abs_error": np.abs(e),
        "error_sq": e * e,
        "target": y,
        "target_sq": y * y,
        "prediction": p,
    }
    quantities = {q: parts[q] if w is None else parts[q] * w1 for q in REGRESSION_QUANTITIES}
    quantities["weight"] = w1
    return unit_statistics(
        inputs,
        quantities,
        rank_values={
            "error": ("error (y_pred - y_true)", e, None),
            "abs_error": ("absolute error", np.abs(e), None),
        },
        serial_value=e,
        # Means need each quantity with itself and the weight; R^2 is bootstrapped.
        pairs=[(q, r) for q in REGRESSION_QUANTITIES for r in (q, "weight")],
        facts={"error_sign": "error = y_pred - y_true (mean_error > 0: over-prediction)"},
    )


def _evaluate(
    stats: TaskStatistics,
    plan: SlicePlan,
    metrics: Sequence[str] | None,
    options: TaskOptions,
) -> TaskEvaluation:
    assert isinstance(stats, UnitStatistics)
    specs = choose_metrics(regression_metrics, regression_metrics.names(), metrics, "regression")
    compared = COMPARED if metrics is None else [m for m in metrics if m != "r2_score"]
    return evaluate_units(stats, plan, specs, options, compared=compared)


TASK = Task(
    name="regression",
    description="Errors of a numeric prediction per group: bias, MAE, RMSE, R^2.",
    roles=(
        Role("y_true", "number", True, "the true numeric target", hint="multiclass"),
        Role("y_pred", "number", True, "the model's numeric prediction", hint="multiclass"),
        Role("sample_weight", "count", False, "non-negative row weights"),
        Role(
            "cluster",
            "id",
            False,
            "cluster of each row (user, store, ...): the clusters are the independent units",
        ),
    ),
    metrics=regression_metrics,
    statistics=_statistics,
    evaluate=_evaluate,
)
