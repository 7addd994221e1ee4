"""Model inputs: tables and texts, their batches and per-row content hashes (cache keys)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from equilens.exceptions import InvalidInputError

__all__ = ["as_table", "as_texts", "input_header", "n_rows", "row_digests", "take"]

_DIGEST_SIZE = 16


def as_table(data: Any, *, adapter: str) -> pd.DataFrame:
    """A pandas DataFrame from a DataFrame (pandas, polars), Arrow table, dict or 2-D array."""
    if isinstance(data, pd.DataFrame):
        return data
    if hasattr(data, "to_pandas") and callable(data.to_pandas):  # polars, pyarrow
        out = data.to_pandas()
        if isinstance(out, pd.DataFrame):
            return out
    if isinstance(data, dict):
        return pd.DataFrame(data)
    if isinstance(data, np.ndarray) and data.ndim == 2:
        return pd.DataFrame(data, columns=[f"x{i}" for i in range(data.shape[1])])
    raise InvalidInputError(
        f"The {adapter} model adapter reads a table (a DataFrame, an Arrow table, a dict of "
        f"columns or a 2-D array). Got {type(data).__name__} instead."
    )


def feature_table(
    data: Any, features: Sequence[str] | None, *, adapter: str, reader: str
) -> pd.DataFrame:
    """The columns of ``data`` a tabular model reads (all of them when ``features`` is None).

    ``reader`` names the model in the error for missing columns ("the ONNX model").
    """
    table = as_table(data, adapter=adapter)
    if features is None:
        return table
    missing = [c for c in features if c not in table.columns]
    if missing:
        raise InvalidInputError(
            f"Found no column(s) {missing} in the data; {reader} reads {features}."
        )
    return table[list(features)]


def as_texts(data: Any, *, column: str, adapter: str) -> list[str]:
    """A list of str from a sequence of texts, or from the ``column`` of a table."""
    if isinstance(data, str):
        raise InvalidInputError(
            f"The {adapter} model adapter reads a list of texts, not one str; wrap it in a list."
        )
    if isinstance(data, pd.DataFrame | dict) or hasattr(data, "columns"):
        table = as_table(data, adapter=adapter)
        if column not in table.columns:
            raise InvalidInputError(
                f"Found no text column '{column}' in the data (columns: "
                f"{', '.join(map(str, table.columns))}); set 'text_column' in the model spec."
            )
        values: Sequence[Any] = table[column].tolist()
    elif isinstance(data, pd.Series | np.ndarray | list | tuple):
        values = list(data)
    else:
        raise InvalidInputError(
            f"The {adapter} model adapter reads texts (a list of str or a table with a text "
            f"column). Got {type(data).__name__} instead."
        )
    for i, v in enumerate(values):
        if not isinstance(v, str):
            raise InvalidInputError(
                f"Row {i} of the texts given to the {adapter} model adapter is not a str: {v!r}."
            )
    return [str(v) for v in values]


def n_rows(inputs: pd.DataFrame | list[str]) -> int:
    """Number of rows (or texts)."""
    return len(inputs)


def take(inputs: pd.DataFrame | list[str], indices: Sequence[int]) -> pd.DataFrame | list[str]:
    """The rows at ``indices``."""
    if isinstance(inputs, pd.DataFrame):
        return inputs.iloc[list(indices)]
    return [inputs[i] for i in indices]


def input_header(inputs: pd.DataFrame | list[str]) -> dict[str, Any]:
    """What the row hashes are relative to: the column names and dtypes, or ``text``.

    Table rows are hashed with pandas' column hashing, so the pandas version is part of the
    header: an upgrade can only cause cache misses, never a wrong hit.
    """
    if isinstance(inputs, pd.DataFrame):
        return {
            "columns": [str(c) for c in inputs.columns],
            "dtypes": [str(t) for t in inputs.dtypes],
            "row_hash": f"pandas-{'.'.join(pd.__version__.split('.')[:2])}",
        }
    return {"text": True}


# Two independent 16-byte keys for pandas' SipHash: 128 bits per value of a column.
_KEYS = ("equilens-rowhash", "rowhash-equilens")


def _column_hashes(column: pd.Series) -> list[np.ndarray[Any, np.dtype[Any]]]:
    """Two 64-bit hashes of each value of a column (exact for mixed-type object columns)."""
    if column.dtype == object and pd.api.types.infer_dtype(column, skipna=False) != "string":
        # pandas hashes str(value) for non-str objects (1 and "1" would collide): use repr.
        digests = b"".join(
            hashlib.blake2b(repr(v).encode(), digest_size=_DIGEST_SIZE).digest() for v in column
        )
        pairs = np.frombuffer(digests, dtype=np.uint64).reshape(-1, 2)
        return [pairs[:, 0], pairs[:, 1]]
    return [
        pd.util.hash_pandas_object(column, index=False, hash_key=key).to_numpy(np.uint64)
        for key in _KEYS
    ]


def row_digests(inputs: pd.DataFrame | list[str]) -> list[bytes]:
    """A 128-bit digest of each row's content (the per-row part of a cache key).

    Texts: BLAKE2b of the UTF-8 text. Table rows: BLAKE2b over two keyed 64-bit hashes of each
    of the row's values (pandas' vectorised SipHash), in column order.
    """
    if isinstance(inputs, pd.DataFrame):
        n = len(inputs)
        if n == 0:
            return []
        parts = [h for _, col in inputs.items() for h in _column_hashes(col)]
        matrix = np.ascontiguousarray(np.column_stack(parts)).view(np.uint8).reshape(n, -1)
        return [hashlib.blake2b(row.tobytes(), digest_size=_DIGEST_SIZE).digest() for row in matrix]
    return [hashlib.blake2b(t.encode(), digest_size=_DIGEST_SIZE).digest() for t in inputs]
