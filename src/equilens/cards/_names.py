"""Metric names: Hugging Face ``model-index`` metric types <-> equilens registry names."""

from __future__ import annotations

from equilens.metrics import criteria, metrics
from equilens.results import (
    base_name,
    is_unit_metric,
    metric_name,
    metric_params,
    task_metric_spec,
    task_of_metric,
    value_range,
)

#: Hugging Face ``model-index`` metric ``type`` (and common spellings) -> equilens metric.
HF_TO_EQUILENS: dict[str, str] = {
    "accuracy": "accuracy_score",
    "acc": "accuracy_score",
    "balanced_accuracy": "balanced_accuracy_score",
    "f1": "f1_score",
    "f1_score": "f1_score",
    "precision": "precision_score",
    "ppv": "precision_score",
    "recall": "true_positive_rate",
    "sensitivity": "true_positive_rate",
    "tpr": "true_positive_rate",
    "true_positive_rate": "true_positive_rate",
    "specificity": "true_negative_rate",
    "tnr": "true_negative_rate",
    "fpr": "false_positive_rate",
    "false_positive_rate": "false_positive_rate",
    "fnr": "false_negative_rate",
    "miss_rate": "false_negative_rate",
    "npv": "negative_predictive_value",
    "roc_auc": "roc_auc_score",
    "auc": "roc_auc_score",
    "auroc": "roc_auc_score",
    "average_precision": "average_precision_score",
    "pr_auc": "average_precision_score",
    "brier_score": "brier_score_loss",
    "brier": "brier_score_loss",
    "ece": "expected_calibration_error",
    "selection_rate": "selection_rate",
    "positive_rate": "selection_rate",
    "base_rate": "base_rate",
    "prevalence": "base_rate",
}

#: Common names of the other tasks' metrics (regression, ranking) -> the row names they write.
TASK_ALIASES: dict[str, str] = {
    "mae": "mean_absolute_error",
    "mean_absolute_error": "mean_absolute_error",
    "rmse": "root_mean_squared_error",
    "root_mean_squared_error": "root_mean_squared_error",
    "r2": "r2_score",
    "r_squared": "r2_score",
    "bias": "mean_error",
    "mean_error": "mean_error",
    "mrr": "mean_reciprocal_rank",
    "ndcg": "ndcg_score",
    "top_k_accuracy": "top_k_accuracy_score",
}

#: equilens metric -> the Hugging Face metric ``type`` written into generated cards.
EQUILENS_TO_HF: dict[str, str] = {
    "accuracy_score": "accuracy",
    "balanced_accuracy_score": "balanced_accuracy",
    "f1_score": "f1",
    "precision_score": "precision",
    "true_positive_rate": "recall",
    "true_negative_rate": "specificity",
    "false_positive_rate": "fpr",
    "false_negative_rate": "fnr",
    "negative_predictive_value": "npv",
    "roc_auc_score": "roc_auc",
    "average_precision_score": "average_precision",
    "brier_score_loss": "brier_score",
    "expected_calibration_error": "ece",
    "selection_rate": "selection_rate",
    "base_rate": "base_rate",
    "count": "count",
}


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def resolve_metric(name: str) -> tuple[str, str] | None:
    """The equilens name of a claimed metric and its kind (``metric`` or ``criterion``).

    Accepts equilens registry names (metrics and fairness criteria) and Hugging Face metric
    types (``accuracy``, ``f1``, ``recall``, ``roc_auc``, ...); None when unknown.
    """
    key = _key(name)
    if key in HF_TO_EQUILENS:
        return HF_TO_EQUILENS[key], "metric"
    if key in metrics:
        return metrics.canonical(key), "metric"
    if key in criteria:
        return criteria.canonical(key), "criterion"
    return _task_metric(key)


def _task_metric(key: str) -> tuple[str, str] | None:
    """A row name of another task (``recall_score[class=7]``, ``mean_absolute_error``, ``mae``,
    ``ndcg[k=10]``) or a per-class criterion; None when no task writes such rows."""
    base, params = base_name(key), metric_params(key)
    base = TASK_ALIASES.get(base, base)
    if params and base in criteria:
        return metric_name(criteria.canonical(base), **params), "criterion"
    tasks = task_of_metric(base)
    if base in TASK_ALIASES.values() or any(t != "binary" for t in tasks) or (params and tasks):
        return metric_name(base, **params), "metric"
    return None


def greater_is_better(name: str, kind: str) -> bool | None:
    """Direction of a metric or criterion: True, False, or None where neither is better."""
    if kind == "criterion":
        return criteria.get(base_name(name)).statistic == "ratio"
    if name in metrics:
        return metrics.get(name).greater_is_better
    for task in task_of_metric(name):
        spec = task_metric_spec(name, task)
        if spec is not None:
            return spec.greater_is_better
    return _DIRECTIONS.get(base_name(name))


#: Directions of the other tasks' metrics when their task module is not installed.
_DIRECTIONS: dict[str, bool | None] = {
    "mean_absolute_error": False,
    "root_mean_squared_error": False,
    "r2_score": True,
    "mean_error": None,
}


def is_bounded(name: str, kind: str) -> bool:
    """Whether values lie in [0, 1] (every binary metric but ``count``; every criterion; the
    other tasks' shares, AUCs and ranking metrics, not their errors or means)."""
    if kind == "criterion":
        return True
    if name in metrics or (base_name(name) in metrics and name != base_name(name)):
        return name != "count"
    return is_unit_metric(name) or value_range(name) == (0.0, 1.0)
