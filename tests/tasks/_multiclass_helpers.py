"""Running the multiclass task's steps directly (statistics, plan, evaluation)."""

from __future__ import annotations

from typing import Any

import numpy as np

from equilens.data._columns import prepare_columns
from equilens.slicing._plan import SlicePlan, build_plan, resolve_intersections
from equilens.tasks._base import TaskEvaluation, TaskOptions
from equilens.tasks._multiclass import TASK
from equilens.tasks._multiclass_stats import MulticlassStats

KINDS = {r.name: r.kind for r in TASK.roles}


def stats_of(
    y_true: Any,
    y_pred: Any,
    sensitive: dict[str, Any],
    y_score: Any = None,
    sample_weight: Any = None,
    settings: dict[str, Any] | None = None,
) -> MulticlassStats:
    roles = {"y_true": y_true, "y_pred": y_pred, "y_score": y_score, "sample_weight": sample_weight}
    inputs = prepare_columns(None, roles=roles, kinds=KINDS, sensitive=sensitive)
    stats = TASK.statistics(inputs, TASK.check_settings(settings or {}))
    assert isinstance(stats, MulticlassStats)
    return stats


def options(bootstrap: int = 200, seed: int = 0, **kw: Any) -> TaskOptions:
    base: dict[str, Any] = {
        "alpha": 0.05,
        "interval_method": "auto",
        "bootstrap": bootstrap,
        "rng": np.random.default_rng(seed),
        "min_group_size": 30,
        "min_class_count": 10,
    }
    base.update(kw)
    return TaskOptions(**base)


def evaluate(
    stats: MulticlassStats,
    metrics: list[str] | None = None,
    intersections: bool = False,
    **kw: Any,
) -> tuple[SlicePlan, TaskEvaluation]:
    plan = build_plan(stats, resolve_intersections(list(stats.features), intersections))
    return plan, TASK.evaluate(stats, plan, metrics, options(**kw))


def slice_index(plan: SlicePlan, mapping: dict[str, str]) -> int:
    for i, s in enumerate(plan.slices):
        if s.mapping == mapping:
            return i
    raise KeyError(mapping)
