"""The metric and fairness-criterion registries.

Group metrics are pure functions of sufficient statistics. Proportions (a numerator and a
denominator set of confusion cells) get Wilson / Clopper-Pearson intervals; other confusion
metrics get bootstrap intervals; score metrics get their own (DeLong, logit, CLT, bootstrap).
Fairness criteria summarise one or more group metrics over a family of groups.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from equilens.metrics._confusion import (
    ALL,
    FN,
    FP,
    NEGATIVES,
    POSITIVES,
    PREDICTED_NEGATIVE,
    PREDICTED_POSITIVE,
    TN,
    TP,
    Cell,
)
from equilens.registry import Registry

FloatArray = NDArray[np.float64]

MetricKind = Literal["count", "proportion", "confusion", "score", "mean", "ratio", "statistic"]


@dataclass(frozen=True)
class MetricSpec:
    """A group metric and what it needs.

    Attributes
    ----------
    name: registry name, following scikit-learn / fairlearn naming.
    description: one sentence for reports.
    kind: ``count``, ``proportion`` (numerator / denominator cells), ``confusion`` (another
        function of the confusion counts), ``score`` (needs ``y_score``), ``mean`` (a mean of
        a per-unit value), ``ratio`` (a ratio of two sums, e.g. a word error rate) or
        ``statistic`` (another smooth function of sums, e.g. R^2).
    greater_is_better: direction, or None where neither is better (rates such as selection).
    numerator, denominator: the confusion cells of a proportion.
    undefined_when: the reason written when the metric is undefined.
    """

    name: str
    description: str
    kind: MetricKind
    greater_is_better: bool | None
    numerator: tuple[Cell, ...] = ()
    denominator: tuple[Cell, ...] = ()
    undefined_when: str = ""
    func: Callable[[FloatArray], FloatArray] | None = field(default=None, compare=False)
    #: The entry's own computation: ``(tables, context) -> Evaluated`` over every slice, for
    #: the task's slice tables (binary: :class:`~equilens.audit.SliceTables`). Entries
    #: without one are evaluated from ``kind`` and ``func`` by their task.
    evaluate: Callable[..., Any] | None = field(default=None, compare=False)
    #: The task whose statistics the entry reads.
    task: str = "binary"

    @property
    def needs_scores(self) -> bool:
        """Whether the metric needs ``y_score``."""
        return self.kind == "score"


def _f1(conf: FloatArray) -> FloatArray:
    tp, fp, fn = conf[..., 1, 1], conf[..., 0, 1], conf[..., 1, 0]
    den = 2 * tp + fp + fn
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, 2 * tp / np.where(den > 0, den, 1.0), np.nan)


def _balanced_accuracy(conf: FloatArray) -> FloatArray:
    pos = conf[..., 1, 0] + conf[..., 1, 1]
    neg = conf[..., 0, 0] + conf[..., 0, 1]
    ok = (pos > 0) & (neg > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        tpr = conf[..., 1, 1] / np.where(pos > 0, pos, 1.0)
        tnr = conf[..., 0, 0] / np.where(neg > 0, neg, 1.0)
    return np.where(ok, (tpr + tnr) / 2, np.nan)


metrics: Registry[MetricSpec] = Registry("metric")

# Imported here, after MetricSpec: the computations build Evaluated, which names MetricSpec.
from equilens.metrics._binary import (  # noqa: E402
    EvaluationContext,
    SliceTables,
    evaluate_auc,
    evaluate_average_precision,
    evaluate_brier,
    evaluate_calibration_error,
    evaluate_confusion,
    evaluate_count,
)

BinaryComputation = Callable[[MetricSpec, SliceTables, EvaluationContext], Any]


def _register(spec: MetricSpec, *aliases: str, computation: BinaryComputation) -> None:
    """Register a binary metric, bound to its computation: ``spec.evaluate(tables, context)``."""
    bound = functools.partial(computation, spec)
    object.__setattr__(spec, "evaluate", bound)  # frozen: bound once, at registration
    metrics.register(spec.name, spec, aliases=aliases)


_register(
    MetricSpec("count", "Number of rows (weighted where weights are given).", "count", None),
    computation=evaluate_count,
)
_register(
    MetricSpec(
        "base_rate",
        "Share of rows whose true label is the positive label.",
        "proportion",
        None,
        POSITIVES,
        ALL,
        "the group is empty",
    ),
    "prevalence",
    computation=evaluate_confusion,
)
_register(
    MetricSpec(
        "selection_rate",
        "Share of rows predicted positive.",
        "proportion",
        None,
        PREDICTED_POSITIVE,
        ALL,
        "the group is empty",
    ),
    computation=evaluate_confusion,
)
_register(
    MetricSpec(
        "accuracy_score",
        "Share of rows predicted correctly.",
        "proportion",
        True,
        (TN, TP),
        ALL,
        "the group is empty",
    ),
    "accuracy",
    computation=evaluate_confusion,
)
_register(
    MetricSpec(
        "balanced_accuracy_score",
        "Mean of true positive and true negative rates.",
        "confusion",
        True,
        undefined_when="the group lacks positives or negatives",
        func=_balanced_accuracy,
    ),
    "balanced_accuracy",
    computation=evaluate_confusion,
)
_register(
    MetricSpec(
        "precision_score",
        "Share of predicted positives that are truly positive (PPV).",
        "proportion",
        True,
        (TP,),
        PREDICTED_POSITIVE,
        "no row of the group is predicted positive",
    ),
    "precision",
    "positive_predictive_value",
    computation=evaluate_confusion,
)
_register(
    MetricSpec(
        "true_positive_rate",
        "Share of true positives predicted positive (recall, sensitivity).",
        "proportion",
        True,
        (TP,),
        POSITIVES,
        "the group has no positive rows",
    ),
    "recall",
    "recall_score",
    "tpr",
    computation=evaluate_confusion,
)
_register(
    MetricSpec(
        "false_positive_rate",
        "Share of true negatives predicted positive.",
        "proportion",
        False,
        (FP,),
        NEGATIVES,
        "the group has no negative rows",
    ),
    "fpr",
    computation=evaluate_confusion,
)
_register(
    MetricSpec(
        "false_negative_rate",
        "Share of true positives predicted negative.",
        "proportion",
        False,
        (FN,),
        POSITIVES,
        "the group has no positive rows",
    ),
    "fnr",
    computation=evaluate_confusion,
)
_register(
    MetricSpec(
        "true_negative_rate",
        "Share of true negatives predicted negative (specificity).",
        "proportion",
        True,
        (TN,),
        NEGATIVES,
        "the group has no negative rows",
    ),
    "tnr",
    "specificity",
    computation=evaluate_confusion,
)
_register(
    MetricSpec(
        "negative_predictive_value",
        "Share of predicted negatives that are truly negative.",
        "proportion",
        True,
        (TN,),
        PREDICTED_NEGATIVE,
        "no row of the group is predicted negative",
    ),
    "npv",
    computation=evaluate_confusion,
)
_register(
    MetricSpec(
        "f1_score",
        "Harmonic mean of precision and recall.",
        "confusion",
        True,
        undefined_when="the group has no positive rows and no positive predictions",
        func=_f1,
    ),
    "f1",
    computation=evaluate_confusion,
)
_register(
    MetricSpec(
        "roc_auc_score",
        "Probability that a random positive scores above a random negative (ties count half).",
        "score",
        True,
        undefined_when="the group lacks positives or negatives",
    ),
    "roc_auc",
    "auc",
    computation=evaluate_auc,
)
_register(
    MetricSpec(
        "average_precision_score",
        "Area under the precision-recall curve (step-wise, as scikit-learn).",
        "score",
        True,
        undefined_when="the group has no positive rows",
    ),
    "average_precision",
    computation=evaluate_average_precision,
)
_register(
    MetricSpec(
        "brier_score_loss",
        "Mean squared difference between score and true label.",
        "score",
        False,
        undefined_when="the group is empty",
    ),
    "brier_score",
    computation=evaluate_brier,
)
_register(
    MetricSpec(
        "expected_calibration_error",
        "Weighted mean gap between mean score and positive share over 10 equal-width bins.",
        "score",
        False,
        undefined_when="the group is empty",
    ),
    "ece",
    computation=evaluate_calibration_error,
)

#: The metrics of an audit when none are chosen.
DEFAULT_METRICS: tuple[str, ...] = tuple(metrics.names())


@dataclass(frozen=True)
class CriterionSpec:
    """A fairness criterion: a disparity of one or more group metrics across a family.

    ``statistic`` is ``difference`` (the largest gap; 0 is parity) or ``ratio`` (the smallest
    ratio; 1 is parity). With several base metrics the worst one counts (equalized odds).
    """

    name: str
    description: str
    base_metrics: tuple[str, ...]
    statistic: Literal["difference", "ratio"]
    threshold_note: str = ""


criteria: Registry[CriterionSpec] = Registry("fairness criterion")

for _spec in (
    CriterionSpec(
        "demographic_parity_difference",
        "Gap in selection rates (demographic parity).",
        ("selection_rate",),
        "difference",
    ),
    CriterionSpec(
        "demographic_parity_ratio",
        "Ratio of selection rates (demographic parity).",
        ("selection_rate",),
        "ratio",
    ),
    CriterionSpec(
        "disparate_impact_ratio",
        "Ratio of selection rates; below 0.8 fails the four-fifths rule.",
        ("selection_rate",),
        "ratio",
        "four-fifths rule: a ratio below 0.8 indicates adverse impact",
    ),
    CriterionSpec(
        "equal_opportunity_difference",
        "Gap in true positive rates (equal opportunity).",
        ("true_positive_rate",),
        "difference",
    ),
    CriterionSpec(
        "equal_opportunity_ratio",
        "Ratio of true positive rates (equal opportunity).",
        ("true_positive_rate",),
        "ratio",
    ),
    CriterionSpec(
        "equalized_odds_difference",
        "Larger of the gaps in true and false positive rates (equalized odds).",
        ("true_positive_rate", "false_positive_rate"),
        "difference",
    ),
    CriterionSpec(
        "equalized_odds_ratio",
        "Smaller of the ratios of true and false positive rates (equalized odds).",
        ("true_positive_rate", "false_positive_rate"),
        "ratio",
    ),
    CriterionSpec(
        "predictive_parity_difference",
        "Gap in precision (predictive parity).",
        ("precision_score",),
        "difference",
    ),
    CriterionSpec(
        "false_positive_rate_difference",
        "Gap in false positive rates (FPR balance).",
        ("false_positive_rate",),
        "difference",
    ),
    CriterionSpec(
        "false_negative_rate_difference",
        "Gap in false negative rates (FNR balance).",
        ("false_negative_rate",),
        "difference",
    ),
    CriterionSpec(
        "accuracy_difference",
        "Gap in accuracy.",
        ("accuracy_score",),
        "difference",
    ),
    CriterionSpec(
        "calibration_within_groups_difference",
        "Gap in expected calibration error (calibration within groups).",
        ("expected_calibration_error",),
        "difference",
    ),
    CriterionSpec(
        "roc_auc_difference",
        "Gap in ROC-AUC.",
        ("roc_auc_score",),
        "difference",
    ),
):
    criteria.register(_spec.name, _spec)

#: Group metrics compared against each family's reference group, with tests.
COMPARISON_METRICS: tuple[str, ...] = (
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "precision_score",
    "accuracy_score",
    "roc_auc_score",
)
