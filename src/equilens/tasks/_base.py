"""What a task is: its columns, its statistics, its metrics and how they are evaluated.

Every task reduces rows to small, mergeable statistics per finest cell (one pass), and its
evaluation turns those statistics, summed up to the slices of a
:class:`~equilens.slicing.SlicePlan`, into one :class:`~equilens.metrics.Evaluated` per metric.
From there on, the audit is the same for every task: result rows, fairness criteria,
comparisons with tests, effect sizes and one Holm / Benjamini-Hochberg family, the same log
(``docs/design/0009-tasks.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from equilens.data import ColumnKind, TaskInputs
from equilens.metrics import CriterionSpec, Evaluated, MetricSpec
from equilens.registry import Registry
from equilens.slicing import SlicePlan

__all__ = [
    "TASK_NAMES",
    "Role",
    "Task",
    "TaskEvaluation",
    "TaskName",
    "TaskOptions",
    "TaskStatistics",
]

TaskName = Literal["binary", "multiclass", "regression", "measure", "ranking"]
TASK_NAMES: tuple[TaskName, ...] = ("binary", "multiclass", "regression", "measure", "ranking")


@dataclass(frozen=True)
class Role:
    """One column a task reads.

    Attributes
    ----------
    name : str
        The role, as the ``audit()`` argument, the spec's ``columns:`` key and (with ``-`` for
        ``_``) the CLI flag: ``y_true`` -> ``--y-true``.
    kind : ColumnKind
        What the column must hold (:data:`equilens.data.ColumnKind`).
    required : bool
    help : str
        One line for ``--help`` and the docs.
    hint : str or None
        The task to suggest when the column holds the wrong kind of values.
    """

    name: str
    kind: ColumnKind
    required: bool
    help: str
    hint: str | None = None


@dataclass(frozen=True)
class TaskOptions:
    """The audit options a task reads, checked once by ``audit()``."""

    alpha: float
    interval_method: str
    bootstrap: int
    rng: np.random.Generator
    min_group_size: int
    min_class_count: int
    #: Task-specific settings (``k`` of a ranking, ``top_k`` of a multiclass audit, ...),
    #: validated by the task itself.
    settings: Mapping[str, Any] = field(default_factory=dict)


class TaskStatistics(Protocol):
    """Mergeable statistics per finest cell (what an engine's one pass yields for a task)."""

    @property
    def features(self) -> tuple[str, ...]: ...

    @property
    def keys(self) -> tuple[tuple[str, ...], ...]: ...

    @property
    def cell_rows(self) -> NDArray[np.int64]: ...

    @property
    def cell_weight(self) -> NDArray[np.float64]: ...

    @property
    def cell_favoured(self) -> NDArray[np.float64] | None: ...

    @property
    def weighted(self) -> bool: ...


@dataclass
class TaskEvaluation:
    """A task's metrics over every slice of a plan, and the facts the log records."""

    #: Metric name -> its values over the plan's slices, in report order. Per-class and
    #: per-k metrics are named ``base[param=value]`` (``recall_score[class=7]``).
    evaluated: dict[str, Evaluated]
    #: Rows per slice.
    n: NDArray[np.int64]
    #: Metrics whose groups are compared with their reference (tests, effect sizes, family).
    comparison_metrics: list[str]
    #: Fairness criteria over the evaluated metrics (names may carry parameters).
    criteria: list[CriterionSpec] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Task facts for the log's ``spec_resolved`` (classes, k, the cluster column, ...).
    resolved: dict[str, Any] = field(default_factory=dict)
    #: Metrics reported (the others in ``evaluated`` only feed criteria).
    reported: list[str] = field(default_factory=list)
    #: The task's own comparisons (raw rows for ``comparison_rows(extra=...)``), adjusted in
    #: the audit's one family.
    extra_comparisons: list[dict[str, Any]] = field(default_factory=list)
    #: Multiclass: K x K counts per slice for the log (``ConfusionMatrix`` fields as dicts).
    confusion_matrices: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class Task:
    """One task type: columns, statistics, metrics and evaluation.

    Attributes
    ----------
    name : TaskName
    description : str
    roles : tuple of Role
        Every column the task reads (sensitive features aside).
    metrics : Registry of MetricSpec
        The task's metrics; an entry carries its own computation.
    statistics : callable
        ``(inputs, settings) -> TaskStatistics``: the one pass over the validated rows.
    evaluate : callable
        ``(statistics, plan, metrics or None, options) -> TaskEvaluation``.
    check_settings : callable
        ``(settings) -> settings``: validates the task-specific settings (one-line errors).
    """

    name: TaskName
    description: str
    roles: tuple[Role, ...]
    metrics: Registry[MetricSpec]
    statistics: Callable[[TaskInputs, Mapping[str, Any]], TaskStatistics]
    evaluate: Callable[
        [TaskStatistics, SlicePlan, Sequence[str] | None, TaskOptions], TaskEvaluation
    ]
    check_settings: Callable[[Mapping[str, Any]], dict[str, Any]] = dict

    def role(self, name: str) -> Role:
        """The role called ``name``."""
        for r in self.roles:
            if r.name == name:
                return r
        raise KeyError(name)
