"""Metric names: Hugging Face ``model-index`` metric types <-> equilens registry names."""

from __future__ import annotations

from equilens.metrics import criteria, metrics

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
    if key in HF_TO_EQUILENS:
        return HF_TO_EQUILENS[key], "metric"
    return None


def greater_is_better(name: str, kind: str) -> bool | None:
    """Direction of a metric or criterion: True, False, or None where neither is better."""
    if kind == "criterion":
        return criteria.get(name).statistic == "ratio"
    return metrics.get(name).greater_is_better


def is_bounded(name: str, kind: str) -> bool:
    """Whether values lie in [0, 1] (every metric but ``count``; every criterion)."""
    return not (kind == "metric" and name == "count")
