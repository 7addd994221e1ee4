"""The multiclass task: K x K confusion counts per cell, per-class and averaged metrics.

See ``docs/design/0010-multiclass.md``. Statistics: :mod:`equilens.tasks._multiclass_stats`;
metrics: :mod:`equilens.metrics._multiclass`. Per-class fairness criteria are the binary
criteria applied to one class at a time: demographic parity on ``selection_rate[class=c]``
and equal opportunity on ``recall_score[class=c]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilens.exceptions import InvalidParameterError
from equilens.metrics._evaluated import Evaluated
from equilens.metrics._multiclass import MulticlassTables, class_sums, metrics
from equilens.metrics._names import base_name, metric_name
from equilens.metrics._spec import CriterionSpec
from equilens.slicing._plan import SlicePlan
from equilens.tasks._base import Role, Task, TaskEvaluation, TaskOptions, TaskStatistics
from equilens.tasks._multiclass_draws import draw_class_sums
from equilens.tasks._multiclass_stats import (
    MulticlassStats,
    check_settings,
    multiclass_statistics,
)

FloatArray = NDArray[np.float64]

__all__ = ["TASK", "evaluate_multiclass", "per_class_criteria"]

#: Metrics whose groups are compared with their family's reference (tests, Holm/BH family).
#: Per-class precision and FPR, micro F1 (= accuracy) and weighted F1 are reported only:
#: each compared row costs the family power.
COMPARED = (
    "accuracy_score",
    "balanced_accuracy_score",
    "f1_score[average=macro]",
    "recall_score",
    "selection_rate",
    "top_k_accuracy_score",
    "roc_auc_score",
)
#: Metrics that need class scores.
_SCORE_METRICS = ("top_k_accuracy_score", "roc_auc_score")
#: Non-proportions: their intervals need the bootstrap draws.
_BOOTSTRAPPED = ("balanced_accuracy_score", "f1_score")


def per_class_criteria(classes: Sequence[str]) -> list[CriterionSpec]:
    """Demographic parity and equal opportunity of each class (difference and ratio)."""
    out: list[CriterionSpec] = []
    for c in classes:
        sel = metric_name("selection_rate", **{"class": c})
        rec = metric_name("recall_score", **{"class": c})
        for stat in ("difference", "ratio"):
            out.append(
                CriterionSpec(
                    metric_name(f"demographic_parity_{stat}", **{"class": c}),
                    f"{stat.capitalize()} of the share of rows predicted as class {c} "
                    "(demographic parity of the class).",
                    (sel,),
                    stat,
                )
            )
            out.append(
                CriterionSpec(
                    metric_name(f"equal_opportunity_{stat}", **{"class": c}),
                    f"{stat.capitalize()} of the recall of class {c} (equal opportunity of "
                    "the class).",
                    (rec,),
                    stat,
                )
            )
    return out


def _wanted(requested: Sequence[str] | None) -> tuple[list[str], set[str] | None]:
    """Registry names to compute, and the full row names asked for (None: every row)."""
    if requested is None:
        return list(metrics.names()), None
    bases: list[str] = []
    rows: set[str] = set()
    for name in requested:
        base = base_name(name)
        if base not in metrics:
            raise InvalidParameterError(
                f"Unknown multiclass metric '{name}'; available: {', '.join(metrics.names())} "
                "(per-class rows as recall_score[class=c], F1 as f1_score[average=macro])"
            )
        base = metrics.canonical(base)
        if base not in bases:
            bases.append(base)
        rows.add(name if name != base_name(name) else base)
    return [b for b in metrics.names() if b in bases], rows  # report in registry order


#: Most drawn per-class sums kept (draws x slices x 3K, float64: 512 MiB).
MAX_DRAW_ENTRIES = 1 << 26
#: Fewest draws worth a percentile interval; below, the bootstrap is left out.
MIN_DRAWS = 200


def affordable_draws(requested: int, n_slices: int, n_classes: int) -> int:
    """Draws of the per-class sums within :data:`MAX_DRAW_ENTRIES` (0: too few to be useful)."""
    fits = MAX_DRAW_ENTRIES // max(n_slices * 3 * n_classes, 1)
    if fits >= requested:
        return requested
    return fits if fits >= MIN_DRAWS else 0


def _tables(
    stats: MulticlassStats, plan: SlicePlan, options: TaskOptions, draws: int
) -> MulticlassTables:
    m = plan.membership

    def up(a: NDArray[Any]) -> FloatArray:
        return np.asarray(np.tensordot(m, a.astype(np.float64), axes=(1, 0)), dtype=np.float64)

    t = MulticlassTables(
        classes=stats.classes,
        rows=np.rint(up(stats.rows)).astype(np.int64),
        sums=up(class_sums(stats.wsum)),
        sums_sq=up(class_sums(stats.wsq)),
        draws=draw_class_sums(stats, m, draws, options.rng) if draws else None,
        alpha=options.alpha,
        interval_method=options.interval_method,
        top_k=stats.top_k,
    )
    if not draws and options.bootstrap > 0:
        t.no_draws_reason = (
            f"the count-level bootstrap of {stats.n_classes} classes over {plan.n_slices} "
            "slices exceeds the memory cap (see the warnings)"
        )
    if stats.has_scores:
        assert stats.topk_wsum is not None and stats.topk_wsq is not None
        assert stats.score_hist is not None
        t.topk_wsum, t.topk_wsq = up(stats.topk_wsum), up(stats.topk_wsq)
        t.score_hist = up(stats.score_hist)
        t.score_mixed = stats.score_mixed
    return t


def _confusion_matrices(
    stats: MulticlassStats, plan: SlicePlan, t: MulticlassTables
) -> list[dict[str, Any]]:
    chosen = [0] + [g for f in plan.families if len(f.features) == 1 for g in f.members]
    counts = np.tensordot(plan.membership[chosen], stats.wsum, axes=(1, 0))
    return [
        {
            "slice": plan.slices[s].mapping,
            "n": int(t.n[s]),
            "labels": list(stats.classes),
            "counts": counts[i].tolist(),
        }
        for i, s in enumerate(chosen)
    ]


def evaluate_multiclass(
    stats: TaskStatistics,
    plan: SlicePlan,
    requested: Sequence[str] | None,
    options: TaskOptions,
) -> TaskEvaluation:
    """Every multiclass metric over the plan's slices, the per-class criteria and facts."""
    if not isinstance(stats, MulticlassStats):
        raise TypeError("the multiclass evaluation needs MulticlassStats")
    bases, rows = _wanted(requested)
    warnings: list[str] = []
    if not stats.has_scores:
        asked = [b for b in bases if b in _SCORE_METRICS]
        if requested is not None and asked:
            warnings.append(
                f"{', '.join(asked)} need class scores (y_score, one column per class): "
                "not computed"
            )
        bases = [b for b in bases if b not in _SCORE_METRICS]
    k = stats.n_classes
    if stats.has_scores and stats.top_k >= k and "top_k_accuracy_score" in bases:
        warnings.append(
            f"top_k = {stats.top_k} is not below the number of classes ({k}): top-k accuracy "
            "is 1 by construction and is not compared"
        )
    boot = any(b in _BOOTSTRAPPED for b in bases) or options.interval_method == "bootstrap"
    draws = affordable_draws(options.bootstrap, plan.n_slices, k) if boot else 0
    if boot and draws < options.bootstrap:
        need = options.bootstrap * plan.n_slices * 3 * k * 8 / 2**30
        warnings.append(
            f"The count-level bootstrap of {options.bootstrap} draws of {k} classes over "
            f"{plan.n_slices} slices would hold {need:.1f} GiB: "
            + (
                f"{draws} draws are used"
                if draws
                else "balanced accuracy and F1 averages get no interval (pass fewer slices)"
            )
        )
    t = _tables(stats, plan, options, draws=draws)
    # The per-class criteria read selection rates and recalls even when not reported.
    evaluated: dict[str, Evaluated] = {}
    for base in dict.fromkeys([*bases, "selection_rate", "recall_score"]):
        spec = metrics.get(base)
        assert spec.evaluate is not None
        evaluated.update(spec.evaluate(spec, t))
    reported = [
        name for name in evaluated if rows is None or name in rows or base_name(name) in rows
    ]
    trivial_top_k = stats.top_k >= k
    comparison = [
        name
        for name in reported
        if (name in COMPARED or base_name(name) in COMPARED)
        and not (trivial_top_k and base_name(name) == "top_k_accuracy_score")
    ]
    resolved: dict[str, Any] = {"classes": list(stats.classes)}
    if stats.has_scores:
        assert stats.score_hist is not None
        resolved.update(top_k=stats.top_k, score_bins=int(stats.score_hist.shape[-1]))
    return TaskEvaluation(
        evaluated=evaluated,
        n=t.n,
        comparison_metrics=comparison,
        criteria=per_class_criteria(stats.classes),
        warnings=warnings,
        resolved=resolved,
        reported=reported,
        confusion_matrices=_confusion_matrices(stats, plan, t),
    )


def _statistics(inputs: Any, settings: Mapping[str, Any]) -> TaskStatistics:
    return multiclass_statistics(inputs, settings)


TASK = Task(
    name="multiclass",
    description=(
        "A classifier with K classes: accuracy, balanced accuracy, F1 (macro, micro, weighted), "
        "per-class precision, recall, false positive and selection rates; top-k accuracy and "
        "one-vs-rest ROC-AUC when class scores are given."
    ),
    roles=(
        Role("y_true", "labels", True, "True class of each row."),
        Role("y_pred", "labels", True, "Predicted class of each row."),
        Role(
            "y_score",
            "number",
            False,
            "Class scores in [0, 1]: one column per class, in sorted class order.",
        ),
        Role("sample_weight", "count", False, "Row weights (>= 0)."),
    ),
    metrics=metrics,
    statistics=_statistics,
    evaluate=evaluate_multiclass,
    check_settings=check_settings,
)
