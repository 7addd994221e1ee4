"""The audit log schema (versioned) and its reading and writing."""

from equilens.results._log import (
    FORMAT_VERSION,
    AuditLog,
    Comparison,
    Disparity,
    FamilyRecord,
    MetricResult,
    read_log,
    write_log,
)

__all__ = [
    "FORMAT_VERSION",
    "AuditLog",
    "Comparison",
    "Disparity",
    "FamilyRecord",
    "MetricResult",
    "read_log",
    "write_log",
]
