"""Orchestration: the only package that joins the steps of an audit."""

from equilens.audit._evaluate import (
    Evaluation,
    criteria_bases,
    disparity_rows,
    evaluate,
    evaluate_metrics,
    result_rows,
)
from equilens.audit._run import audit

__all__ = [
    "Evaluation",
    "audit",
    "criteria_bases",
    "disparity_rows",
    "evaluate",
    "evaluate_metrics",
    "result_rows",
]
