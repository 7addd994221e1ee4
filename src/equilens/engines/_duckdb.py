"""The DuckDB engine: CSV / Parquet files to sufficient statistics, streaming, out of core.

DuckDB scans the files in parallel, keeps only the aggregation state in memory (under
``memory_limit``; it spills to ``temp_directory`` beyond that) and never materialises the rows,
so the memory used depends on the number of groups, not on the number of rows. One
``GROUP BY`` over the rows produces every table and check (see :mod:`equilens.engines._sql`).

Accepted data: a path (``.csv``, ``.csv.gz``, ``.parquet``, ``.pq``), a directory of such files
(``key=value`` folders are read as Hive partitions), a glob pattern, a list of paths, a DuckDB
relation (run on its own connection, whose settings are left alone), or an in-memory pyarrow
Table / RecordBatch, pandas or polars DataFrame (scanned in place).

Options come from the arguments of :func:`duckdb_statistics` or, for ``audit(...,
engine="duckdb")`` and the CLI, from the environment: ``EQUILENS_DUCKDB_MEMORY_LIMIT``
(default ``1GB``), ``EQUILENS_DUCKDB_THREADS`` (default: all cores) and
``EQUILENS_DUCKDB_TEMP_DIRECTORY`` (default: a fresh temporary directory, removed afterwards).
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from equilens.data import BinSpec, first_line
from equilens.engines._base import ColumnRoles, InputsInfo, column_roles
from equilens.engines._files import (
    CSV_NULL_VALUES,
    FileSet,
    csv_column_types,
    csv_sql_type,
    is_paths,
)
from equilens.engines._files import resolve_files as _resolve_files
from equilens.engines._numpy import ScoreModeOption
from equilens.engines._sql import BackendBase, ColumnInfo, ColumnKind, Dialect, sql_statistics
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.stats import CellStats

__all__ = ["DEFAULT_MEMORY_LIMIT", "DuckDBDialect", "duckdb_statistics", "is_duckdb_relation"]

ENGINE = "duckdb"
#: Memory DuckDB may use before it spills to disk (``SET memory_limit``).
DEFAULT_MEMORY_LIMIT = "1GB"
_VIEW = "equilens_rows"

_INT_TYPES = frozenset(
    {
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "UHUGEINT",
    }
)
_TEMPORAL_PREFIXES = ("DATE", "TIME", "TIMESTAMP", "INTERVAL")
#: Arrow's names of DuckDB types, so messages name types as prepare_inputs does.
_ARROW_NAMES = {
    "BOOLEAN": "bool",
    "TINYINT": "int8",
    "SMALLINT": "int16",
    "INTEGER": "int32",
    "BIGINT": "int64",
    "UTINYINT": "uint8",
    "USMALLINT": "uint16",
    "UINTEGER": "uint32",
    "UBIGINT": "uint64",
    "FLOAT": "float",
    "DOUBLE": "double",
    "VARCHAR": "string",
    "BLOB": "binary",
    "DATE": "date32[day]",
    "TIMESTAMP": "timestamp[us]",
}


class DuckDBDialect(Dialect):
    """DuckDB SQL: double-quoted identifiers, ``hash`` summed exactly as HUGEINT."""

    name = ENGINE

    def quote(self, name: str) -> str:
        """Quote an identifier."""
        return '"' + name.replace('"', '""') + '"'

    def string(self, value: str) -> str:
        """A string literal."""
        return "'" + value.replace("'", "''") + "'"

    def hash_sum(self, expr: str) -> list[str]:
        """The exact (128-bit) sum of a UBIGINT hash (read back as a 38-digit decimal)."""
        return [f"sum(CAST({expr} AS HUGEINT))"]

    def hash_total(self, values: list[Any]) -> int:
        """The sum from :meth:`hash_sum`."""
        return int(values[0])

    def row_hash(self, exprs: list[str]) -> str:
        """DuckDB's 64-bit ``hash`` of one or several values."""
        return f"hash({', '.join(exprs)})"


def column_kind(type_name: str) -> ColumnKind:
    """Classify a DuckDB type name."""
    t = type_name.upper()
    if t == "BOOLEAN":
        return "bool"
    if t in _INT_TYPES:
        return "int"
    if t in ("FLOAT", "DOUBLE", "REAL"):
        return "float"
    if t.startswith("DECIMAL"):
        return "decimal"
    if t.startswith(("VARCHAR", "ENUM")):
        return "str"
    if t.startswith("BLOB"):
        return "binary"
    if t.startswith(_TEMPORAL_PREFIXES):
        return "temporal"
    if t in ("NULL", '"NULL"'):
        return "null"
    return "other"


def column_info(name: str, type_name: str) -> ColumnInfo:
    """A column of a DuckDB relation, its type named as Arrow names it where they agree."""
    return ColumnInfo(name, column_kind(type_name), _ARROW_NAMES.get(type_name, type_name))


def is_duckdb_relation(data: object) -> bool:
    """Whether ``data`` is a DuckDB relation (``duckdb.DuckDBPyRelation``)."""
    return type(data).__name__ == "DuckDBPyRelation" and type(data).__module__.startswith(
        ("duckdb", "_duckdb")
    )


