"""Predictions that are already columns of the data (no model runs; nothing is cached).

Generated texts that already exist need no adapter: they are ordinary columns of the data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from equilens.adapters._base import (
    BaseAdapter,
    InputKind,
    Task,
    check_keys,
)
from equilens.adapters._inputs import as_table
from equilens.exceptions import InvalidInputError, InvalidParameterError

__all__ = ["PrecomputedAdapter"]


class PrecomputedAdapter(BaseAdapter):
    """Read predictions from columns: ``y_pred`` labels and ``y_score`` scores.

    Parameters
    ----------
    y_pred, y_score:
        Column names; at least one is required. Each enables one task (``predict``,
        ``predict_proba``).
    """

    kind: str = "precomputed"
    spec_keys = frozenset({"y_pred", "y_score"})
    input_kind: InputKind = "table"
    default_batch_size: int = 1 << 20

    def __init__(self, *, y_pred: str | None = None, y_score: str | None = None) -> None:
        cols = {"predict": y_pred, "predict_proba": y_score}
        for name, value in (("y_pred", y_pred), ("y_score", y_score)):
            if value is not None and not isinstance(value, str):
                raise InvalidParameterError(
                    f"The '{name}' parameter of the precomputed model adapter must be a column "
                    f"name (str). Got {value!r} instead."
                )
        if not any(cols.values()):
            raise InvalidParameterError(
                "The precomputed model adapter needs 'y_pred' or 'y_score' (column names)."
            )
        self._columns: dict[Task, str] = {t: c for t, c in cols.items() if c}  # type: ignore[misc]
        self.capabilities = frozenset(self._columns)
        self.cacheable = False

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], *, base_dir: Path | None) -> PrecomputedAdapter:
        """Build from ``{"y_pred": ..., "y_score": ...}``."""
        check_keys("precomputed model spec", spec, set(cls.spec_keys))
        return cls(**spec)

    def prepare_inputs(self, data: Any) -> pd.DataFrame:
        """The prediction columns of ``data``."""
        table = as_table(data, adapter=self.kind)
        missing = [c for c in self._columns.values() if c not in table.columns]
        if missing:
            raise InvalidInputError(
                f"Found no prediction column(s) {missing} in the data (columns: "
                f"{', '.join(map(str, table.columns))})."
            )
        return table[list(dict.fromkeys(self._columns.values()))]

    def predict(self, inputs: Any) -> Sequence[Any]:
        """The ``y_pred`` column."""
        if "predict" not in self._columns:
            raise self._unsupported("predict")
        return list(inputs[self._columns["predict"]].tolist())

    def predict_proba(self, inputs: Any) -> Sequence[float]:
        """The ``y_score`` column."""
        if "predict_proba" not in self._columns:
            raise self._unsupported("predict_proba")
        return list(inputs[self._columns["predict_proba"]].tolist())

    def _source(self) -> dict[str, Any]:
        return {"columns": dict(self._columns)}
