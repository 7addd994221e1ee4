"""Orchestration: the only package that joins the steps of an audit."""

from equilens.audit._compare import _correct_for_reference_choice as correct_for_reference_choice
from equilens.audit._compare import reference_choice_correction
from equilens.audit._criteria import criterion_statistic, worst_positions
from equilens.audit._criteria_intervals import criterion_bounds
from equilens.audit._evaluate import (
    Evaluation,
    criteria_bases,
    disparity_rows,
    evaluate,
    evaluate_metrics,
)
from equilens.audit._rows import result_rows, standing_warnings
from equilens.audit._run import audit

__all__ = [
    "Evaluation",
    "audit",
    "correct_for_reference_choice",
    "criteria_bases",
    "criterion_bounds",
    "criterion_statistic",
    "disparity_rows",
    "evaluate",
    "evaluate_metrics",
    "reference_choice_correction",
    "result_rows",
    "standing_warnings",
    "worst_positions",
]
