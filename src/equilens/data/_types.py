"""Value types produced by :func:`equilens.data.prepare_inputs`.

They are frozen dataclasses holding read-only numpy arrays. Equality compares array contents, so
two :class:`AuditInputs` built from the same data given in different forms compare equal.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from equilens.exceptions import InvalidParameterError

__all__ = [
    "MISSING_LABEL",
    "AuditInputs",
    "BinSpec",
    "DataFingerprint",
    "Feature",
    "LabelValue",
    "group_label",
]

MISSING_LABEL = "<missing>"
"""Label of the group of rows whose sensitive value is missing (null, NaN or empty string).
A real value that reads ``<missing>`` is labelled ``\\<missing>`` (see :func:`group_label`)."""

_MISSING_LOOKALIKE = re.compile(r"\\*<missing>")


def group_label(text: str) -> str:
    """The group label of a real (non-missing) value formatted as ``text``.

    Labels must never merge a real value with the missing rows, so the mapping is one-to-one:
    a value of the form ``<missing>``, ``\\<missing>``, ``\\\\<missing>``, ... gets one more
    leading backslash (``<missing>`` -> ``\\<missing>``); every other value is its own label.
    Only the missing rows are labelled ``<missing>`` (:data:`MISSING_LABEL`).
    """
    return "\\" + text if _MISSING_LOOKALIKE.fullmatch(text) else text


LabelValue = str | int | float | bool
"""A label value as found in the data (a Python scalar)."""


def _format_edge(x: float) -> str:
    """Format a bin edge compactly: ``25.0`` -> ``"25"``, ``0.5`` -> ``"0.5"``."""
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


@dataclass(frozen=True)
class BinSpec:
    """How to cut a numeric sensitive column into named bands.

    Bands are left-closed: with ``edges=(25, 45)`` the bands are ``[-inf, 25)``, ``[25, 45)`` and
    ``[45, inf]``, labelled ``"<25"``, ``"25-45"`` and ``">=45"`` unless ``labels`` are given.

    Parameters
    ----------
    edges : tuple of float
        Interior edges, finite and strictly increasing; at least one.
    labels : tuple of str, optional
        One distinct, non-empty name per band (``len(edges) + 1`` names).

    Raises
    ------
    InvalidParameterError
        If the edges are empty, not finite or not strictly increasing, or the labels do not
        match the number of bands.
    """

    edges: tuple[float, ...]
    labels: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        raw_edges = self.edges
        if isinstance(raw_edges, str | bytes) or not isinstance(raw_edges, Sequence | np.ndarray):
            raise InvalidParameterError(
                "The 'edges' parameter of BinSpec must be a sequence of numbers. "
                f"Got {type(raw_edges).__name__} instead."
            )
        edges: list[float] = []
        for e in raw_edges:
            if isinstance(e, bool) or not isinstance(e, int | float | np.integer | np.floating):
                raise InvalidParameterError(
                    "The 'edges' parameter of BinSpec must be a sequence of numbers. "
                    f"Got {e!r} among them."
                )
            edges.append(float(e))
        if not edges:
            raise InvalidParameterError(
                "The 'edges' parameter of BinSpec must hold at least one edge. Got () instead."
            )
        if not all(math.isfinite(e) for e in edges):
            raise InvalidParameterError(
                f"The 'edges' parameter of BinSpec must hold finite numbers. Got {tuple(edges)}."
            )
        if any(b <= a for a, b in itertools.pairwise(edges)):
            raise InvalidParameterError(
                "The 'edges' parameter of BinSpec must be strictly increasing. "
                f"Got {tuple(_num(e) for e in edges)} instead."
            )
        object.__setattr__(self, "edges", tuple(edges))
        if self.labels is not None:
            labels = self.labels
            if isinstance(labels, str) or not isinstance(labels, Sequence):
                raise InvalidParameterError(
                    "The 'labels' parameter of BinSpec must be a sequence of str or None. "
                    f"Got {type(labels).__name__} instead."
                )
            if len(labels) != len(edges) + 1:
                raise InvalidParameterError(
                    f"The 'labels' parameter of BinSpec must hold {len(edges) + 1} names "
                    f"(one per band for {len(edges)} edges). Got {len(labels)} instead."
                )
            if not all(isinstance(lab, str) and lab for lab in labels):
                raise InvalidParameterError(
                    "The 'labels' parameter of BinSpec must hold non-empty strings. "
                    f"Got {tuple(labels)!r} instead."
                )
            if len(set(labels)) != len(labels) or MISSING_LABEL in labels:
                raise InvalidParameterError(
                    "The 'labels' parameter of BinSpec must hold distinct names other than "
                    f"{MISSING_LABEL!r}. Got {tuple(labels)!r} instead."
                )
            object.__setattr__(self, "labels", tuple(labels))

    @property
    def band_labels(self) -> tuple[str, ...]:
        """The band names: ``labels`` if given, else ``"<a"``, ``"a-b"``, ..., ``">=z"``."""
        if self.labels is not None:
            return self.labels
        e = [_format_edge(x) for x in self.edges]
        middle = [f"{a}-{b}" for a, b in itertools.pairwise(e)]
        return (f"<{e[0]}", *middle, f">={e[-1]}")


def _num(x: float) -> int | float:
    return int(x) if x.is_integer() and abs(x) < 1e15 else x


@dataclass(frozen=True, eq=False)
class Feature:
    """One sensitive column, encoded as integer group codes.

    Attributes
    ----------
    name : str
        The column name (the mapping key when arrays were given).
    codes : ndarray of int32, shape (n_rows,)
        Group code of each row, ``0 .. len(labels) - 1``. Read-only.
    labels : tuple of str
        Display label of each code. Categorical labels are sorted by value (numbers in numeric
        order); the missing-value group ``"<missing>"``, present only if some row is missing,
        is always last. Binned features list every band, including empty ones.
    kind : {"categorical", "binned"}
        Whether the codes are the column's distinct values or bands of a :class:`BinSpec`.
    bin_edges : tuple of float or None
        The interior edges for a binned feature, else None.
    """

    name: str
    codes: NDArray[np.int32]
    labels: tuple[str, ...]
    kind: Literal["categorical", "binned"]
    bin_edges: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.codes, np.ndarray) or self.codes.dtype != np.int32:
            raise InvalidParameterError(
                "The 'codes' parameter of Feature must be a numpy int32 array. "
                f"Got {getattr(self.codes, 'dtype', type(self.codes).__name__)} instead."
            )
        if self.codes.ndim != 1:
            raise InvalidParameterError(
                "The 'codes' parameter of Feature must be 1-dimensional. "
                f"Got shape {self.codes.shape} instead."
            )
        if len(set(self.labels)) != len(self.labels):
            raise InvalidParameterError(
                f"The 'labels' parameter of Feature must be distinct. Got {self.labels!r}."
            )
        if self.kind not in ("categorical", "binned"):
            raise InvalidParameterError(
                "The 'kind' parameter of Feature must be a str among {'categorical', 'binned'}. "
                f"Got {self.kind!r} instead."
            )

    @property
    def n_groups(self) -> int:
        """Number of groups (``len(labels)``)."""
        return len(self.labels)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Feature):
            return NotImplemented
        return (
            self.name == other.name
            and self.labels == other.labels
            and self.kind == other.kind
            and self.bin_edges == other.bin_edges
            and np.array_equal(self.codes, other.codes)
        )


@dataclass(frozen=True, eq=False)
class DataFingerprint:
    """Content hash of the data an audit used.

    Each used column is hashed after normalisation (binary labels, float scores and weights,
    group codes and labels), so the same data gives the same fingerprint whether it came from
    pandas, polars, Arrow, a dict of arrays or a CSV/Parquet file.

    Attributes
    ----------
    n_rows : int
        Number of rows.
    columns : dict of str to str
        Column name -> hex digest (128-bit BLAKE2b) of its normalised content, in role order.
    """

    n_rows: int
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        """One hex digest over ``n_rows`` and every column's digest (sorted by name)."""
        h = hashlib.blake2b(digest_size=16)
        h.update(f"n_rows={self.n_rows}\n".encode())
        for name in sorted(self.columns):
            h.update(f"{name}\0{self.columns[name]}\n".encode())
        return h.hexdigest()

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready form: ``{"n_rows": ..., "columns": {...}, "digest": ...}``."""
        return {"n_rows": self.n_rows, "columns": dict(self.columns), "digest": self.digest}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DataFingerprint):
            return NotImplemented
        return self.n_rows == other.n_rows and self.columns == other.columns


def _opt_equal(a: NDArray[np.float64] | None, b: NDArray[np.float64] | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return np.array_equal(a, b)


@dataclass(frozen=True, eq=False)
class AuditInputs:
    """Validated, normalised inputs of an audit. Built by :func:`prepare_inputs`.

    Attributes
    ----------
    n_rows : int
        Number of rows (at least 1).
    y_true : ndarray of int8, shape (n_rows,)
        1 where the true label is the positive label, else 0. Read-only.
    y_pred : ndarray of int8, shape (n_rows,)
        1 where the predicted label is the positive label, else 0. Read-only.
    y_score : ndarray of float64 or None
        Score of the positive class, finite and in [0, 1]. Read-only.
    sample_weight : ndarray of float64 or None
        Row weights, finite, >= 0 and not all zero. Read-only.
    features : tuple of Feature
        The sensitive features, in the order given.
    positive_label : str, int, float or bool
        The positive label, with the type of the ``y_true`` values.
    label_values : tuple
        The distinct label values seen in ``y_true`` and ``y_pred`` (at most two), sorted, with
        the type of the ``y_true`` values.
    columns : dict
        Role -> column name(s): ``y_true``, ``y_pred``, ``y_score``, ``sample_weight`` (str or
        None) and ``sensitive`` (list of str). With array inputs the names are the role names and
        the keys of the ``sensitive`` mapping.
    fingerprint : DataFingerprint
        Content hash of every used column.
    """

    n_rows: int
    y_true: NDArray[np.int8]
    y_pred: NDArray[np.int8]
    y_score: NDArray[np.float64] | None
    sample_weight: NDArray[np.float64] | None
    features: tuple[Feature, ...]
    positive_label: LabelValue
    label_values: tuple[LabelValue, ...]
    columns: dict[str, str | list[str] | None]
    fingerprint: DataFingerprint

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Names of the sensitive features, in order."""
        return tuple(f.name for f in self.features)

    def feature(self, name: str) -> Feature:
        """Return the sensitive feature called ``name``.

        Raises
        ------
        InvalidParameterError
            If there is no such feature.
        """
        for f in self.features:
            if f.name == name:
                return f
        raise InvalidParameterError(
            f"No sensitive feature named {name!r}; features: {', '.join(self.feature_names)}."
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AuditInputs):
            return NotImplemented
        return (
            self.n_rows == other.n_rows
            and np.array_equal(self.y_true, other.y_true)
            and np.array_equal(self.y_pred, other.y_pred)
            and _opt_equal(self.y_score, other.y_score)
            and _opt_equal(self.sample_weight, other.sample_weight)
            and self.features == other.features
            and self.positive_label == other.positive_label
            and type(self.positive_label) is type(other.positive_label)
            and self.label_values == other.label_values
            and self.columns == other.columns
            and self.fingerprint == other.fingerprint
        )
