"""The short summary of an audit log as plain data: what ``equilens audit`` prints by default,
what ``--format json`` prints for scripts, and what the MLflow integration logs.

The keys are a contract (documented in ``docs/terminal.md``): extend, never rename.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from equilens.report._content import ReportContent, against_parity
from equilens.report._log_labels import with_log_labels
from equilens.report._terminal import KEY_CRITERIA
from equilens.results import AuditLog, Comparison, Disparity, base_name

__all__ = ["CONCLUSIONS", "SUMMARY_KEYS", "key_criteria", "summary_data"]

CONCLUSIONS = (
    "difference_detected",
    "no_difference_detected",
    "insufficient_evidence",
    "undefined",
)
SUMMARY_KEYS = (
    "run_id",
    "task",
    "created",
    "n_rows",
    "confidence_level",
    "alpha",
    "comparisons",
    "findings",
    "criteria",
    "warnings",
    "files",
    "gate",
    "mlflow_run",
)


def _finding(c: Comparison) -> dict[str, Any]:
    return {
        "metric": c.metric,
        "features": list(c.features),
        "group": dict(c.slice),
        "reference": None if against_parity(c) else dict(c.reference),
        "value": c.value,
        "reference_value": c.reference_value,
        "difference": c.difference,
        "ci_low": c.difference_ci_low,
        "ci_high": c.difference_ci_high,
        "p_holm": c.p_holm,
        "intersection": len(c.features) > 1,
    }


def key_criteria(log: AuditLog) -> list[Disparity]:
    """Between-group criteria of single-feature families: the key binary criteria (in their
    order), or for another task every criterion whose base name is a key one, else all."""
    rows = [d for d in log.disparities if d.method == "between_groups" and len(d.features) == 1]
    key = [d for d in rows if base_name(d.criterion) in KEY_CRITERIA]
    chosen = key or rows
    order = {name: i for i, name in enumerate(KEY_CRITERIA)}
    return sorted(chosen, key=lambda d: order.get(base_name(d.criterion), len(order)))


@with_log_labels
def summary_data(
    log: AuditLog,
    files: Mapping[str, str | Path] | None = None,
    *,
    findings: int = 5,
    intersection_findings: int = 3,
    gate: Mapping[str, Any] | None = None,
    mlflow_run: str | None = None,
) -> dict[str, Any]:
    """The log's short summary: conclusion counts, the largest detected differences (with
    their intervals and Holm-adjusted p-values), the key fairness criteria, the warnings and
    the files written; ``gate`` (the release gate's verdict, policy and exit code) and
    ``mlflow_run`` (the run logged to) when the command did those, else null. Every key of
    :data:`SUMMARY_KEYS` is always present."""
    content = ReportContent.from_log(log)
    counts = content.conclusion_counts()
    alpha = log.spec_resolved.get("alpha")
    chosen = content.key_findings(findings, intersections=False)
    chosen += content.key_findings(intersection_findings, intersections=True)
    return {
        "run_id": log.run_id,
        "task": log.task,
        "created": log.created,
        "n_rows": log.data.n_rows,
        "confidence_level": log.confidence_level,
        "alpha": float(alpha) if isinstance(alpha, int | float) else 1.0 - log.confidence_level,
        "comparisons": {
            "total": sum(counts.values()),
            **{name: counts.get(name, 0) for name in CONCLUSIONS},
        },
        "findings": [_finding(f.comparison) for f in chosen],
        "criteria": [
            {
                "criterion": d.criterion,
                "features": list(d.features),
                "value": d.value,
                "ci_low": d.ci_low,
                "ci_high": d.ci_high,
                "note": d.reason or "",
            }
            for d in key_criteria(log)
        ],
        "warnings": list(log.warnings),
        "files": {kind: str(path) for kind, path in (files or {}).items()},
        "gate": dict(gate) if gate is not None else None,
        "mlflow_run": mlflow_run,
    }
