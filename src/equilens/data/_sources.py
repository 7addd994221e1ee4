"""Read the needed columns of any supported input into Arrow chunked arrays.

Every source (pandas, polars, Arrow, dict of arrays, CSV, Parquet, bare arrays) ends up as a
mapping column name -> :class:`pyarrow.ChunkedArray` of equal lengths. Files are read with only
the needed columns, string columns already dictionary-encoded.
"""

from __future__ import annotations

import csv
import gzip
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from equilens.data._alloc import POOL
from equilens.exceptions import InvalidInputError, InvalidParameterError

__all__ = ["ColumnRequest", "Loaded", "array_to_arrow", "check_lengths", "load_columns"]

_MAX_LISTED_COLUMNS = 20
_PARQUET_SUFFIXES = (".parquet", ".pq")
_CSV_SUFFIXES = (".csv", ".csv.gz")


@dataclass(frozen=True)
class ColumnRequest:
    """A column the audit needs: its name and the role it plays (for messages)."""

    name: str
    role: str


@dataclass(frozen=True)
class Loaded:
    """The needed columns of a source, all of length ``n_rows``."""

    columns: dict[str, pa.ChunkedArray]
    n_rows: int
    where: str
    """How messages name the source: a file path, "the pandas DataFrame", ..."""
    is_file: bool = False
    """Whether the columns were read from a file (messages then name the file)."""
    in_memory: bool = True
    """Whether the Arrow buffers may alias the caller's memory (then arrays are copied)."""


def first_line(exc: BaseException, limit: int = 200) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _list_columns(names: Sequence[str]) -> str:
    shown = ", ".join(str(n) for n in names[:_MAX_LISTED_COLUMNS])
    if len(names) > _MAX_LISTED_COLUMNS:
        shown += f", ... ({len(names) - _MAX_LISTED_COLUMNS} more)"
    return shown or "(none)"


def check_present(available: Sequence[str], wanted: Sequence[ColumnRequest], where: str) -> None:
    """Raise if a wanted column is absent or ambiguous (appears twice) in ``available``."""
    counts: dict[str, int] = {}
    for name in available:
        counts[name] = counts.get(name, 0) + 1
    for req in wanted:
        n = counts.get(req.name, 0)
        if n == 0:
            raise InvalidInputError(
                f"Column '{req.name}' ({req.role}) not found in {where}; "
                f"available columns: {_list_columns(list(available))}"
            )
        if n > 1:
            raise InvalidInputError(
                f"Column '{req.name}' ({req.role}) appears {n} times in {where}; "
                "column names must be unique"
            )


def _unique_names(wanted: Sequence[ColumnRequest]) -> list[str]:
    return list(dict.fromkeys(r.name for r in wanted))


def _as_chunked(arr: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    if isinstance(arr, pa.ChunkedArray):
        return arr
    return pa.chunked_array([arr])


def _conversion_error(label: str, exc: BaseException) -> InvalidInputError:
    return InvalidInputError(
        f"{label} cannot be converted to a typed column ({first_line(exc)}); "
        "give it one type, e.g. convert it with .astype(str)"
    )


def array_to_arrow(value: object, label: str) -> pa.ChunkedArray:
    """Convert one 1-D array-like to a chunked Arrow array.

    Parameters
    ----------
    value : array-like
        numpy array, list/tuple, pandas Series, polars Series or Arrow array.
    label : str
        How messages name the input, e.g. "y_true" or "Column 'race' (sensitive)".

    Raises
    ------
    InvalidInputError
        If the value is not 1-dimensional or its elements cannot form one typed column.
    """
    if isinstance(value, pa.ChunkedArray | pa.Array):
        return _as_chunked(value)
    try:
        pd_mod = sys.modules.get("pandas")
        if pd_mod is not None and isinstance(value, pd_mod.api.extensions.ExtensionArray):
            value = pd_mod.Series(value, copy=False)
        if pd_mod is not None and isinstance(value, pd_mod.Series | pd_mod.Index):
            return _as_chunked(pa.Array.from_pandas(value))
        pl_mod = sys.modules.get("polars")
        if pl_mod is not None and isinstance(value, pl_mod.Series):
            return _as_chunked(value.to_arrow())
        if isinstance(value, np.ndarray):
            if value.ndim != 1:
                hint = (
                    "; pass the positive-class column, e.g. proba[:, 1]"
                    if value.ndim == 2 and value.shape[1] == 2
                    else ""
                )
                raise InvalidInputError(
                    f"{label} must be 1-dimensional; got an array of shape {value.shape}{hint}"
                )
            return _as_chunked(pa.array(value, from_pandas=True))
        if isinstance(value, list | tuple | range):
            return _as_chunked(pa.array(list(value), from_pandas=True))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError) as exc:
        raise _conversion_error(label, exc) from exc
    raise InvalidInputError(
        f"{label} must be a 1-D array-like (numpy array, list, pandas/polars Series or Arrow "
        f"array); got {type(value).__name__}"
    )


