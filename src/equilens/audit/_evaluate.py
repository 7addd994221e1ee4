"""``evaluate()``: everything an audit does after the engine pass.

finest-cell statistics + a slice plan -> slice tables and bootstrap draws -> metrics with
intervals -> result rows -> fairness criteria -> comparisons with tests (one Holm /
Benjamini-Hochberg family). :func:`equilens.audit.audit` is the engine pass followed by this
step; compare, monitor and probes read its rows, so every path states the same numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilens.audit._compare import comparison_rows
from equilens.audit._criteria import criterion_rows
from equilens.audit._rows import result_rows
from equilens.metrics import (
    COMPARISON_METRICS,
    BinaryContext,
    CriterionSpec,
    Evaluated,
    SliceTables,
    criteria,
)
from equilens.metrics import metrics as metric_registry
from equilens.results import Comparison, Disparity, MetricResult
from equilens.slicing import SlicePlan
from equilens.stats import CellStats

__all__ = [
    "Evaluation",
    "criteria_bases",
    "disparity_rows",
    "evaluate",
    "evaluate_metrics",
]

BoolArray = NDArray[np.bool_]


@dataclass
class Evaluation:
    """What :func:`evaluate` returns: the evaluated metrics and the rows of the audit log.

    Attributes
    ----------
    tables : SliceTables
        The statistics summed up to every slice (and their bootstrap draws).
    evaluated : dict of str to Evaluated
        Every metric evaluated: the chosen ones and the bases of the fairness criteria.
    results : list of MetricResult
        One row per chosen metric and slice (the log's ``results``).
    disparities : list of Disparity
        The fairness criteria (the log's ``disparities``).
    comparisons : list of Comparison
        Each group against its family's reference, with tests (the log's ``comparisons``).
    family : dict
        The multiple-comparison family (the log's ``multiple_comparisons``).
    comparison_metrics : list of str
        The metrics compared.
    insufficient : ndarray of bool
        Slices below the minimum group size.
    timings : dict of str to float
        Seconds per step (``bootstrap``, ``metrics``, ``criteria``, ``comparisons``).
    """

    tables: SliceTables
    evaluated: dict[str, Evaluated]
    results: list[MetricResult]
    disparities: list[Disparity]
    comparisons: list[Comparison]
    family: dict[str, Any]
    comparison_metrics: list[str]
    insufficient: BoolArray
    timings: dict[str, float] = field(default_factory=dict)


def criteria_bases(
    chosen: Sequence[str], specs: Iterable[CriterionSpec] | None = None
) -> list[str]:
    """Base metrics of the fairness criteria that the chosen metrics' inputs allow.

    Criteria on score metrics count only when a chosen metric needs scores (so ``y_score``
    was given).
    """
    scores = any(metric_registry.get(m).needs_scores for m in chosen)
    out: list[str] = []
    for spec in specs if specs is not None else (criteria.get(c) for c in criteria.names()):
        for base in spec.base_metrics:
            if metric_registry.get(base).needs_scores and not scores:
                continue
            out.append(base)
    return out


def evaluate_metrics(
    names: Sequence[str],
    tables: SliceTables,
    alpha: float,
    interval_method: str,
    *,
    bootstrap: int = 0,
    rng: np.random.Generator | None = None,
) -> dict[str, Evaluated]:
    """Each named binary metric evaluated on every slice, by its registry entry's computation.

    A metric whose test reads a variance (ROC-AUC: DeLong's) gets ``bootstrap`` normal draws
    from it (``draws_kind="parametric"``) for the criteria intervals, from ``rng``.
    """
    context = BinaryContext(alpha, interval_method)
    out: dict[str, Evaluated] = {}
    for name in names:
        spec = metric_registry.get(name)
        if spec.evaluate is None:
            raise ValueError(f"metric '{spec.name}' has no computation for binary slice tables")
        out[name] = spec.evaluate(tables, context)
    for ev in out.values():
        if ev.variance is not None and ev.draws is None and bootstrap > 0 and rng is not None:
            sd = np.sqrt(np.where(np.isfinite(ev.variance), ev.variance, np.nan))
            ev.draws = rng.normal(ev.value, sd, size=(bootstrap, ev.value.shape[0]))
            ev.draws_kind = "parametric"
    return out


def disparity_rows(
    plan: SlicePlan,
    evaluated: Mapping[str, Evaluated],
    insufficient: BoolArray,
    alpha: float,
    specs: Iterable[CriterionSpec] | None = None,
) -> list[Disparity]:
    """The rows of every fairness criterion whose base metrics were evaluated."""
    rows: list[Disparity] = []
    for spec in specs if specs is not None else (criteria.get(c) for c in criteria.names()):
        if all(b in evaluated for b in spec.base_metrics):
            rows.extend(criterion_rows(spec, plan, evaluated, insufficient, alpha))
    return rows


def evaluate(
    stats: CellStats,
    plan: SlicePlan,
    metrics: Sequence[str],
    *,
    weighted: bool,
    alpha: float = 0.05,
    interval_method: str = "auto",
    bootstrap: int = 1000,
    rng: np.random.Generator | None = None,
    min_group_size: int = 30,
    min_class_count: int = 10,
    underpowered_gap: float = 0.10,
    progress: Callable[[str], None] | None = None,
) -> Evaluation:
    """Evaluate a binary audit from its finest-cell statistics and slice plan.

    Parameters
    ----------
    stats : CellStats
        Finest-cell statistics from one engine pass (:func:`equilens.engines.compute_statistics`).
    plan : SlicePlan
        The slices, families and references (:func:`equilens.slicing.build_plan`).
    metrics : sequence of str
        Canonical names of the metrics to report (score metrics only when ``stats`` has
        scores); the bases of the fairness criteria are evaluated as well.
    weighted : bool
        Whether rows carry sample weights (the result rows then give ``weighted_n``).
    alpha, interval_method, bootstrap, min_group_size, min_class_count, underpowered_gap
        As in :func:`equilens.audit.audit` (``alpha`` is ``1 - confidence_level``).
    rng : numpy.random.Generator, optional
        Source of the bootstrap draws; ``audit()`` passes ``default_rng(seed)``, so an
        evaluation from the same statistics, plan and seed gives the audit's numbers.
    progress : callable, optional
        Called with the name of each step as it starts.

    Returns
    -------
    Evaluation
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    timings: dict[str, float] = {}
    clock = [time.perf_counter()]

    def step(name: str) -> None:
        if progress is not None:
            progress(name)
        clock[0] = time.perf_counter()

    def done(name: str) -> None:
        timings[name] = round(time.perf_counter() - clock[0], 6)

    step("bootstrap")
    tables = SliceTables.build(stats, plan.membership, bootstrap, rng)
    done("bootstrap")

    step("metrics")
    chosen = list(metrics)
    insufficient: BoolArray = tables.n < min_group_size
    needed = list(dict.fromkeys([*chosen, *criteria_bases(chosen)]))
    evaluated = evaluate_metrics(
        needed, tables, alpha, interval_method, bootstrap=bootstrap, rng=rng
    )
    results = result_rows(plan, tables.n, [evaluated[m] for m in chosen], insufficient, weighted)
    done("metrics")

    step("criteria")
    disparities = disparity_rows(plan, evaluated, insufficient, alpha)
    done("criteria")

    step("comparisons")
    comp_metrics = [m for m in COMPARISON_METRICS if m in evaluated]
    comparisons, family = comparison_rows(
        plan,
        evaluated,
        comp_metrics,
        insufficient,
        tables.n,
        alpha,
        interval_method,
        underpowered_gap,
        min_class_count,
    )
    done("comparisons")
    return Evaluation(
        tables=tables,
        evaluated=evaluated,
        results=results,
        disparities=disparities,
        comparisons=comparisons,
        family=family,
        comparison_metrics=comp_metrics,
        insufficient=insufficient,
        timings=timings,
    )
