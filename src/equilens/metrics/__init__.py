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
from equilens.metrics._continuous import (
    REGRESSION_QUANTITIES,
    VALUE_MEANS,
    RankHistogram,
    UnitContext,
    evaluate_all,
    measure_metrics,
    regression_metrics,
)
from equilens.metrics._evaluated import Evaluated
from equilens.metrics._multiclass import MulticlassTables, class_sums
from equilens.metrics._multiclass import metrics as multiclass_metrics
from equilens.metrics._names import base_name, metric_name, metric_params
from equilens.metrics._ranking import (
    ITEM_GROUP_METRICS,
    USER_METRICS,
    RankingContext,
    order_within_queries,
    per_query,
    quantity_names,
)
from equilens.metrics._ranking import evaluate_metrics as evaluate_ranking_metrics
from equilens.metrics._ranking import metrics as ranking_metrics
from equilens.metrics._scores import (
    auc_difference_test,
    auc_interval,
    calibration_curve_from_table,
    delong_variance_from_hist,
    roc_auc_from_hist,
    roc_curve_from_hist,
)

__all__ = [
    "ALL",
    "COMPARISON_METRICS",
    "DEFAULT_METRICS",
    "ITEM_GROUP_METRICS",
    "NEGATIVES",
    "POSITIVES",
    "REGRESSION_QUANTITIES",
    "USER_METRICS",
    "VALUE_MEANS",
    "BinaryContext",
    "CriterionSpec",
    "Evaluated",
    "EvaluationContext",
    "MetricSpec",
    "MulticlassTables",
    "RankHistogram",
    "RankingContext",
    "SliceTables",
    "UnitContext",
    "auc_difference_test",
    "auc_interval",
    "base_name",
    "calibration_curve_from_table",
    "cell_sum",
    "class_sums",
    "criteria",
    "delong_variance_from_hist",
    "evaluate_all",
    "evaluate_confusion_metric",
    "evaluate_ranking_metrics",
    "measure_metrics",
    "metric_name",
    "metric_params",
    "metrics",
    "multiclass_metrics",
    "order_within_queries",
    "per_query",
    "proportion_parts",
    "quantity_names",
    "ranking_metrics",
    "regression_metrics",
    "roc_auc_from_hist",
    "roc_curve_from_hist",
]
