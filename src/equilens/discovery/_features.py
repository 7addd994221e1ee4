"""Slice features: each column encoded once to small integer codes with named levels.

Categorical columns keep their values (missing values are a level of their own); numeric
columns with more distinct values than ``max_levels`` are cut into named quantile bins
(``[25, 37)``). A column that looks like an identifier (a distinct value on every row) or has
too many categories to slice is refused with a one-line error naming it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from equilens.exceptions import InvalidInputError, InvalidParameterError

__all__ = ["MISSING_LEVEL", "SliceFeature", "encode_features"]

IntArray = NDArray[np.int64]

#: Level name of missing values.
MISSING_LEVEL = "(missing)"
#: Fewer rows than this and a distinct value per row is not evidence of an identifier.
_ID_MIN_ROWS = 20


@dataclass(frozen=True)
class SliceFeature:
    """One encoded feature: a code per unit in ``range(len(levels))`` and the level names."""

    name: str
    codes: IntArray
    levels: tuple[str, ...]
    edges: tuple[float, ...] | None = None
    """Quantile bin edges of a binned numeric feature (None for a categorical one)."""

    @property
    def n_levels(self) -> int:
        return len(self.levels)


def _bin_labels(edges: NDArray[np.float64]) -> list[str]:
    """``[lo, hi)`` per bin (the last one closed), with as few digits as keep them distinct."""
    for digits in range(4, 18):
        text = [f"{e:.{digits}g}" for e in edges]
        labels = [f"[{lo}, {hi})" for lo, hi in itertools.pairwise(text)]
        if labels:
            labels[-1] = labels[-1][:-1] + "]"
        if len(set(labels)) == len(labels):
            return labels
    return labels


def _binned(name: str, values: NDArray[np.float64], n_bins: int) -> SliceFeature:
    present = ~np.isnan(values)
    edges = np.unique(np.quantile(values[present], np.linspace(0.0, 1.0, n_bins + 1)))
    codes = np.searchsorted(edges[1:-1], values, side="right").astype(np.int64)
    labels = _bin_labels(edges) or [f"{edges[0]:.4g}"]  # one distinct value: one level
    if not present.all():
        codes[~present] = len(labels)
        labels.append(MISSING_LEVEL)
    return SliceFeature(name, codes, tuple(labels), tuple(float(e) for e in edges))


def _categorical(name: str, column: pd.Series, max_levels: int) -> SliceFeature:
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    n = len(column)
    k = len(uniques)
    if n >= _ID_MIN_ROWS and k == n:
        raise InvalidInputError(
            f"Feature '{name}' has a different value on every row (an identifier?); it cannot "
            "define slices: leave it out of --features"
        )
    if k > max_levels:
        raise InvalidInputError(
            f"Feature '{name}' has {k:,} distinct values, more than --max-levels {max_levels}; "
            "group its values or leave it out of --features"
        )
    labels = [str(u) for u in uniques]
    codes = codes.astype(np.int64)
    if (codes < 0).any():
        codes[codes < 0] = len(labels)
        labels.append(MISSING_LEVEL)
    return SliceFeature(name, codes, tuple(labels))


def encode_feature(name: str, column: pd.Series, *, bins: int, max_levels: int) -> SliceFeature:
    """Encode one column (see the module docstring)."""
    is_numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    if is_numeric:
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        distinct = np.unique(values[~np.isnan(values)])
        integral = bool(np.all(distinct == np.round(distinct)))
        if distinct.size > max_levels:  # (an all-missing column has none: categorical)
            if integral and distinct.size == len(values) and len(values) >= _ID_MIN_ROWS:
                raise InvalidInputError(
                    f"Feature '{name}' has a different whole number on every row (an "
                    "identifier?); it cannot define slices: leave it out of --features"
                )
            return _binned(name, values, bins)
    return _categorical(name, column, max_levels)


def encode_features(
    frame: Mapping[str, pd.Series], names: Sequence[str], *, bins: int, max_levels: int
) -> list[SliceFeature]:
    """Encode the named feature columns of ``frame`` (a mapping of columns)."""
    if bins < 2:
        raise InvalidParameterError(f"--bins must be at least 2, got {bins}")
    if max_levels < 2:
        raise InvalidParameterError(f"--max-levels must be at least 2, got {max_levels}")
    if len(set(names)) != len(names):
        raise InvalidParameterError("--features names a column twice")
    return [encode_feature(n, frame[n], bins=bins, max_levels=max_levels) for n in names]
