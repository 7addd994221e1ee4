"""equilens: statistical evidence on whether a model performs well and treats people fairly.

The public API is small::

    import equilens
    log = equilens.audit(df, y_true="label", y_pred="pred", sensitive_features=["sex", "race"])
    log.to_frame("comparisons")
"""

from equilens._version import __version__
from equilens.audit import audit
from equilens.data import BinSpec
from equilens.exceptions import (
    EquilensError,
    InvalidInputError,
    InvalidParameterError,
    LogFormatError,
)
from equilens.results import AuditLog, read_log, write_log

__all__ = [
    "AuditLog",
    "BinSpec",
    "EquilensError",
    "InvalidInputError",
    "InvalidParameterError",
    "LogFormatError",
    "__version__",
    "audit",
    "read_log",
    "write_log",
]
