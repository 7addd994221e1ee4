"""Paths given to the out-of-core engines: files, directories, globs and lists of them.

The checks and messages follow :func:`equilens.data.prepare_inputs` ("File not found: ...",
"File ... is empty"), with the engine named. CSV column types are inferred the way
``prepare_inputs`` infers them (pyarrow, first 4 MiB block, the same null strings), so that an
engine reading a CSV file sees the same types, and so the same labels and groups.
"""

from __future__ import annotations

import glob
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.csv as pa_csv

from equilens.data import ColumnRequest, check_present, csv_header, first_line, path_kind
from equilens.exceptions import InvalidInputError

__all__ = ["CSV_NULL_VALUES", "FileSet", "csv_column_types", "is_paths", "resolve_files"]

FileKind = Literal["parquet", "csv"]

#: Strings read as null in CSV files (pyarrow's defaults, which ``prepare_inputs`` uses).
CSV_NULL_VALUES: tuple[str, ...] = tuple(pa_csv.ConvertOptions().null_values)

_GLOB_CHARS = frozenset("*?[")
_BLOCK_SIZE = 4 << 20  # the block prepare_inputs infers CSV types from


@dataclass(frozen=True)
class FileSet:
    """The files an engine reads.

    Attributes
    ----------
    kind : {"parquet", "csv"}
        Their format (all files have one).
    files : tuple of str
        Every file, in sorted order within each given item (local files only).
    given : tuple of str
        The items as given (files, directories, globs, URLs), for readers that expand them.
    display : str
        How messages name the data: the single item, or the first item and a count.
    directories : bool
        Whether a directory was given (its ``key=value`` folders are read as Hive partitions).
    remote : bool
        Whether an item is a URL (``s3://``, ``hdfs://``, ...), read without local checks.
    """

    kind: FileKind
    files: tuple[str, ...]
    given: tuple[str, ...]
    display: str
    directories: bool
    remote: bool


def is_paths(data: object) -> bool:
    """Whether ``data`` is a path, or a non-empty list or tuple of paths."""
    if isinstance(data, str | Path):
        return True
    return (
        isinstance(data, list | tuple)
        and len(data) > 0
        and all(isinstance(item, str | Path) for item in data)
    )


def _kind_of(name: str) -> FileKind:
    kind = path_kind(Path(name))
    return "parquet" if kind == "parquet" else "csv"


def data_files(directory: Path) -> list[Path]:
    """The CSV / Parquet files under a directory, skipping hidden and ``_`` files."""
    out = []
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory).parts
        if any(part.startswith((".", "_")) for part in rel) or not path.is_file():
            continue
        if path.name.lower().endswith((".parquet", ".pq", ".csv", ".csv.gz")):
            out.append(path)
    return out


def _expand(item: str, engine: str) -> tuple[list[str], bool]:
    """One given item -> its local files, and whether it was a directory."""
    path = Path(item)
    if not path.exists() and _GLOB_CHARS & set(item):
        matches = sorted(glob.glob(item, recursive=True))
        files = [m for m in matches if Path(m).is_file()]
        if not files:
            raise InvalidInputError(
                f"File not found: {item} (no file matches the pattern; {engine} engine)"
            )
        return files, False
    if not path.exists():
        raise InvalidInputError(f"File not found: {path} ({engine} engine)")
    if path.is_dir():
        found = data_files(path)
        if not found:
            raise InvalidInputError(
                f"{path} is a directory without .parquet, .pq, .csv or .csv.gz files "
                f"({engine} engine)"
            )
        return [str(f) for f in found], True
    if not path.is_file():
        raise InvalidInputError(f"{path} is not a file; expected a CSV or Parquet file")
    _kind_of(item)
    if path.stat().st_size == 0:
        raise InvalidInputError(f"File {path} is empty")
    return [str(path)], False


def resolve_files(data: str | Path | Sequence[str | Path], engine: str) -> FileSet:
    """Check the given path(s) and list the files to read.

    Parameters
    ----------
    data : str, Path or sequence of them
        Files (``.csv``, ``.csv.gz``, ``.parquet``, ``.pq``), directories of such files, glob
        patterns, or URLs (``scheme://...``, passed to the engine unchecked).
    engine : str
        The engine's name, for messages.

    Returns
    -------
    FileSet

    Raises
    ------
    InvalidInputError
        A missing or empty file, an unsupported suffix, a directory or pattern without data
        files, or CSV and Parquet files mixed.
    """
    items = [str(d) for d in data] if isinstance(data, list | tuple) else [str(data)]
    files: list[str] = []
    directories = False
    remote = False
    kinds: set[FileKind] = set()
    for item in items:
        if "://" in item:
            remote = True
            name = item.rstrip("/")
            kinds.add(_kind_of(name) if "." in Path(name).name else "parquet")
            continue
        found, is_dir = _expand(item, engine)
        directories |= is_dir
        files.extend(found)
        kinds.update(_kind_of(f) for f in found)
    if len(kinds) > 1:
        raise InvalidInputError(
            f"The data mixes CSV and Parquet files ({engine} engine); give files of one format"
        )
    display = items[0] if len(items) == 1 else f"{items[0]} (and {len(items) - 1} more)"
    return FileSet(
        kind=kinds.pop(),
        files=tuple(files),
        given=tuple(items),
        display=display,
        directories=directories,
        remote=remote,
    )


def csv_column_types(
    path: str, wanted: Sequence[ColumnRequest], where: str
) -> tuple[list[str], dict[str, pa.DataType]]:
    """The header of a CSV file and the types pyarrow infers for the wanted columns.

    The inference reads the first 4 MiB block with the options ``prepare_inputs`` uses, so a
    column typed ``int64`` here is typed ``int64`` there.

    Returns
    -------
    header : list of str
        Every column name, in file order.
    types : dict of str to pyarrow.DataType
        The wanted columns' value types (dictionary-encoded strings as ``string``).

    Raises
    ------
    InvalidInputError
        If the file cannot be read as CSV or lacks a wanted column.
    """
    header = csv_header(Path(path))
    check_present(header, wanted, where)
    names = list(dict.fromkeys(r.name for r in wanted))
    convert = pa_csv.ConvertOptions(include_columns=names, strings_can_be_null=True)
    try:
        reader = pa_csv.open_csv(
            path, read_options=pa_csv.ReadOptions(block_size=_BLOCK_SIZE), convert_options=convert
        )
        schema = reader.schema
        reader.close()
    except (pa.ArrowException, OSError, EOFError) as exc:
        raise InvalidInputError(f"Could not read {path} as CSV: {first_line(exc)}") from exc
    types = {}
    for name in names:
        t = schema.field(name).type
        types[name] = t.value_type if pa.types.is_dictionary(t) else t
    return header, types


_CSV_CLASSES = (
    ("bool", pa.types.is_boolean),
    ("int", pa.types.is_integer),
    ("float", pa.types.is_floating),
    ("date", pa.types.is_date),
    ("timestamp", pa.types.is_timestamp),
    ("time", pa.types.is_time),
)


def csv_sql_type(t: pa.DataType, names: Mapping[str, str]) -> str:
    """The SQL type that reads a CSV column as pyarrow inferred it.

    ``names`` maps ``bool``, ``int``, ``float``, ``date``, ``timestamp``, ``time`` and
    ``string`` to the engine's type names; a class it lacks is read as ``string``.
    """
    for cls, test in _CSV_CLASSES:
        if test(t):
            return names.get(cls, names["string"])
    return names["string"]


#: Old name, still imported by spec/_run.py (the lead switches it at merge).
_data_files = data_files
