"""Reading the named columns of a CSV/Parquet file (or a DataFrame) as a pandas frame."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa

from equilens.data import ColumnRequest, load_columns


def read_columns(
    source: str | Path | pd.DataFrame, wanted: Sequence[tuple[str, str]]
) -> pd.DataFrame:
    """The columns ``(name, role)`` of ``source``; one-line errors name the file and column."""
    requests = [ColumnRequest(name, role) for name, role in wanted]
    loaded = load_columns(source, requests, max_groups=1_000_000)
    names = list(dict.fromkeys(name for name, _ in wanted))
    table = pa.table({n: loaded.columns[n] for n in names})
    frame: pd.DataFrame = table.to_pandas()
    for name in frame.columns:  # dictionary-encoded text: plain values (no unused categories)
        if isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype(object)
    return frame
