"""What every engine shares: the validated column roles and the facts reported with the statistics.

The checks here are those :func:`equilens.data.prepare_inputs` makes on its arguments before it
reads any row, with the same messages, so an engine that reads the rows itself (DuckDB, Spark)
rejects bad arguments exactly as the in-memory path does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from equilens.data import (
    BinSpec,
    ColumnRequest,
    DataFingerprint,
    LabelValue,
    check_max_groups,
    check_positive_label,
    named_columns,
)

__all__ = ["ColumnRoles", "InputsInfo", "column_roles"]


@dataclass(frozen=True)
class InputsInfo:
    """What an engine learned about the data, besides the statistics (recorded in the log)."""

    n_rows: int
    features: tuple[str, ...]
    positive_label: LabelValue
    label_values: tuple[LabelValue, ...]
    columns: dict[str, Any]
    fingerprint: DataFingerprint
    weighted: bool
    engine: str


@dataclass(frozen=True)
class ColumnRoles:
    """The columns an audit reads, by role, with the checked options that go with them.

    Attributes
    ----------
    targets : dict of str to str
        Role (``y_true``, ``y_pred`` and, when given, ``y_score``, ``sample_weight``) to column.
    sensitive : tuple of str
        The sensitive columns, in the order given.
    bins : mapping or None
        The ``bins`` argument as given (checked once the columns are known).
    positive : str, int, float, bool or None
        The positive label as given (checked for type only).
    max_groups : int
        Most distinct values a categorical sensitive column may have.
    """

    targets: dict[str, str]
    sensitive: tuple[str, ...]
    bins: Mapping[str, BinSpec | Sequence[float]] | None
    positive: LabelValue | None
    max_groups: int

    @property
    def wanted(self) -> list[ColumnRequest]:
        """The columns to read with their roles, targets first (for messages)."""
        wanted = [ColumnRequest(column, role) for role, column in self.targets.items()]
        return wanted + [ColumnRequest(name, "sensitive") for name in self.sensitive]

    @property
    def columns(self) -> dict[str, str | list[str] | None]:
        """Role -> column name(s), as recorded in the log."""
        return {
            "y_true": self.targets["y_true"],
            "y_pred": self.targets["y_pred"],
            "y_score": self.targets.get("y_score"),
            "sample_weight": self.targets.get("sample_weight"),
            "sensitive": list(self.sensitive),
        }


def column_roles(
    *,
    y_true: object,
    y_pred: object,
    sensitive: object,
    y_score: object = None,
    sample_weight: object = None,
    positive_label: object = None,
    bins: Mapping[str, BinSpec | Sequence[float]] | None = None,
    max_groups_per_feature: object = 100,
) -> ColumnRoles:
    """Check the column arguments of an engine that reads the rows itself.

    Parameters are those of :func:`equilens.data.prepare_inputs` with ``data`` given: every
    role is a column name.

    Returns
    -------
    ColumnRoles

    Raises
    ------
    InvalidParameterError
        With the message :func:`~equilens.data.prepare_inputs` gives for the same argument.
    """
    max_groups = check_max_groups(max_groups_per_feature)
    positive = check_positive_label(positive_label)
    given: dict[str, object] = {"y_true": y_true, "y_pred": y_pred}
    if y_score is not None:
        given["y_score"] = y_score
    if sample_weight is not None:
        given["sample_weight"] = sample_weight
    targets, names = named_columns(given, sensitive)
    return ColumnRoles(
        targets=targets,
        sensitive=tuple(names),
        bins=bins,
        positive=positive,
        max_groups=max_groups,
    )
