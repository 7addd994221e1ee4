"""Choosing an engine and running it: data in, sufficient statistics and input facts out.

Engines:

* ``numpy``: everything :func:`equilens.data.prepare_inputs` accepts, held in memory.
* ``duckdb``: CSV / Parquet paths (files, directories, globs, lists), DuckDB relations, and
  in-memory Arrow / pandas / polars frames; streaming, out of core, under a memory limit.
* ``spark``: a pyspark DataFrame, or paths read by Spark; runs where the session runs.

``auto`` picks, by the input's type: ``spark`` for a pyspark DataFrame; ``duckdb`` for a DuckDB
relation, for paths the numpy engine cannot read (directories, globs, lists, URLs), for Parquet
files of more than :data:`AUTO_DUCKDB_MIN_ROWS` rows (read from the footer) and for CSV files of
at least :data:`AUTO_DUCKDB_MIN_BYTES` (if duckdb is installed); ``numpy`` otherwise.

Why there (``bench/bench_core.py``, ``docs/design/0002-engines.md``): the numpy engine counts
the rows in one blocked pass (about 0.5 s of CPU for the statistics of 10M rows, after pyarrow's
read), faster than DuckDB's grouped query at any size that fits in memory, and it holds about 40
bytes a row; DuckDB's memory stays flat (under 1 GiB at 100M rows), so it takes the files that
might not fit. Both engines make the same score bins for the same rows, so the choice never
changes the score mode.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from equilens.data import BinSpec, prepare_inputs
from equilens.engines._base import InputsInfo
from equilens.engines._duckdb import duckdb_statistics, is_duckdb_relation
from equilens.engines._files import is_paths
from equilens.engines._numpy import ScoreModeOption, compute_cell_stats
from equilens.engines._spark import is_spark_dataframe, spark_statistics
from equilens.exceptions import InvalidParameterError
from equilens.stats import CellStats

__all__ = [
    "AUTO_DUCKDB_MIN_BYTES",
    "AUTO_DUCKDB_MIN_ROWS",
    "ENGINES",
    "EngineName",
    "InputsInfo",
    "choose_engine",
    "compute_statistics",
]

EngineName = Literal["auto", "numpy", "duckdb", "spark"]
ENGINES: tuple[str, ...] = ("auto", "numpy", "duckdb", "spark")

#: ``auto`` reads Parquet files of more rows than this with DuckDB. Below, pyarrow reads the file
#: faster than DuckDB aggregates it, and the numpy engine holds about 40 bytes a row (1 GB at
#: 25M rows); above, DuckDB's flat memory wins.
AUTO_DUCKDB_MIN_ROWS = 25_000_000
#: ``auto`` reads CSV files of at least this many bytes with DuckDB (about 2M rows of a
#: prediction log with a few columns).
AUTO_DUCKDB_MIN_BYTES = 64 << 20


def _installed(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # ValueError: sys.modules[module] is None
        return False


def _auto_for_file(path: Path) -> str:
    """numpy or duckdb for one existing local file (numpy reports unreadable files)."""
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        try:
            rows = pq.read_metadata(path).num_rows
        except (pa.ArrowException, OSError):
            return "numpy"
        return "duckdb" if rows > AUTO_DUCKDB_MIN_ROWS else "numpy"
    if name.endswith((".csv", ".csv.gz")):
        return "duckdb" if path.stat().st_size >= AUTO_DUCKDB_MIN_BYTES else "numpy"
    return "numpy"


def choose_engine(data: object, engine: str = "auto") -> str:
    """The engine that runs for ``data`` (``engine`` itself unless it is ``auto``).

    Raises
    ------
    InvalidParameterError
        If ``engine`` is not one of :data:`ENGINES`.
    """
    if engine not in ENGINES:
        raise InvalidParameterError(
            f"The 'engine' parameter of audit must be a str among {set(ENGINES)}. "
            f"Got {engine!r} instead."
        )
    if engine != "auto":
        return engine
    if is_spark_dataframe(data):
        return "spark"
    if is_duckdb_relation(data):
        return "duckdb"
    if not is_paths(data) or not _installed("duckdb"):
        return "numpy"
    if not isinstance(data, str | Path) or "://" in str(data):
        return "duckdb"  # lists and URLs: the numpy engine reads one local file
    path = Path(data)
    if path.is_file():
        return _auto_for_file(path)
    if path.is_dir() or any(ch in str(data) for ch in "*?["):
        return "duckdb"
    return "numpy"  # a missing file: prepare_inputs' message


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
    """Validate the inputs and reduce them to finest-cell statistics with the chosen engine.

    Parameters
    ----------
    data, y_true, y_pred, sensitive, y_score, sample_weight, positive_label, bins, \
max_groups_per_feature
        As for :func:`equilens.data.prepare_inputs`.
    score_mode : {"auto", "exact", "grid"}
        Score histogram bins (see :func:`equilens.engines.compute_cell_stats`); every engine
        makes the same bins for the same rows and mode.
    engine : {"auto", "numpy", "duckdb", "spark"}
        See :func:`choose_engine`.

    Returns
    -------
    stats : CellStats
        Identical keys and counts whichever engine ran; sums equal to rounding.
    info : InputsInfo
        ``engine`` names the engine that ran. The fingerprint depends on the engine: the numpy
        engine hashes the normalised arrays in row order, the SQL engines hash multisets of
        values and rows (see ``docs/design/0002-engines.md``).
    """
    chosen = choose_engine(data, engine)
    if chosen == "duckdb":
        return duckdb_statistics(
            data,
            y_true=y_true,
            y_pred=y_pred,
            sensitive=sensitive,
            y_score=y_score,
            sample_weight=sample_weight,
            positive_label=positive_label,
            bins=bins,
            max_groups_per_feature=max_groups_per_feature,
            score_mode=score_mode,
        )
    if chosen == "spark":
        return spark_statistics(
            data,
            y_true=y_true,
            y_pred=y_pred,
            sensitive=sensitive,
            y_score=y_score,
            sample_weight=sample_weight,
            positive_label=positive_label,
            bins=bins,
            max_groups_per_feature=max_groups_per_feature,
            score_mode=score_mode,
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
