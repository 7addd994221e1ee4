"""The audit of every task but binary: columns -> task statistics -> slices -> the same rows.

A task (``equilens.tasks``) reads its columns and reduces them to mergeable statistics per
finest cell; its evaluation returns one :class:`~equilens.metrics.Evaluated` per metric over
the slices. Result rows, fairness criteria, comparisons (tests, effect sizes, one Holm /
Benjamini-Hochberg family) are then the binary audit's own functions, so every task writes the
same log rows and every reader of the log (reports, gate, compare, monitor, claim checks)
reads them the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from equilens.audit._compare import comparison_rows
from equilens.audit._criteria import criterion_rows
from equilens.audit._rows import result_rows
from equilens.data import BinSpec, prepare_columns
from equilens.exceptions import InvalidParameterError
from equilens.results import Comparison, Disparity, MetricResult
from equilens.slicing import SlicePlan, build_plan, resolve_intersections
from equilens.tasks import Task, TaskEvaluation, TaskOptions, TaskStatistics

#: Engines that can run a non-binary task (the statistics are computed in memory; CSV and
#: Parquet paths are read with pyarrow, only the needed columns).
TASK_ENGINES = ("auto", "numpy")


@dataclass
class TaskRun:
    """What the non-binary audit computed, for the log."""

    stats: TaskStatistics
    plan: SlicePlan
    evaluation: TaskEvaluation
    results: list[MetricResult]
    disparities: list[Disparity]
    comparisons: list[Comparison]
    family: dict[str, Any]
    columns: dict[str, Any]
    features: list[str]
    fingerprint: dict[str, Any]


def _flag(role: str) -> str:
    return "--" + role.replace("_", "-")


def run_task(
    task: Task,
    data: Any,
    *,
    columns: Mapping[str, Any],
    sensitive_features: Any,
    intersections: bool | Sequence[Sequence[str]],
    bins: Mapping[str, BinSpec | Sequence[float]] | None,
    reference: Mapping[str, str] | None,
    reference_rule: str,
    metrics: Sequence[str] | None,
    settings: Mapping[str, Any],
    options: TaskOptions,
    underpowered_gap: float,
    max_groups_per_feature: int,
    engine: str,
    step: Any,
    done: Any,
) -> TaskRun:
    """Run ``task`` on the data; every step as in :func:`~equilens.audit.audit`."""
    if engine not in TASK_ENGINES:
        raise InvalidParameterError(
            f"The '{task.name}' task runs on the numpy engine (in memory; CSV and Parquet "
            f"files are read column by column); got engine={engine!r}. Use engine='auto' or "
            "'numpy' (CLI: --engine)."
        )
    known = {r.name for r in task.roles}
    for role, value in columns.items():
        if value is not None and role not in known:
            accepted = ", ".join(_flag(r.name) for r in task.roles)
            raise InvalidParameterError(
                f"The '{task.name}' task does not read {role} ({_flag(role)}); its columns: "
                f"{accepted}."
            )
    for r in task.roles:
        if r.required and columns.get(r.name) is None:
            raise InvalidParameterError(
                f"The '{task.name}' task needs the {r.name} column ({_flag(r.name)}): {r.help}."
            )
    step("statistics")
    inputs = prepare_columns(
        data,
        roles={r.name: columns.get(r.name) for r in task.roles},
        kinds={r.name: r.kind for r in task.roles},
        sensitive=sensitive_features,
        bins=bins,
        max_groups_per_feature=max_groups_per_feature,
        hints={r.name: r.hint for r in task.roles if r.hint},
    )
    stats = task.statistics(inputs, settings)
    done("statistics")
    families = resolve_intersections([f.name for f in inputs.features], intersections)
    plan = build_plan(
        stats,
        families,
        reference=reference,
        reference_rule=reference_rule,  # type: ignore[arg-type]
        min_group_size=options.min_group_size,
    )
    step("metrics")
    evaluation = task.evaluate(stats, plan, metrics, options)
    n = np.asarray(evaluation.n, dtype=np.int64)
    insufficient = n < options.min_group_size
    reported = evaluation.reported or list(evaluation.evaluated)
    results = result_rows(
        plan, n, [evaluation.evaluated[m] for m in reported], insufficient, stats.weighted
    )
    done("metrics")
    step("criteria")
    disparities: list[Disparity] = []
    for spec in evaluation.criteria:
        if all(b in evaluation.evaluated for b in spec.base_metrics):
            disparities.extend(
                criterion_rows(spec, plan, evaluation.evaluated, insufficient, options.alpha)
            )
    done("criteria")
    step("comparisons")
    comparisons, family = comparison_rows(
        plan,
        evaluation.evaluated,
        [m for m in evaluation.comparison_metrics if m in evaluation.evaluated],
        insufficient,
        n,
        options.alpha,
        options.interval_method,
        underpowered_gap,
        options.min_class_count,
        extra=evaluation.extra_comparisons,
    )
    done("comparisons")
    return TaskRun(
        stats=stats,
        plan=plan,
        evaluation=evaluation,
        results=results,
        disparities=disparities,
        comparisons=comparisons,
        family=family,
        columns=dict(inputs.columns),
        features=[f.name for f in inputs.features],
        fingerprint=inputs.fingerprint.to_dict(),
    )
