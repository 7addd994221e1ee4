"""Data boundary of equilens: validated audit inputs and shipped example datasets.

:func:`prepare_inputs` turns a DataFrame, Arrow table, dict of arrays, CSV/Parquet file or bare
arrays into :class:`AuditInputs`: binary labels, scores, weights and integer-coded sensitive
features as read-only numpy arrays, plus a :class:`DataFingerprint` of the data used.
"""

from equilens.data._datasets import load_adult, load_compas, load_german_credit
from equilens.data._inputs import prepare_inputs
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
    "DataFingerprint",
    "Feature",
    "LabelValue",
    "group_label",
    "load_adult",
    "load_compas",
    "load_german_credit",
    "prepare_inputs",
]
