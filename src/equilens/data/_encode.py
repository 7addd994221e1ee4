"""Turn Arrow columns into validated numpy arrays: binary labels, scores, weights, group codes.

All work over rows is done by Arrow compute kernels or vectorised numpy; Python only touches
the (small) dictionaries of distinct values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from equilens.data._alloc import BLOCK_ROWS, POOL, empty
from equilens.data._types import MISSING_LABEL, BinSpec, Feature, LabelValue, group_label
from equilens.exceptions import InvalidInputError

__all__ = [
    "LabelColumn",
    "encode_binned",
    "encode_categorical",
    "label_column",
    "numeric_column",
]

_MAX_LISTED_VALUES = 5

ValueKind = Literal["bool", "int", "float", "str", "other"]


def value_kind(t: pa.DataType) -> ValueKind:
    """Classify an Arrow type (the value type, for dictionaries)."""
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_floating(t):
        return "float"
    if _is_stringy(t):
        return "str"
    return "other"


def _is_stringy(t: pa.DataType) -> bool:
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return True
    is_view = getattr(pa.types, "is_string_view", None)  # pyarrow >= 16
    return is_view is not None and is_view(t) is True


def _is_numeric(t: pa.DataType) -> bool:
    return bool(pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t))


def _is_groupable(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        t = t.value_type
    return bool(
        _is_numeric(t)
        or pa.types.is_boolean(t)
        or _is_stringy(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
        or pa.types.is_temporal(t)
        or pa.types.is_null(t)
    )


def _format_value(v: object, *, single: bool = False) -> str:
    """Display label of one distinct value: floats that are whole numbers print as ints.

    ``single`` formats floats with the shortest repr of a float32 (``0.1``, not
    ``0.10000000149011612``), for float32/float16 columns.
    """
    if isinstance(v, str):
        return v
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        if single:
            return np.format_float_positional(np.float32(v), trim="-")
        return repr(v)
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return str(v)


def _list_values(values: Sequence[object], total: int) -> str:
    shown = ", ".join(repr(v) for v in values[:_MAX_LISTED_VALUES])
    if total > _MAX_LISTED_VALUES:
        shown += f", ... ({total} in total)"
    return shown


def _first_index(mask: NDArray[np.bool_]) -> int:
    return int(np.argmax(mask))


def numeric_view(arr: pa.Array) -> NDArray[Any]:
    """A numpy view of an arrow integer / float array (nulls left as whatever is stored).

    ``pyarrow.Array.to_numpy`` imports pandas (about half a second) the first time it runs;
    reading the values buffer directly does not, and copies nothing.
    """
    t = arr.type
    if pa.types.is_integer(t):
        dtype = np.dtype(f"{'i' if pa.types.is_signed_integer(t) else 'u'}{t.bit_width // 8}")
    elif pa.types.is_floating(t) and t.bit_width in (32, 64):
        dtype = np.dtype(f"f{t.bit_width // 8}")
    else:
        return np.asarray(arr.to_numpy(zero_copy_only=False))
    buf = arr.buffers()[1]
    if buf is None:
        return np.zeros(len(arr), dtype=dtype)
    return np.frombuffer(buf, dtype=dtype, count=len(arr), offset=arr.offset * dtype.itemsize)


def _int64_array(values: NDArray[Any]) -> pa.Array:
    """An Arrow int64 array of ``values`` (``pyarrow.array`` imports pandas; this does not)."""
    arr = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(arr), [None, pa.py_buffer(arr)])


def _bits(buf: pa.Buffer | None, offset: int, n: int, *, absent: bool) -> NDArray[np.bool_]:
    """``n`` bits of an Arrow bitmap from bit ``offset``; ``absent`` if there is no bitmap."""
    if buf is None:
        return np.full(n, absent, dtype=bool)
    bits = np.unpackbits(np.frombuffer(buf, dtype=np.uint8), bitorder="little")
    return bits[offset : offset + n].astype(bool)


def _null_mask(arr: pa.Array) -> NDArray[np.bool_]:
    """Per row: is it null (from the validity bitmap, without pandas)."""
    if not arr.null_count:
        return np.zeros(len(arr), dtype=bool)
    return ~_bits(arr.buffers()[0], arr.offset, len(arr), absent=True)


def _bool_values(arr: pa.Array | pa.ChunkedArray) -> NDArray[np.bool_]:
    """The values of a boolean Arrow array without nulls, as numpy (without pandas)."""
    if isinstance(arr, pa.ChunkedArray):
        parts = [_bool_values(c) for c in arr.chunks]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)
    return _bits(arr.buffers()[1], arr.offset, len(arr), absent=False)


@dataclass(frozen=True)
class _Encoded:
    """A dictionary-encoded column: one shared dictionary and per-chunk index arrays."""

    dictionary: pa.Array
    chunks: tuple[pa.Array, ...]
    from_encode: bool
    """True if the encoding was computed here, so every dictionary entry is used by a row."""
    n_rows: int

    @property
    def null_rows(self) -> bool:
        """Whether some row is null (has a null index)."""
        return any(c.null_count for c in self.chunks)

    def missing_entries(self) -> NDArray[np.bool_]:
        """Per dictionary entry: is it a missing value (null, NaN or empty string)."""
        d = self.dictionary
        miss = _bool_values(pc.is_null(d, nan_is_null=True))
        if _is_stringy(d.type):
            try:  # lengths of null entries are garbage, but those are missing already
                miss |= numeric_view(pc.binary_length(d)) == 0
            except pa.ArrowNotImplementedError:  # string_view
                miss |= np.array([v == "" for v in d.to_pylist()], dtype=bool)
        return miss

    def take(self, mapping: NDArray[Any]) -> NDArray[Any]:
        """Map every row through ``mapping`` (one entry per dictionary entry, then the null).

        Chunks are mapped straight into one output array, without concatenating the indices.
        Where ``mapping`` is the identity (the dictionary is already in label order) the
        indices are copied as they are, without a lookup.
        """
        k = len(self.dictionary)
        out = empty(self.n_rows, mapping.dtype)
        identity = mapping.dtype.kind in "iu" and bool(np.array_equal(mapping[:k], np.arange(k)))
        offset = 0
        for chunk in self.chunks:
            n = len(chunk)
            target = out[offset : offset + n]
            idx = numeric_view(chunk)  # null rows hold arbitrary indices: overwritten below
            if identity and not chunk.null_count:
                target[:] = idx
            else:
                np.take(mapping, idx, out=target, mode="clip")
            if chunk.null_count:
                target[_null_mask(chunk)] = mapping[k]
            offset += n
        return out

    def used_entries(self) -> NDArray[np.bool_]:
        """Per dictionary entry: does any row use it.

        Known without looking at the rows after :func:`_encode`; otherwise the rows are
        counted block by block, stopping as soon as every entry has been seen (usually after
        the first block).
        """
        k = len(self.dictionary)
        used = np.zeros(k, dtype=bool) if not self.from_encode else np.ones(k, dtype=bool)
        if self.from_encode or k == 0:
            return used
        for chunk in self.chunks:
            idx = numeric_view(chunk)
            nulls = _null_mask(chunk) if chunk.null_count else None
            for start in range(0, len(idx), BLOCK_ROWS):
                block = idx[start : start + BLOCK_ROWS]
                if nulls is not None:
                    block = block[~nulls[start : start + BLOCK_ROWS]]
                counts = np.bincount(block.astype(np.intp, copy=False), minlength=k)
                used |= counts[:k] > 0
                if used.all():
                    return used
        return used


def _encode(col: pa.ChunkedArray) -> _Encoded:
    """Dictionary-encode a column, or unify the dictionaries of an already encoded one."""
    from_encode = not pa.types.is_dictionary(col.type)
    if from_encode:
        try:
            col = pc.dictionary_encode(col, memory_pool=POOL)
        except pa.ArrowNotImplementedError:
            col = pc.dictionary_encode(col.cast(pa.large_string()), memory_pool=POOL)
    col = col.unify_dictionaries(memory_pool=POOL)
    chunks = [c for c in col.chunks if len(c)]
    return _Encoded(
        dictionary=chunks[0].dictionary,
        chunks=tuple(c.indices for c in chunks),
        from_encode=from_encode,
        n_rows=len(col),
    )


def _labels_and_mapping(
    values: pa.Array, positions: NDArray[np.intp], k: int
) -> tuple[list[str], NDArray[np.int32]]:
    """Sort the distinct values and give each dictionary position its group code.

    Returns the labels (:func:`~equilens.data._types.group_label` of each formatted value, so
    a real ``"<missing>"`` never joins the missing group) and a mapping of length ``k + 1``
    (entries not in ``positions`` and the null slot get code ``len(labels)``, the missing
    group).
    """
    sort_indices = pc.array_sort_indices(values)
    order = numeric_view(sort_indices).astype(np.int64)
    sorted_values = values.take(sort_indices).to_pylist()
    single = pa.types.is_float32(values.type) or pa.types.is_float16(values.type)
    code_of_label: dict[str, int] = {}
    codes_of_positions = np.empty(len(positions), dtype=np.int64)
    for i, value in zip(order, sorted_values, strict=True):
        text = group_label(_format_value(value, single=single))
        codes_of_positions[i] = code_of_label.setdefault(text, len(code_of_label))
    labels = list(code_of_label)
    mapping = np.full(k + 1, len(labels), dtype=np.int32)
    mapping[positions] = codes_of_positions
    return labels, mapping


def all_missing(label: str) -> InvalidInputError:
    """The error for a sensitive column whose every value is missing (one group of nothing)."""
    return InvalidInputError(
        f"{label} has no values: every row is missing (null, NaN or empty), so it defines no "
        "groups; fill it or leave it out of the sensitive features"
    )


def _too_many_groups(label: str, count: int, max_groups: int) -> InvalidInputError:
    return InvalidInputError(
        f"{label} has {count} distinct values, more than "
        f"max_groups_per_feature={max_groups}; bin it (bins=...) or choose another column"
    )


def encode_categorical(
    col: pa.ChunkedArray, name: str, label: str, max_groups: int, n_rows: int
) -> Feature:
    """Encode a sensitive column's distinct values as group codes.

    Parameters
    ----------
    col : pyarrow.ChunkedArray
        The column.
    name : str
        Feature name.
    label : str
        How messages name the column, e.g. "Sensitive column 'race'".
    max_groups : int
        Most distinct (non-missing) values allowed.
    n_rows : int
        Length of the column.

    Returns
    -------
    Feature
        Labels sorted by value, "<missing>" last if any row is null, NaN or an empty string
        (a real value "<missing>" is labelled "\\<missing>": :func:`group_label`).
        Dictionary entries that no row uses (unused pandas categories) get no group.

    Raises
    ------
    InvalidInputError
        For an unsupported type, more than ``max_groups`` distinct values, or no value at all
        (every row missing).
    """
    if not _is_groupable(col.type):
        raise InvalidInputError(
            f"{label} has unsupported type {col.type}; sensitive columns must hold strings, "
            "numbers, booleans or dates"
        )
    if pa.types.is_null(col.type) or col.null_count == n_rows:
        raise all_missing(label)
    enc = _encode(col)
    k = len(enc.dictionary)
    miss = enc.missing_entries()
    # Only an input dictionary can hold entries no row uses; those get no group.
    used = enc.used_entries()
    valid = ~miss & used
    if int(valid.sum()) > max_groups:
        raise _too_many_groups(label, int(valid.sum()), max_groups)
    positions = np.flatnonzero(valid)
    values = enc.dictionary.take(_int64_array(positions))
    if positions.size == 0:
        raise all_missing(label)
    labels, mapping = _labels_and_mapping(values, positions, k)
    codes = enc.take(mapping)
    # Some row is missing if it is null or uses a missing entry.
    if enc.null_rows or bool((miss & used).any()):
        labels.append(MISSING_LABEL)
    return Feature(name, codes, tuple(labels), "categorical")


def _to_float64(col: pa.ChunkedArray, *, copy: bool = False) -> NDArray[np.float64]:
    """Numeric column -> contiguous float64 numpy array, nulls as NaN.

    A single float64 chunk without nulls is returned as a read-only view of the Arrow buffer
    unless ``copy`` is set.
    """
    chunks = [c for c in col.chunks if len(c)]
    if (
        not copy
        and len(chunks) == 1
        and chunks[0].null_count == 0
        and chunks[0].type == pa.float64()
    ):
        view: NDArray[np.float64] = numeric_view(chunks[0])
        return view
    out: NDArray[np.float64] = empty(len(col), np.float64)
    offset = 0
    for chunk in chunks:  # cast chunk by chunk: no column-sized temporary
        if pa.types.is_dictionary(chunk.type):
            chunk = chunk.dictionary_decode()
        if chunk.type != pa.float64():
            chunk = chunk.cast(pa.float64())
        values = numeric_view(chunk)
        if chunk.null_count:
            values = np.where(_null_mask(chunk), np.nan, values)
        out[offset : offset + len(chunk)] = values
        offset += len(chunk)
    return out


def encode_binned(col: pa.ChunkedArray, name: str, label: str, spec: BinSpec) -> Feature:
    """Cut a numeric sensitive column into the bands of ``spec``.

    Bands are left-closed; missing values (null or NaN) form a last "<missing>" group. Every
    band is listed, even if no row falls in it.

    Raises
    ------
    InvalidInputError
        If the column is not numeric, or every value is missing.
    """
    value_type = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
    if not _is_numeric(value_type):
        raise InvalidInputError(
            f"Cannot bin {label[:1].lower()}{label[1:]}: it holds {value_type} values, "
            "and bins need a numeric column"
        )
    values = _to_float64(col)
    edges = np.asarray(spec.edges, dtype=np.float64)
    labels = spec.band_labels
    codes: NDArray[np.int32] = empty(len(values), np.int32)
    any_missing = False
    for start in range(0, len(values), BLOCK_ROWS):
        block = values[start : start + BLOCK_ROWS]
        out = codes[start : start + BLOCK_ROWS]
        out[:] = np.searchsorted(edges, block, side="right")
        nan = np.isnan(block)
        if nan.any():
            out[nan] = len(labels)
            any_missing = True
    if any_missing:
        if bool(np.isnan(values).all()):
            raise all_missing(label)
        labels = (*labels, MISSING_LABEL)
    return Feature(name, codes, labels, "binned", spec.edges)


def numeric_column(
    col: pa.ChunkedArray, label: str, *, kind: Literal["score", "weight"], copy: bool = False
) -> NDArray[np.float64]:
    """Validate a score (finite, in [0, 1]) or weight (finite, >= 0, not all 0) column.

    With ``copy`` the result never shares memory with the column (which may be the caller's).

    Raises
    ------
    InvalidInputError
        Naming the column, with counts and the first offending row.
    """
    value_type = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
    if not _is_numeric(value_type):
        raise InvalidInputError(f"{label} must be numeric; got {value_type} values")
    values = _to_float64(col, copy=copy)
    lo = float(np.min(values))
    hi = float(np.max(values))
    if np.isnan(lo) or np.isnan(hi):
        nan = np.isnan(values)
        raise InvalidInputError(
            f"{label} has {int(nan.sum())} missing values (null or NaN); first at row index "
            f"{_first_index(nan)}. Remove or fill those rows"
        )
    if kind == "score":
        if lo < 0.0 or hi > 1.0:
            bad = (values < 0.0) | (values > 1.0)
            raise InvalidInputError(
                f"{label} has {int(bad.sum())} values outside [0, 1] (min {lo:g}, max {hi:g}); "
                f"first at row index {_first_index(bad)}. Scores must be probabilities of the "
                "positive label"
            )
        return values
    if np.isinf(lo) or np.isinf(hi):
        bad = np.isinf(values)
        raise InvalidInputError(
            f"{label} has {int(bad.sum())} infinite values; first at row index "
            f"{_first_index(bad)}. Weights must be finite"
        )
    if lo < 0.0:
        bad = values < 0.0
        raise InvalidInputError(
            f"{label} has {int(bad.sum())} negative values (min {lo:g}); first at row index "
            f"{_first_index(bad)}. Weights must be >= 0"
        )
    if hi == 0.0:
        raise InvalidInputError(f"{label} is all zeros; at least one weight must be positive")
    return values


@dataclass(frozen=True)
class LabelColumn:
    """A validated label column: its distinct values and how to binarise it."""

    col: pa.ChunkedArray
    label: str
    kind: ValueKind
    values: tuple[LabelValue, ...]  # distinct, sorted; at most two
    encoded: _Encoded | None  # set for string / dictionary columns

    def binary(self, positive: LabelValue) -> NDArray[np.int8]:
        """1 where the value equals ``positive`` (a value from ``self.values``), else 0."""
        if self.encoded is not None:
            d = self.encoded.dictionary
            mapping = np.zeros(len(d) + 1, dtype=np.int8)
            mapping[: len(d)] = [v == positive for v in d.to_pylist()]
            return self.encoded.take(mapping)
        # Numbers and booleans without nulls (checked): compared in numpy, no bool conversion.
        out: NDArray[np.int8] = empty(len(self.col), np.int8)
        offset = 0
        for chunk in self.col.chunks:
            n = len(chunk)
            value: LabelValue = positive
            if pa.types.is_boolean(chunk.type):
                chunk, value = chunk.cast(pa.int8(), memory_pool=POOL), int(positive)
            np.equal(numeric_view(chunk), value, out=out[offset : offset + n].view(np.bool_))
            offset += n
        return out


def _py(v: Any) -> LabelValue:
    """Arrow/numpy scalar -> plain Python scalar."""
    if isinstance(v, pa.Scalar):
        v = v.as_py()
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, str | bool | int | float):
        return v
    raise InvalidInputError(f"Unsupported label value {v!r}")


def _smallest(values: pa.Array) -> list[LabelValue]:
    """The (at most five) smallest of many distinct values, sorted, without a full sort."""
    k = min(len(values), _MAX_LISTED_VALUES)
    picked = values.take(pc.bottom_k_unstable(values, k=k))
    return sorted(_py(v) for v in picked)


#: More distinct values than this, not all integers, look like a continuous target.
_CONTINUOUS_MIN_VALUES = 20

#: The task hint when a binary label column holds three or more classes.
MULTICLASS_HINT = "for three or more classes use --task multiclass (task='multiclass')"


def _too_many(
    label: str, values: Sequence[object], total: int, continuous: bool = False
) -> InvalidInputError:
    hint = MULTICLASS_HINT
    if continuous:
        hint += "; for a continuous target use --task regression (task='regression')"
    return InvalidInputError(
        f"{label} has {total} distinct values ({_list_values(values, total)}); binary labels "
        f"need at most two: {hint}. If it holds scores, pass it as y_score and threshold it "
        "for y_pred"
    )


def _looks_continuous(distinct: pa.Array, kind: ValueKind) -> bool:
    """Many distinct numbers, not all integers (a regression target, or scores)."""
    if kind != "float" or len(distinct) <= _CONTINUOUS_MIN_VALUES:
        return False
    return bool(pc.any(pc.not_equal(distinct, pc.floor(distinct))).as_py())


def _missing_error(label: str, mask: NDArray[np.bool_]) -> InvalidInputError:
    return InvalidInputError(
        f"{label} has {int(mask.sum())} missing values (null, NaN or empty); first at row index "
        f"{_first_index(mask)}. Remove or fill those rows"
    )


def label_column(col: pa.ChunkedArray, label: str) -> LabelColumn:
    """Validate a y_true / y_pred column: no missing values, at most two distinct values.

    Raises
    ------
    InvalidInputError
        For missing values, more than two values or an unsupported type.
    """
    kind = value_kind(col.type)
    if kind == "other":
        raise InvalidInputError(
            f"{label} has unsupported type {col.type}; labels must be numbers, booleans or strings"
        )
    if pa.types.is_dictionary(col.type) or kind == "str":
        return _label_from_dictionary(col, label, kind)
    if col.null_count or (kind == "float" and pc.any(pc.is_nan(col)).as_py()):
        raise _missing_error(label, _bool_values(pc.is_null(col, nan_is_null=True)))
    if kind in ("int", "bool"):
        mm = pc.min_max(col)
        lo, hi = _py(mm["min"]), _py(mm["max"])
        if lo == hi:
            return LabelColumn(col, label, kind, (lo,), None)
        if int(hi) - int(lo) == 1:
            return LabelColumn(col, label, kind, (lo, hi), None)
    distinct = pc.unique(col)
    if len(distinct) > 2:
        continuous = _looks_continuous(distinct, kind)
        raise _too_many(label, _smallest(distinct), len(distinct), continuous)
    values = tuple(sorted(_py(v) for v in distinct))
    return LabelColumn(col, label, kind, values, None)


def _label_from_dictionary(col: pa.ChunkedArray, label: str, kind: ValueKind) -> LabelColumn:
    if col.null_count == len(col):
        raise _missing_error(label, np.ones(len(col), dtype=bool))
    enc = _encode(col)
    miss = enc.missing_entries()
    used = enc.used_entries()
    if enc.null_rows or np.any(used & miss):
        raise _missing_error(label, enc.take(np.append(miss, True)).astype(bool))
    positions = np.flatnonzero(used)
    values = enc.dictionary.take(_int64_array(positions))
    if len(values) > 2:
        raise _too_many(label, _smallest(values), len(values))
    distinct = tuple(sorted(_py(v) for v in values))
    return LabelColumn(col, label, kind, distinct, enc)
