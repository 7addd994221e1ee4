"""Confusion cells of a binary classifier and the sums of them that proportions read."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from equilens.metrics._spec import MetricSpec

FloatArray = NDArray[np.float64]
Cell = tuple[int, int]  # (y_true, y_pred)

TP: Cell = (1, 1)
FP: Cell = (0, 1)
FN: Cell = (1, 0)
TN: Cell = (0, 0)
ALL: tuple[Cell, ...] = (TN, FP, FN, TP)
POSITIVES: tuple[Cell, ...] = (FN, TP)
NEGATIVES: tuple[Cell, ...] = (TN, FP)
PREDICTED_POSITIVE: tuple[Cell, ...] = (FP, TP)
PREDICTED_NEGATIVE: tuple[Cell, ...] = (TN, FN)


def cell_sum(conf: FloatArray, cells: tuple[Cell, ...]) -> FloatArray:
    """Sum of confusion cells over the last two axes ``(..., y_true, y_pred)``."""
    out = np.zeros(conf.shape[:-2], dtype=np.float64)
    for t, p in cells:
        out = out + conf[..., t, p]
    return out


def proportion_parts(spec: MetricSpec, conf: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Numerator and denominator of a proportion metric."""
    return cell_sum(conf, spec.numerator), cell_sum(conf, spec.denominator)


def evaluate_confusion_metric(spec: MetricSpec, conf: FloatArray) -> FloatArray:
    """Value of a count, proportion or confusion metric; NaN where undefined."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if spec.kind == "count":
            return cell_sum(conf, ALL)
        if spec.kind == "proportion":
            num, den = proportion_parts(spec, conf)
            return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
        if spec.kind == "confusion" and spec.func is not None:
            return spec.func(conf)
    raise ValueError(f"metric '{spec.name}' is not computed from confusion counts")
