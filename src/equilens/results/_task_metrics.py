"""What a reader knows about a log row's metric, whatever the log's task.

Readers of the log (reports, the gate, compare, monitor, claim checks, log validation) key rows
by metric name. Non-binary tasks name rows ``base[param=value]`` (``recall_score[class=7]``,
``ndcg_score[k=10]``) after their own registries; these helpers find a row's registry entry
and the names a policy may use without importing a task module that is not installed, and
never assume a list of names is exhaustive: an unknown name is shown as written.
"""

from __future__ import annotations

import math
from functools import cache

from equilens.metrics import MetricSpec, base_name, metric_name, metric_params
from equilens.metrics import metrics as binary_metrics
from equilens.registry import Registry

__all__ = [
    "TASKS",
    "base_name",
    "describe_params",
    "is_unit_metric",
    "metric_name",
    "metric_params",
    "task_metric_names",
    "task_metric_spec",
    "task_of_metric",
    "value_range",
]

#: The tasks an audit log may record (``AuditLog.task``), binary first.
TASKS: tuple[str, ...] = ("binary", "multiclass", "regression", "measure", "ranking")

#: Metrics (base names) whose values are shares or areas in [0, 1] in every task that
#: writes them. Not exhaustive: a metric missing here simply gets no range check.
_UNIT_INTERVAL = frozenset(
    {
        "accuracy_score",
        "balanced_accuracy_score",
        "f1_score",
        "precision_score",
        "recall_score",
        "selection_rate",
        "false_positive_rate",
        "top_k_accuracy_score",
        "roc_auc_score",
        "ndcg_score",
        "precision_at_k",
        "recall_at_k",
        "mean_reciprocal_rank",
        "exposure_share",
        "relevance_share",
        "expected_maximum_toxicity",
        "toxicity_probability",
        "mean_toxicity",
    }
)
#: Metrics (base names) of non-binary tasks with a one-sided range.
_OTHER_RANGES: dict[str, tuple[float, float]] = {
    "count": (0.0, math.inf),
    "mean_absolute_error": (0.0, math.inf),
    "root_mean_squared_error": (0.0, math.inf),
    "disparate_exposure": (0.0, math.inf),
    "r2_score": (-math.inf, 1.0),
}


@cache
def _registry(task: str) -> Registry[MetricSpec] | None:
    """The metric registry of ``task``; None when its module is not installed."""
    if task == "binary":
        return binary_metrics
    try:
        from equilens.tasks import get_task

        return get_task(task).metrics
    except (ImportError, AttributeError, ValueError):
        # A task module that is not installed (or a name no task has): nothing is known.
        return None


def task_metric_spec(name: str, task: str = "binary") -> MetricSpec | None:
    """The registry entry behind a row's metric ``name`` in a log of ``task``; None if unknown.

    Parameters in the name are ignored (``recall_score[class=7]`` -> ``recall_score``).
    """
    registry = _registry(task)
    base = base_name(name)
    return registry.get(base) if registry is not None and base in registry else None


def task_metric_names(task: str) -> list[str]:
    """The registered metric names of ``task`` (empty when its module is absent)."""
    registry = _registry(task)
    return [] if registry is None else registry.names()


def task_of_metric(name: str) -> list[str]:
    """The tasks whose registry has the base name of ``name`` (binary first)."""
    base = base_name(name)
    return [t for t in TASKS if (r := _registry(t)) is not None and base in r]


def is_unit_metric(name: str) -> bool:
    """Whether a non-binary row's metric lies in [0, 1] (a share, rate or area)."""
    return base_name(name) in _UNIT_INTERVAL


def value_range(name: str) -> tuple[float, float] | None:
    """The range of a non-binary row's value; None when none is known."""
    base = base_name(name)
    if base in _UNIT_INTERVAL:
        return (0.0, 1.0)
    return _OTHER_RANGES.get(base)


def describe_params(name: str) -> str:
    """``class 7``, ``k = 10``, ``macro average``: a row name's parameters in words."""
    parts: list[str] = []
    for key, value in metric_params(name).items():
        if key == "average":
            parts.append(f"{value} average")
        elif key == "k":
            parts.append(f"top {value}")
        elif key == "item_group":
            parts.append(f"item group {value}")
        else:
            parts.append(f"{key} {value}")
    return ", ".join(parts)
