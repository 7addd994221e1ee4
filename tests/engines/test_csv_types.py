"""CSV columns are read by the SQL engines with the types pyarrow infers (one map per engine)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from equilens.engines._duckdb import _CSV_TYPES as DUCKDB
from equilens.engines._files import csv_sql_type
from equilens.engines._spark import _CSV_TYPES as SPARK


@pytest.mark.parametrize(
    ("arrow", "duckdb", "spark"),
    [
        (pa.bool_(), "BOOLEAN", "BOOLEAN"),
        (pa.int8(), "BIGINT", "BIGINT"),
        (pa.uint64(), "BIGINT", "BIGINT"),
        (pa.float32(), "DOUBLE", "DOUBLE"),
        (pa.date32(), "DATE", "DATE"),
        (pa.timestamp("s"), "TIMESTAMP", "TIMESTAMP"),
        (pa.time64("us"), "TIME", "STRING"),  # Spark has no time-of-day type
        (pa.string(), "VARCHAR", "STRING"),
        (pa.null(), "VARCHAR", "STRING"),
    ],
)
def test_csv_sql_type(arrow: pa.DataType, duckdb: str, spark: str) -> None:
    assert csv_sql_type(arrow, DUCKDB) == duckdb
    assert csv_sql_type(arrow, SPARK) == spark
