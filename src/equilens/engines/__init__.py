"""Engines: rows in, sufficient statistics (:class:`equilens.stats.CellStats`) out.

``numpy`` holds the rows in memory; ``duckdb`` streams CSV / Parquet files out of core; ``spark``
runs on a pyspark DataFrame where its session runs. All make the same statistics for the same
rows (see ``docs/design/0002-engines.md``). :func:`compute_statistics` validates and dispatches;
``engine="auto"`` picks by the input's type (:func:`choose_engine`).
"""

from equilens.engines._base import InputsInfo
from equilens.engines._duckdb import duckdb_statistics
from equilens.engines._numpy import cell_codes, compute_cell_stats
from equilens.engines._select import (
    AUTO_DUCKDB_MIN_BYTES,
    AUTO_DUCKDB_MIN_ROWS,
    ENGINES,
    choose_engine,
    compute_statistics,
)
from equilens.engines._spark import spark_statistics

__all__ = [
    "AUTO_DUCKDB_MIN_BYTES",
    "AUTO_DUCKDB_MIN_ROWS",
    "ENGINES",
    "InputsInfo",
    "cell_codes",
    "choose_engine",
    "compute_cell_stats",
    "compute_statistics",
    "duckdb_statistics",
    "spark_statistics",
]