def check_lengths(columns: Mapping[str, pa.ChunkedArray], labels: Mapping[str, str]) -> int:
    """Return the common length of ``columns``; raise, listing every length, if they differ."""
    lengths = {key: len(col) for key, col in columns.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{labels[k]}={n}" for k, n in lengths.items())
        raise InvalidInputError(
            f"Found input variables with inconsistent numbers of samples: {detail}"
        )
    return next(iter(lengths.values()))


def _from_arrow_table(table: pa.Table, wanted: Sequence[ColumnRequest], where: str) -> Loaded:
    check_present(table.column_names, wanted, where)
    names = _unique_names(wanted)
    return Loaded({n: table.column(n) for n in names}, table.num_rows, where)


def _from_pandas(df: Any, wanted: Sequence[ColumnRequest]) -> Loaded:
    where = "the pandas DataFrame"
    check_present(list(df.columns), wanted, where)
    out: dict[str, pa.ChunkedArray] = {}
    for req in wanted:
        if req.name in out:
            continue
        label = f"Column '{req.name}' ({req.role})"
        series = df[req.name]
        try:
            out[req.name] = _as_chunked(pa.Array.from_pandas(series))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            raise _conversion_error(label, exc) from exc
    return Loaded(out, len(df), where)


def _from_polars(df: Any, wanted: Sequence[ColumnRequest]) -> Loaded:
    where = "the polars DataFrame"
    available = df.collect_schema().names() if hasattr(df, "collect") else list(df.columns)
    check_present(available, wanted, where)
    names = _unique_names(wanted)
    selected = df.select(names)
    if hasattr(selected, "collect"):
        selected = selected.collect()
    return _from_arrow_table(selected.to_arrow(), wanted, where)


def _from_dict(data: Mapping[Any, Any], wanted: Sequence[ColumnRequest]) -> Loaded:
    where = "the data dict"
    available = [k for k in data if isinstance(k, str)]
    check_present(available, wanted, where)
    out: dict[str, pa.ChunkedArray] = {}
    labels: dict[str, str] = {}
    for req in wanted:
        if req.name not in out:
            out[req.name] = array_to_arrow(data[req.name], f"Column '{req.name}' ({req.role})")
            labels[req.name] = req.name
    n_rows = check_lengths(out, labels)
    return Loaded(out, n_rows, where)


def path_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(_PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(_CSV_SUFFIXES):
        return "csv"
    raise InvalidInputError(
        f"Unsupported file type for {path}: use a .csv, .csv.gz, .parquet or .pq file"
    )


def _parquet_table(path: Path, names: list[str], dictionary: list[str]) -> pa.Table:
    """Read ``names`` from one Parquet file (threads over columns), ``dictionary`` as such.

    Read with the file reader into :data:`POOL`, not through ``pyarrow.dataset``, whose import
    (pandas with it) takes longer than reading a few million rows.
    """
    try:
        from pyarrow._parquet import ParquetReader

        reader = ParquetReader(memory_pool=POOL)
    except (ImportError, TypeError):  # pragma: no cover - a pyarrow without it: default pool
        return pq.ParquetFile(path, read_dictionary=dictionary).read(columns=names)
    reader.open(str(path), read_dictionary=dictionary)
    try:
        indices = [reader.column_name_idx(n) for n in names]
        return reader.read_all(column_indices=indices, use_threads=True)
    finally:
        reader.close()


def _read_parquet(path: Path, wanted: Sequence[ColumnRequest]) -> Loaded:
    where = str(path)
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise InvalidInputError(f"Could not read {path} as Parquet: {first_line(exc)}") from exc
    check_present(schema.names, wanted, where)
    names = _unique_names(wanted)
    stringy = [
        n
        for n in names
        if pa.types.is_string(t := schema.field(n).type)
        or pa.types.is_large_string(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
    ]
    try:
        table = _parquet_table(path, names, stringy)
    except (pa.ArrowException, OSError) as exc:
        raise InvalidInputError(f"Could not read {path} as Parquet: {first_line(exc)}") from exc
    return _from_arrow_table(table, wanted, where)


def csv_header(path: Path) -> list[str]:
    opener: Any = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), None)
    except (OSError, UnicodeDecodeError, csv.Error, EOFError) as exc:
        raise InvalidInputError(f"Could not read {path} as CSV: {first_line(exc)}") from exc
    if not header or header == [""]:
        raise InvalidInputError(f"File {path} is empty (no header row)")
    return header


def _read_csv(path: Path, wanted: Sequence[ColumnRequest], max_groups: int) -> Loaded:
    where = str(path)
    header = csv_header(path)
    check_present(header, wanted, where)
    names = _unique_names(wanted)
    convert = pa_csv.ConvertOptions(
        include_columns=names,
        strings_can_be_null=True,
        auto_dict_encode=True,
        auto_dict_max_cardinality=max(max_groups + 1, 50),
    )
    read = pa_csv.ReadOptions(block_size=4 << 20)
    try:
        table = pa_csv.read_csv(path, read_options=read, convert_options=convert, memory_pool=POOL)
    except (pa.ArrowException, OSError, EOFError) as exc:
        raise InvalidInputError(f"Could not read {path} as CSV: {first_line(exc)}") from exc
    return _from_arrow_table(table, wanted, where)


def _read_file(path: Path, wanted: Sequence[ColumnRequest], max_groups: int) -> Loaded:
    if not path.exists():
        raise InvalidInputError(f"File not found: {path}")
    if not path.is_file():
        raise InvalidInputError(f"{path} is not a file; expected a CSV or Parquet file")
    kind = path_kind(path)
    if path.stat().st_size == 0:
        raise InvalidInputError(f"File {path} is empty")
    loaded = (
        _read_parquet(path, wanted) if kind == "parquet" else _read_csv(path, wanted, max_groups)
    )
    return Loaded(loaded.columns, loaded.n_rows, loaded.where, is_file=True, in_memory=False)


def load_columns(data: object, wanted: Sequence[ColumnRequest], *, max_groups: int) -> Loaded:
    """Read the wanted columns of ``data`` (not None) as Arrow chunked arrays.

    Parameters
    ----------
    data : DataFrame, Table, dict, str or Path
        pandas or polars DataFrame (or polars LazyFrame), pyarrow Table or RecordBatch, dict of
        column name -> 1-D array-like, or the path of a ``.csv``, ``.csv.gz``, ``.parquet`` or
        ``.pq`` file.
    wanted : sequence of ColumnRequest
        The needed columns, with their roles for messages.
    max_groups : int
        Used to size CSV dictionary encoding of string columns.

    Returns
    -------
    Loaded

    Raises
    ------
    InvalidInputError
        Missing, unreadable or empty file; a missing or duplicated column; unconvertible values.
    InvalidParameterError
        If ``data`` is of an unsupported type.
    """
    if isinstance(data, str | Path):
        loaded = _read_file(Path(data), wanted, max_groups)
    elif isinstance(data, pa.Table):
        loaded = _from_arrow_table(data, wanted, "the pyarrow Table")
    elif isinstance(data, pa.RecordBatch):
        loaded = _from_arrow_table(pa.Table.from_batches([data]), wanted, "the pyarrow Table")
    elif (pd_mod := sys.modules.get("pandas")) is not None and isinstance(data, pd_mod.DataFrame):
        loaded = _from_pandas(data, wanted)
    elif (pl_mod := sys.modules.get("polars")) is not None and isinstance(
        data, pl_mod.DataFrame | pl_mod.LazyFrame
    ):
        loaded = _from_polars(data, wanted)
    elif isinstance(data, Mapping):
        loaded = _from_dict(data, wanted)
    else:
        raise InvalidParameterError(
            "The 'data' parameter of prepare_inputs must be a pandas or polars DataFrame, a "
            "pyarrow Table, a dict of arrays, the path of a .csv/.csv.gz/.parquet/.pq file, or "
            f"None. Got {type(data).__name__} instead."
        )
    if loaded.n_rows == 0:
        raise InvalidInputError(f"No rows in {loaded.where}; an audit needs at least one row")
    return loaded
