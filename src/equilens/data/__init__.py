"""Data boundary of equilens: validated audit inputs and shipped example datasets.

:func:`prepare_inputs` turns a DataFrame, Arrow table, dict of arrays, CSV/Parquet file or bare
arrays into :class:`AuditInputs`: binary labels, scores, weights and integer-coded sensitive
features as read-only numpy arrays, plus a :class:`DataFingerprint` of the data used.
"""

from equilens.data._datasets import load_adult, load_compas, load_german_credit
from equilens.data._encode import LabelColumn, ValueKind, all_missing
from equilens.data._encode import _labels_and_mapping as labels_and_mapping
from equilens.data._encode import _py as python_value
from equilens.data._encode import _too_many as too_many
from equilens.data._encode import _too_many_groups as too_many_groups
from equilens.data._inputs import _check_bins as check_bins
from equilens.data._inputs import _check_max_groups as check_max_groups
from equilens.data._inputs import _check_positive_label as check_positive_label
from equilens.data._inputs import _named_columns as named_columns
from equilens.data._inputs import _resolve_positive as resolve_positive
from equilens.data._inputs import prepare_inputs
from equilens.data._sources import (
    ColumnRequest,
    check_present,
    csv_header,
    first_line,
    load_columns,
    path_kind,
)
from equilens.data._types import (
    MISSING_LABEL,
    AuditInputs,
    BinSpec,
    DataFingerprint,
    Feature,
    LabelValue,
    group_label,
)

__all__ = [
    "MISSING_LABEL",
    "AuditInputs",
    "BinSpec",
    "ColumnRequest",
    "DataFingerprint",
    "Feature",
    "LabelColumn",
    "LabelValue",
    "ValueKind",
    "all_missing",
    "check_bins",
    "check_max_groups",
    "check_positive_label",
    "check_present",
    "csv_header",
    "first_line",
    "group_label",
    "labels_and_mapping",
    "load_adult",
    "load_columns",
    "load_compas",
    "load_german_credit",
    "named_columns",
    "path_kind",
    "prepare_inputs",
    "python_value",
    "resolve_positive",
    "too_many",
    "too_many_groups",
]
