"""Metric and fairness-criterion registries; metrics are pure functions of statistics."""

from equilens.metrics._spec import (
    COMPARISON_METRICS,
    DEFAULT_METRICS,
    CriterionSpec,
    MetricSpec,
    criteria,
    metrics,
)

__all__ = [
    "COMPARISON_METRICS",
    "DEFAULT_METRICS",
    "CriterionSpec",
    "MetricSpec",
    "criteria",
    "metrics",
]
