"""Per-unit measures: a number per row, or a ratio of sums (``task="measure"``).

``value``: any number per row (a 0/1 correctness, a toxicity score, a rating, a latency),
reported as its (weighted) ``mean``. ``numerator`` + ``denominator``: a ratio of sums,
``ratio_of_sums = sum(numerator) / sum(denominator)`` (a word error rate: errors over
reference words per utterance). A ``cluster`` column (prompt, speaker, user, annotator) makes
the clusters the independent units of every interval and test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilens.data import TaskInputs
from equilens.exceptions import InvalidParameterError
from equilens.metrics import VALUE_MEANS, measure_metrics
from equilens.slicing import SlicePlan
from equilens.tasks._base import Role, Task, TaskEvaluation, TaskOptions, TaskStatistics
from equilens.tasks._unit_stats import (
    NONNEGATIVE,
    UNIT_INTERVAL,
    UnitStatistics,
    choose_metrics,
    evaluate_units,
    unit_statistics,
)

__all__ = ["TASK"]

FloatArray = NDArray[np.float64]


def _which(inputs: TaskInputs) -> str:
    """``mean`` or ``ratio_of_sums``, from the columns given (one-line errors otherwise)."""
    has = {r: inputs.values.get(r) is not None for r in ("value", "numerator", "denominator")}
    if has["value"] and (has["numerator"] or has["denominator"]):
        raise InvalidParameterError(
            "The measure task takes either a value column (--value) or a numerator and a "
            "denominator column (--numerator, --denominator), not both."
        )
    if has["numerator"] != has["denominator"]:
        given, missing = (
            ("numerator", "denominator") if has["numerator"] else ("denominator", "numerator")
        )
        raise InvalidParameterError(
            f"The measure task got a {given} column ({inputs.columns.get(given)}) but no "
            f"{missing} (--{missing}): a ratio of sums needs both."
        )
    if not (has["value"] or has["numerator"]):
        raise InvalidParameterError(
            "The measure task needs a value column (--value) or a numerator and a denominator "
            "column (--numerator, --denominator)."
        )
    return "mean" if has["value"] else "ratio_of_sums"


def _statistics(inputs: TaskInputs, settings: Mapping[str, Any]) -> TaskStatistics:
    which = _which(inputs)
    w = inputs.values.get("sample_weight")
    w1 = np.ones(inputs.n_rows) if w is None else np.asarray(w, dtype=np.float64)
    if which == "mean":
        v = np.asarray(inputs.values["value"], dtype=np.float64)
        quantities = {"weight": w1, "value": v * w1}
        rank: dict[str, tuple[str, FloatArray, FloatArray | None]] = {
            "value": ("value per unit", v, None)
        }
        serial = v
        facts = {
            "measure": "mean",
            "value_column": inputs.columns.get("value"),
            # 0/1 outcomes, toxicity scores, shares: a slice of all 0 (or all 1) still gets
            # an interval (stats.all_zero_upper_bound).
            UNIT_INTERVAL: ["value"] if bool(np.all((v >= 0) & (v <= 1))) else [],
        }
    else:
        num = np.asarray(inputs.values["numerator"], dtype=np.float64)
        den = np.asarray(inputs.values["denominator"], dtype=np.float64)
        quantities = {"weight": w1, "numerator": num * w1, "denominator": den * w1}
        rank = {"value": ("numerator / denominator per unit", num, den)}
        total = float(den.sum())
        serial = num - (float(num.sum()) / total if total > 0 else 0.0) * den
        facts = {
            "measure": "ratio_of_sums",
            "numerator_column": inputs.columns.get("numerator"),
            "denominator_column": inputs.columns.get("denominator"),
            # Errors over words: no negative numerator, so the ratio's interval is on the log
            # scale (the denominator is a count, checked non-negative).
            NONNEGATIVE: ["numerator", "denominator"] if bool(np.all(num >= 0)) else [],
        }
    return unit_statistics(inputs, quantities, rank_values=rank, serial_value=serial, facts=facts)


def _evaluate(
    stats: TaskStatistics,
    plan: SlicePlan,
    metrics: Sequence[str] | None,
    options: TaskOptions,
) -> TaskEvaluation:
    assert isinstance(stats, UnitStatistics)
    which = str(stats.facts["measure"])
    # A value column's mean may be reported under a named metric (``VALUE_MEANS``, e.g.
    # ``expected_maximum_toxicity``); without ``metrics`` it is ``mean``.
    available = [which, *VALUE_MEANS] if which == "mean" else [which]
    specs = choose_metrics(measure_metrics, available, metrics or [which], "measure")
    return evaluate_units(stats, plan, specs, options, compared=[s.name for s in specs])


TASK = Task(
    name="measure",
    description="A number per row (mean) or a ratio of sums (e.g. word error rate) per group.",
    roles=(
        Role("value", "number", False, "a number per row (score, 0/1 outcome, rating, latency)"),
        Role("numerator", "number", False, "numerator of a ratio of sums (e.g. word errors)"),
        Role(
            "denominator", "count", False, "denominator of a ratio of sums (e.g. reference words)"
        ),
        Role(
            "cluster",
            "id",
            False,
            "cluster of each row (prompt, speaker, user): the clusters are the independent units",
        ),
        Role("sample_weight", "count", False, "non-negative row weights"),
    ),
    metrics=measure_metrics,
    statistics=_statistics,
    evaluate=_evaluate,
)
