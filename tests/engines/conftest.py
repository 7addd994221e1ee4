"""Fixtures of the engine tests: seeded data in every form, and a local Spark session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

#: Scores that sit exactly on calibration edges (sklearn's ``linspace`` values and the
#: decimal ones, which differ by an ulp), on grid edges (k / 16384) and on 0 and 1.
EDGE_SCORES = [
    0.0,
    0.1,
    0.2,
    0.3,
    0.30000000000000004,
    0.5,
    0.6,
    0.6000000000000001,
    0.7,
    0.7000000000000001,
    0.9,
    1.0,
    1 / 16384,
    0.25,
    8191 / 16384,
]


def make_rows(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Weighted predictions with string labels, missing groups and edge-case scores."""
    rng = np.random.default_rng(seed)
    race = rng.choice(["a", "b", "c", "é", "<missing>"], size=n, p=[0.4, 0.3, 0.15, 0.1, 0.05])
    race = race.astype(object)
    race[rng.random(n) < 0.04] = None
    race[rng.random(n) < 0.02] = ""
    sex = rng.choice(["F", "M"], size=n)
    age = np.round(rng.uniform(15, 80, size=n), 1)
    age[rng.random(n) < 0.05] = np.nan
    age[:5] = [25.0, 45.0, 24.9, 45.1, 80.0]  # on and next to the bin edges
    smooth = np.clip(rng.normal(0.45, 0.2, size=n), 0.0, 1.0).round(4)
    edges = rng.choice(EDGE_SCORES, size=n)
    score = np.where(rng.random(n) < 0.3, edges, smooth)
    y = (rng.random(n) < 0.3 + 0.4 * score).astype(np.int64)
    pred = (score >= 0.5).astype(np.int64)
    return pd.DataFrame(
        {
            "label": np.where(y == 1, "yes", "no"),
            "guess": np.where(pred == 1, "yes", "no"),
            "y": y,
            "pred": pred,
            "score": score,
            "w": rng.gamma(2.0, 1.0, size=n).round(6),
            "race": race,
            "sex": sex,
            "age": age,
            "dept": rng.integers(1, 4, size=n),
        }
    )


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return make_rows()


@pytest.fixture(scope="module")
def files(rows: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The rows as a Parquet file and a CSV file."""
    base = tmp_path_factory.mktemp("engine-data")
    parquet = base / "rows.parquet"
    csv = base / "rows.csv"
    rows.to_parquet(parquet, index=False)
    rows.to_csv(csv, index=False)
    return {"parquet": parquet, "csv": csv}


def _java_missing() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return None
    if shutil.which("java") is None:
        return "Java is not installed (no JAVA_HOME, no java on PATH); Spark needs Java 17+"
    return None


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """One local Spark session per test module (skipped, with the reason, without pyspark)."""
    pytest.importorskip("pyspark", reason="pyspark is not installed: pip install 'equilens[spark]'")
    reason = _java_missing()
    if reason is not None:
        pytest.skip(reason)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("equilens-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
