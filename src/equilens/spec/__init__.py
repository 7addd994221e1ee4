"""Audit specs: describe an audit once in a YAML file, validate it, run it."""

from equilens.spec._load import load_spec
from equilens.spec._model import MAX_BOOTSTRAP_DRAWS, AuditSpec, SliceSearch, TextMetricsSection
from equilens.spec._run import (
    SpecRun,
    execute_spec,
    resolve_data,
    resolve_policy,
    run_spec,
    text_metrics_path,
    validate_spec,
)

__all__ = [
    "MAX_BOOTSTRAP_DRAWS",
    "AuditSpec",
    "SliceSearch",
    "SpecRun",
    "TextMetricsSection",
    "execute_spec",
    "load_spec",
    "resolve_data",
    "resolve_policy",
    "run_spec",
    "text_metrics_path",
    "validate_spec",
]