def _import_duckdb() -> Any:
    try:
        return importlib.import_module("duckdb")
    except ImportError as exc:
        raise InvalidInputError(
            "The duckdb engine needs the duckdb package; install it with "
            "pip install 'equilens[duckdb]'"
        ) from exc


class _Backend(BackendBase):
    """Runs the engine's SQL on one DuckDB relation named :attr:`table`."""

    def __init__(
        self,
        duckdb: Any,
        run: Callable[[str], Any],
        where: str,
        columns: list[ColumnInfo],
    ) -> None:
        super().__init__(ENGINE, where, DuckDBDialect(), _VIEW, columns)
        self._duckdb = duckdb
        self._run = run

    def query(self, sql: str) -> pa.Table:
        duckdb = self._duckdb
        try:
            return self._run(sql).to_arrow_table()
        except duckdb.OutOfMemoryException as exc:
            raise InvalidInputError(
                f"The duckdb engine ran out of memory on {self._where}: {first_line(exc)}; "
                "raise EQUILENS_DUCKDB_MEMORY_LIMIT or free disk space for spilling"
            ) from exc
        except (
            duckdb.IOException,
            duckdb.ConversionException,
            duckdb.InvalidInputException,
            duckdb.OutOfRangeException,
        ) as exc:
            raise InvalidInputError(
                f"The duckdb engine could not read {self._where}: {first_line(exc)}"
            ) from exc

    def first_index(self, condition: str) -> int | None:
        sql = (
            f"SELECT rn FROM (SELECT row_number() OVER () - 1 AS rn, "
            f"CASE WHEN {condition} THEN 1 ELSE 0 END AS bad FROM {_VIEW}) "
            "WHERE bad = 1 LIMIT 1"
        )
        rows = self.query(sql).column("rn").to_pylist()
        return int(rows[0]) if rows else None


def _list_sql(dialect: DuckDBDialect, values: Sequence[str]) -> str:
    return "[" + ", ".join(dialect.string(v) for v in values) + "]"


#: DuckDB's names of the types of CSV columns.
_CSV_TYPES = {
    "bool": "BOOLEAN",
    "int": "BIGINT",
    "float": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "time": "TIME",
    "string": "VARCHAR",
}


def _describe(con: Any, where: str, duckdb: Any) -> list[ColumnInfo]:
    try:
        rows = con.sql(f"DESCRIBE {_VIEW}").fetchall()
    except duckdb.Error as exc:
        raise InvalidInputError(f"Could not read {where}: {first_line(exc)}") from exc
    return [column_info(str(r[0]), str(r[1])) for r in rows]


def _open_files(con: Any, duckdb: Any, files: FileSet, roles: ColumnRoles) -> _Backend:
    d = DuckDBDialect()
    where = f"{files.display} ({ENGINE} engine)"
    paths = files.given if files.remote else files.files
    if files.kind == "parquet":
        hive = "true" if files.directories else "false"
        source = f"read_parquet({_list_sql(d, paths)}, hive_partitioning = {hive})"
        fmt = "Parquet"
    else:
        if files.remote:
            source = f"read_csv({_list_sql(d, paths)}, header = true)"
        else:
            header, types = csv_column_types(files.files[0], roles.wanted, where)
            typed = {name: csv_sql_type(t, _CSV_TYPES) for name, t in types.items()}
            struct = ", ".join(
                f"{d.string(name)}: {d.string(typed.get(name, 'VARCHAR'))}" for name in header
            )
            source = (
                f"read_csv({_list_sql(d, paths)}, header = true, auto_detect = false, "
                f"delim = ',', quote = '\"', escape = '\"', "
                f"nullstr = {_list_sql(d, CSV_NULL_VALUES)}, columns = {{{struct}}})"
            )
        fmt = "CSV"
    try:
        con.execute(f"CREATE VIEW {_VIEW} AS SELECT * FROM {source}")
    except duckdb.Error as exc:
        raise InvalidInputError(
            f"Could not read {files.display} as {fmt}: {first_line(exc)} ({ENGINE} engine)"
        ) from exc
    columns = _describe(con, f"{files.display} as {fmt} ({ENGINE} engine)", duckdb)
    return _Backend(duckdb, con.sql, where, columns)


def _frame_name(data: object) -> str | None:
    if isinstance(data, pa.Table | pa.RecordBatch):
        return "the pyarrow Table"
    pd_mod = sys.modules.get("pandas")
    if pd_mod is not None and isinstance(data, pd_mod.DataFrame):
        return "the pandas DataFrame"
    pl_mod = sys.modules.get("polars")
    if pl_mod is not None and isinstance(data, pl_mod.DataFrame | pl_mod.LazyFrame):
        return "the polars DataFrame"
    return None


