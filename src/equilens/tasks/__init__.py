"""Task types: what an audit measures per unit, and how.

``binary`` (the default) is the confusion-count audit of a binary classifier; ``multiclass``,
``regression``, ``measure`` (any number per row, or a ratio of sums such as a word error
rate, optionally clustered) and ``ranking`` (per-query metrics and exposure) each define
their columns, their one-pass statistics and their metrics (:class:`Task`), and share
everything after: slices, intervals, comparisons, corrections and the log.
"""

from __future__ import annotations

import importlib

from equilens.exceptions import InvalidParameterError
from equilens.metrics import MetricSpec, base_name
from equilens.metrics import metrics as binary_metrics
from equilens.tasks._base import (
    TASK_NAMES,
    Role,
    Task,
    TaskEvaluation,
    TaskName,
    TaskOptions,
    TaskStatistics,
)

__all__ = [
    "TASK_NAMES",
    "Role",
    "Task",
    "TaskEvaluation",
    "TaskName",
    "TaskOptions",
    "TaskStatistics",
    "check_task",
    "get_task",
    "metric_spec",
]

#: The module defining each task's ``TASK`` (imported on first use: heavy tasks stay lazy).
_MODULES: dict[str, str] = {
    "multiclass": "equilens.tasks._multiclass",
    "regression": "equilens.tasks._regression",
    "measure": "equilens.tasks._measure",
    "ranking": "equilens.tasks._ranking",
}


def check_task(task: object, where: str = "audit") -> TaskName:
    """``task`` if it names a task, else the one-line parameter error."""
    if not isinstance(task, str) or task not in TASK_NAMES:
        shown = repr(task) if isinstance(task, str) else type(task).__name__
        raise InvalidParameterError(
            f"The 'task' parameter of {where} must be a str among "
            f"{{{', '.join(repr(t) for t in TASK_NAMES)}}}. Got {shown} instead."
        )
    return task


def get_task(name: str) -> Task:
    """The :class:`Task` called ``name`` (not ``binary``: that audit has its own pipeline)."""
    check_task(name)
    if name not in _MODULES:
        raise InvalidParameterError(f"Task '{name}' has no task module; it is the binary audit")
    module = importlib.import_module(_MODULES[name])
    task: Task = module.TASK
    return task


def metric_spec(name: str, task: str = "binary") -> MetricSpec | None:
    """The registry entry behind a log row's metric name in a log of ``task``; None if unknown.

    Parameters in the name (``recall_score[class=7]``) are ignored.
    """
    base = base_name(name)
    registry = binary_metrics if task == "binary" else get_task(task).metrics
    return registry.get(base) if base in registry else None
