"""Choosing an engine and running it: data in, sufficient statistics and input facts out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from equilens.data import BinSpec, DataFingerprint, LabelValue, prepare_inputs
from equilens.engines._numpy import ScoreModeOption, compute_cell_stats
from equilens.exceptions import InvalidParameterError
from equilens.stats._tables import CellStats

EngineName = Literal["auto", "numpy"]
ENGINES: tuple[str, ...] = ("auto", "numpy")


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


def compute_statistics(
    data: Any,
    *,
    y_true: Any,
    y_pred: Any,
    sensitive: Any,
    y_score: Any = None,
    sample_weight: Any = None,
    positive_label: Any = None,
    bins: Mapping[str, BinSpec | Sequence[float]] | None = None,
    max_groups_per_feature: int = 100,
    score_mode: ScoreModeOption = "auto",
    engine: str = "auto",
) -> tuple[CellStats, InputsInfo]:
    """Validate the inputs and reduce them to finest-cell statistics with the chosen engine."""
    if engine not in ENGINES:
        raise InvalidParameterError(
            f"The 'engine' parameter of audit must be a str among {set(ENGINES)}. "
            f"Got {engine!r} instead."
        )
    inputs = prepare_inputs(
        data,
        y_true=y_true,
        y_pred=y_pred,
        y_score=y_score,
        sample_weight=sample_weight,
        sensitive=sensitive,
        positive_label=positive_label,
        bins=bins,
        max_groups_per_feature=max_groups_per_feature,
    )
    stats = compute_cell_stats(
        y_true=inputs.y_true,
        y_pred=inputs.y_pred,
        y_score=inputs.y_score,
        sample_weight=inputs.sample_weight,
        feature_names=[f.name for f in inputs.features],
        feature_codes=[f.codes for f in inputs.features],
        feature_labels=[f.labels for f in inputs.features],
        score_mode=score_mode,
    )
    info = InputsInfo(
        n_rows=inputs.n_rows,
        features=tuple(f.name for f in inputs.features),
        positive_label=inputs.positive_label,
        label_values=tuple(inputs.label_values),
        columns=dict(inputs.columns),
        fingerprint=inputs.fingerprint,
        weighted=inputs.sample_weight is not None,
        engine="numpy",
    )
    return stats, info
