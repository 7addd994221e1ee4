"""The data boundary of every task but binary: :func:`prepare_columns`.

A task names its columns by role and says what each must hold (:class:`ColumnKind`): class
labels, finite numbers, non-negative numbers, unit identifiers. The columns are read once (the
same readers as :func:`~equilens.data.prepare_inputs`), the sensitive columns encoded the same
way, and everything hashed into the data fingerprint. A column that does not hold what its role
needs is an :class:`~equilens.exceptions.InvalidInputError` naming the column and, where another
task would fit it, that task's ``--task``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from equilens.data._fingerprint import Hasher, HashPart, hash_dtype
from equilens.data._inputs import (
    _check_bins,
    _check_max_groups,
    _describe,
    _load,
    encode_features,
)
from equilens.data._types import BinSpec, DataFingerprint, Feature
from equilens.exceptions import InvalidInputError, InvalidParameterError

__all__ = ["ColumnKind", "TaskInputs", "prepare_columns"]

#: What a role's column must hold.
#:
#: * ``labels``: class labels (numbers, booleans or strings, no missing value), coded
#:   ``0 .. K-1`` by sorted value;
#: * ``number``: finite numbers (no missing value);
#: * ``count``: finite numbers >= 0 (a ratio's denominator, a weight);
#: * ``id``: identifiers of units (query, item, cluster), any type, no missing value, coded
#:   ``0 .. U-1`` by first appearance order of the sorted distinct values.
ColumnKind = Literal["labels", "number", "count", "id"]


@dataclass(frozen=True)
class TaskInputs:
    """Validated columns of one task, by role, plus the sensitive features and fingerprint.

    Attributes
    ----------
    n_rows : int
    values : dict of str to ndarray
        ``number`` / ``count`` roles: float64; ``labels`` / ``id`` roles: int64 codes.
    labels : dict of str to tuple of str
        For ``labels`` and ``id`` roles: the text of each code.
    features : tuple of Feature
        Encoded sensitive columns, as for the binary audit.
    columns : dict
        Role -> column name (``sensitive`` -> list of names), as recorded in the log.
    fingerprint : DataFingerprint
    """

    n_rows: int
    values: dict[str, NDArray[Any]]
    labels: dict[str, tuple[str, ...]]
    features: tuple[Feature, ...]
    columns: dict[str, str | list[str] | None]
    fingerprint: DataFingerprint

    def cell_codes(self) -> tuple[NDArray[np.int64], tuple[tuple[str, ...], ...]]:
        """Finest-cell code of every row and the occupied cells' keys, in engine order.

        Cells are ordered by their groups, first feature slowest (the order of every engine's
        :class:`~equilens.stats.CellStats`), and only occupied cells get a code.
        """
        flat = np.zeros(self.n_rows, dtype=np.int64)
        for f in self.features:
            flat = flat * f.n_groups + f.codes.astype(np.int64)
        space = int(np.prod([f.n_groups for f in self.features], dtype=np.float64))
        if space <= 1 << 24:  # a lookup table: one pass, no sort
            present = np.bincount(flat, minlength=space) > 0
            used = np.flatnonzero(present)
            remap = np.cumsum(present) - 1
            codes = remap[flat]
        else:
            used, codes = np.unique(flat, return_inverse=True)
        keys: list[tuple[str, ...]] = []
        for u in used.tolist():
            key: list[str] = []
            for f in reversed(self.features):
                u, g = divmod(u, f.n_groups)
                key.append(f.labels[g])
            keys.append(tuple(reversed(key)))
        return codes.astype(np.int64), tuple(keys)


def _hint(task_hint: str | None) -> str:
    return f"; use --task {task_hint} (task='{task_hint}')" if task_hint else ""


def _numbers(
    col: pa.ChunkedArray, label: str, kind: ColumnKind, hint: str | None
) -> NDArray[np.float64]:
    value_type = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
    if pa.types.is_dictionary(col.type):
        col = col.cast(value_type)
    if not (pa.types.is_integer(value_type) or pa.types.is_floating(value_type)) and not (
        pa.types.is_boolean(value_type) or pa.types.is_decimal(value_type)
    ):
        raise InvalidInputError(f"{label} must hold numbers; got {value_type} values{_hint(hint)}")
    values = np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        raise InvalidInputError(
            f"{label} has {int(bad.sum())} missing or infinite values; first at row index "
            f"{int(np.flatnonzero(bad)[0])}. Remove or fill those rows"
        )
    if kind == "count" and values.size and float(values.min()) < 0:
        neg = values < 0
        raise InvalidInputError(
            f"{label} has {int(neg.sum())} negative values (min {float(values.min()):g}); first "
            f"at row index {int(np.flatnonzero(neg)[0])}. It must be >= 0"
        )
    values.setflags(write=False)
    return values


def _codes(col: pa.ChunkedArray, label: str) -> tuple[NDArray[np.int64], tuple[str, ...]]:
    """Codes of the sorted distinct values (numbers numerically), no missing value allowed."""
    if col.null_count:
        mask = np.asarray(col.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        raise InvalidInputError(
            f"{label} has {int(mask.sum())} missing values; first at row index "
            f"{int(np.flatnonzero(mask)[0])}. Remove or fill those rows"
        )
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    if pa.types.is_floating(col.type):
        arr = np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)
        if np.isnan(arr).any():
            nan = np.isnan(arr)
            raise InvalidInputError(
                f"{label} has {int(nan.sum())} missing values (NaN); first at row index "
                f"{int(np.flatnonzero(nan)[0])}. Remove or fill those rows"
            )
        uniq, inv = np.unique(arr, return_inverse=True)
        text = tuple(str(int(v)) if float(v).is_integer() else repr(float(v)) for v in uniq)
        return inv.astype(np.int64), text
    if pa.types.is_integer(col.type) or pa.types.is_boolean(col.type):
        arr = np.asarray(col.to_numpy(zero_copy_only=False))
        uniq, inv = np.unique(arr, return_inverse=True)
        return inv.astype(np.int64), tuple(str(v) for v in uniq.tolist())
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        enc = pc.dictionary_encode(col).combine_chunks()
        dictionary = np.asarray(enc.dictionary.to_pylist(), dtype=object)
        order = np.argsort(dictionary.astype(str), kind="stable")
        rank = np.empty(order.size, dtype=np.int64)
        rank[order] = np.arange(order.size)
        idx = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        return rank[idx], tuple(str(x) for x in dictionary[order])
    raise InvalidInputError(f"{label} has unsupported type {col.type}")


def prepare_columns(
    data: object,
    *,
    roles: Mapping[str, object],
    kinds: Mapping[str, ColumnKind],
    sensitive: object,
    bins: Mapping[str, BinSpec | Sequence[float]] | None = None,
    max_groups_per_feature: int = 100,
    hints: Mapping[str, str] | None = None,
) -> TaskInputs:
    """Read and validate the columns of a task.

    Parameters
    ----------
    data
        As for :func:`~equilens.data.prepare_inputs` (a frame, table, dict, CSV/Parquet path,
        or None with arrays as the roles' values).
    roles
        Role -> column name (or array when ``data`` is None). Roles whose value is None are
        left out. A ``number`` or ``count`` role may take a list of columns (a 2-D array when
        ``data`` is None), e.g. one score column per class: its value is then ``(n, K)``.
    kinds
        Role -> :data:`ColumnKind`.
    sensitive, bins, max_groups_per_feature
        As for :func:`~equilens.data.prepare_inputs`.
    hints
        Role -> the task that fits when the role's column holds the wrong kind of values
        (e.g. ``{"y_true": "multiclass"}`` for a regression target holding text).

    Raises
    ------
    InvalidInputError, InvalidParameterError
        One line naming the column (and the fitting ``--task`` where one is known).
    """
    max_groups = _check_max_groups(max_groups_per_feature)
    targets: dict[str, object] = {}
    multi: dict[str, list[str]] = {}  # role -> its sub-roles, for a role given as a list
    for role, value in roles.items():
        if value is None:
            continue
        if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
            if data is None:
                raise InvalidParameterError(
                    f"The '{role}' parameter lists column names ({list(value)!r}) but data is "
                    "None; pass data=... or a 2-D array."
                )
            if kinds[role] not in ("number", "count"):
                raise InvalidParameterError(
                    f"The '{role}' parameter takes one column; got a list of {len(value)}."
                )
            multi[role] = [f"{role}[{i}]" for i in range(len(value))]
            for sub, name in zip(multi[role], value):
                targets[sub] = name
        elif data is None and isinstance(value, np.ndarray) and value.ndim == 2:
            multi[role] = [f"{role}[{i}]" for i in range(value.shape[1])]
            for i, sub in enumerate(multi[role]):
                targets[sub] = value[:, i]
        else:
            targets[role] = value
    given_hints = dict(hints or {})
    kinds = dict(kinds)
    for role, subs in multi.items():
        for sub in subs:
            kinds[sub] = kinds[role]
            if role in given_hints:
                given_hints[sub] = given_hints[role]
    hints = given_hints
    loaded, role_names, sensitive_names = _load(data, targets, sensitive, max_groups)
    bin_specs = _check_bins(bins, sensitive_names)
    arrays = data is None
    n_rows = loaded.n_rows
    cols = loaded.columns
    values: dict[str, NDArray[Any]] = {}
    labels: dict[str, tuple[str, ...]] = {}
    with Hasher(n_rows) as hasher:
        for role, name in role_names.items():
            label = _describe(loaded, name, role, arrays=arrays)
            kind = kinds[role]
            if kind in ("number", "count"):
                arr: NDArray[Any] = _numbers(cols[name], label, kind, hints.get(role))
                hasher.add(HashPart(name, {"role": role, "kind": kind}, arr))
            else:
                codes, text = _codes(cols[name], label)
                codes.setflags(write=False)
                arr = codes
                labels[role] = text
                header: dict[str, object] = {"role": role, "kind": kind, "labels": list(text)}
                hasher.add(HashPart(name, header, codes, hash_dtype(len(text))))
            values[role] = arr
        features = encode_features(
            loaded, sensitive_names, bin_specs, max_groups, hasher, arrays=arrays
        )
        fingerprint = hasher.result()
    columns: dict[str, str | list[str] | None] = {}
    for role in roles:
        if role in multi:
            stacked = np.column_stack([values.pop(sub) for sub in multi[role]])
            stacked.setflags(write=False)
            values[role] = stacked
            columns[role] = [role_names[sub] for sub in multi[role]]
        else:
            columns[role] = role_names.get(role)
    columns["sensitive"] = list(sensitive_names)
    return TaskInputs(
        n_rows=n_rows,
        values=values,
        labels=labels,
        features=tuple(features),
        columns=columns,
        fingerprint=fingerprint,
    )
