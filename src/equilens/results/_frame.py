"""An audit log's tables as pandas or polars data frames (``AuditLog.to_frame``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from equilens.exceptions import InvalidParameterError

if TYPE_CHECKING:
    from equilens.results._log import AuditLog

__all__ = ["FRAME_TABLES", "log_frame"]

Table = Literal["results", "comparisons", "criteria", "disparities"]
#: The tables; ``criteria`` is ``disparities`` under the name the reports use.
FRAME_TABLES = ("results", "comparisons", "criteria", "disparities")


def _rows(log: AuditLog, table: str) -> list[dict[str, Any]]:
    if table not in FRAME_TABLES:
        raise InvalidParameterError(
            f"to_frame: table must be one of {', '.join(FRAME_TABLES)}, got {table!r}"
        )
    attr = "disparities" if table == "criteria" else table
    rows = [r.model_dump() for r in getattr(log, attr)]
    for row in rows:
        for key in ("slice", "reference"):
            if key in row:
                row[key] = ", ".join(f"{k}={v}" for k, v in row[key].items()) or "overall"
    return rows


def log_frame(
    log: AuditLog, table: str = "results", backend: Literal["pandas", "polars"] = "pandas"
) -> Any:
    """One table of ``log`` (slices flattened to ``race=a, sex=F``) as a data frame.

    ``backend="polars"`` needs polars (``pip install 'equilens[polars]'``); nested values
    (a list of features, a dict of test details) become JSON text there, since a polars column
    holds one type.
    """
    rows = _rows(log, table)
    if backend == "pandas":
        import pandas as pd

        return pd.DataFrame(rows)
    if backend != "polars":
        raise InvalidParameterError(f"to_frame: backend must be pandas or polars, got {backend!r}")
    try:
        import polars as pl
    except ImportError:
        raise InvalidParameterError(
            "to_frame(backend='polars') needs polars: pip install 'equilens[polars]'"
        ) from None
    flat = [
        {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in row.items()}
        for row in rows
    ]
    columns = list(dict.fromkeys(k for row in flat for k in row))
    return pl.DataFrame({c: [row.get(c) for row in flat] for c in columns}, strict=False)
