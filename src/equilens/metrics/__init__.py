"""Metric and fairness-criterion registries; metrics are pure functions of statistics."""

# _spec first: it defines MetricSpec before the computations that build Evaluated are imported.
from equilens.metrics._spec import (
    COMPARISON_METRICS,
    DEFAULT_METRICS,
    CriterionSpec,
    MetricSpec,
    criteria,
    metrics,
)

# isort: split
from equilens.metrics._binary import BinaryContext, EvaluationContext, SliceTables
from equilens.metrics._confusion import (
    ALL,
    NEGATIVES,
    POSITIVES,
    cell_sum,
    evaluate_confusion_metric,
    proportion_parts,
)
from equilens.metrics._evaluated import Evaluated
from equilens.metrics._names import base_name, metric_name, metric_params
from equilens.metrics._scores import auc_interval, delong_variance_from_hist, roc_auc_from_hist

__all__ = [
    "ALL",
    "COMPARISON_METRICS",
    "DEFAULT_METRICS",
    "NEGATIVES",
    "POSITIVES",
    "BinaryContext",
    "CriterionSpec",
    "Evaluated",
    "EvaluationContext",
    "MetricSpec",
    "SliceTables",
    "auc_interval",
    "base_name",
    "cell_sum",
    "criteria",
    "delong_variance_from_hist",
    "evaluate_confusion_metric",
    "metric_name",
    "metric_params",
    "metrics",
    "proportion_parts",
    "roc_auc_from_hist",
]