def _open(con: Any, duckdb: Any, data: object, roles: ColumnRoles) -> _Backend:
    if is_paths(data):
        assert isinstance(data, str | Path | list | tuple)
        return _open_files(con, duckdb, _resolve_files(data, ENGINE), roles)
    if is_duckdb_relation(data):
        rel: Any = data
        where = f"the DuckDB relation ({ENGINE} engine)"
        columns = [column_info(str(n), str(t)) for n, t in zip(rel.columns, rel.types)]
        return _Backend(duckdb, lambda sql: rel.query(_VIEW, sql), where, columns)
    name = _frame_name(data)
    if name is None:
        raise InvalidParameterError(
            "The 'data' parameter of the duckdb engine must be a CSV / Parquet path, a "
            "directory, a glob pattern or a list of paths, a DuckDB relation, a pyarrow Table, "
            f"or a pandas or polars DataFrame. Got {type(data).__name__} instead."
        )
    frame: Any = data
    if isinstance(frame, pa.RecordBatch):
        frame = pa.Table.from_batches([frame])
    pl_mod = sys.modules.get("polars")
    if pl_mod is not None and isinstance(frame, pl_mod.LazyFrame):
        frame = frame.collect()
    if pl_mod is not None and isinstance(frame, pl_mod.DataFrame):
        frame = frame.to_arrow()
    con.register(_VIEW, frame)
    where = f"{name} ({ENGINE} engine)"
    return _Backend(duckdb, con.sql, where, _describe(con, where, duckdb))


def _setting(value: object, env: str) -> str | None:
    if value is not None:
        return str(value)
    got = os.environ.get(env, "").strip()
    return got or None


def duckdb_statistics(
    data: object,
    *,
    y_true: object,
    y_pred: object,
    sensitive: object,
    y_score: object = None,
    sample_weight: object = None,
    positive_label: object = None,
    bins: Mapping[str, BinSpec | Sequence[float]] | None = None,
    max_groups_per_feature: object = 100,
    score_mode: ScoreModeOption = "auto",
    memory_limit: str | None = None,
    threads: int | None = None,
    temp_directory: str | Path | None = None,
) -> tuple[CellStats, InputsInfo]:
    """Validate the rows with DuckDB and reduce them to finest-cell statistics.

    Parameters
    ----------
    data : path, list of paths, DuckDB relation, pyarrow Table or DataFrame
        The rows (see the module docstring).
    y_true, y_pred, sensitive, y_score, sample_weight, positive_label, bins, \
max_groups_per_feature
        As for :func:`equilens.data.prepare_inputs` with ``data`` given (column names).
    score_mode : {"auto", "exact", "grid"}
        ``auto``: exact score bins up to 2M rows (as the numpy engine), the 16,384-bin grid
        above, where the AUC carries the error bound ``0.5 * sum over inexact bins of
        neg_b pos_b / (N P)`` (at most ``0.5 * max_b share of pairs in bin b``; a few 1e-5 for
        smooth scores). ``exact`` groups by every distinct score (out of core, but the result
        has one row per distinct score and cell).
    memory_limit : str, optional
        DuckDB ``memory_limit`` (e.g. ``"2GB"``); default ``EQUILENS_DUCKDB_MEMORY_LIMIT`` or
        ``1GB``. Ignored for a DuckDB relation (its connection keeps its settings).
    threads : int, optional
        DuckDB ``threads``; default ``EQUILENS_DUCKDB_THREADS`` or all cores.
    temp_directory : str or Path, optional
        Where DuckDB spills; default ``EQUILENS_DUCKDB_TEMP_DIRECTORY`` or a fresh temporary
        directory removed afterwards.

    Returns
    -------
    stats : CellStats
    info : InputsInfo
        ``engine="duckdb"``; the fingerprint is described in
        :func:`equilens.engines._sql.sql_statistics`.

    Raises
    ------
    InvalidInputError
        Missing or unreadable files, missing columns, bad values (the messages of
        ``prepare_inputs``, naming the file and the engine), duckdb not installed.
    InvalidParameterError
        Bad arguments.
    """
    roles = column_roles(
        y_true=y_true,
        y_pred=y_pred,
        sensitive=sensitive,
        y_score=y_score,
        sample_weight=sample_weight,
        positive_label=positive_label,
        bins=bins,
        max_groups_per_feature=max_groups_per_feature,
    )
    duckdb = _import_duckdb()
    limit = _setting(memory_limit, "EQUILENS_DUCKDB_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT
    n_threads = _setting(threads, "EQUILENS_DUCKDB_THREADS")
    spill = _setting(temp_directory, "EQUILENS_DUCKDB_TEMP_DIRECTORY")
    with tempfile.TemporaryDirectory(prefix="equilens-duckdb-") as scratch:
        config: dict[str, str] = {"memory_limit": limit, "temp_directory": spill or scratch}
        if n_threads is not None:
            config["threads"] = n_threads
        try:
            con = duckdb.connect(":memory:", config=config)
        except duckdb.Error as exc:
            raise InvalidParameterError(
                f"The duckdb engine rejected its settings {config}: {first_line(exc)}"
            ) from exc
        try:
            backend = _open(con, duckdb, data, roles)
            return sql_statistics(backend, roles, score_mode=score_mode)
        finally:
            con.close()
