"""``engine="auto"``: which engine runs for which input (Spark DataFrames: test_cross_engine)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import equilens.engines._select as select
from equilens.engines import AUTO_DUCKDB_MIN_ROWS, choose_engine


@pytest.fixture
def parquet(tmp_path: Path) -> Path:
    path = tmp_path / "small.parquet"
    pd.DataFrame({"y": [0, 1], "p": [1, 1], "g": ["a", "b"]}).to_parquet(path)
    return path


def test_in_memory_data_goes_to_numpy() -> None:
    frame = pd.DataFrame({"y": [0, 1]})
    for data in (frame, pa.Table.from_pandas(frame), {"y": [0, 1]}, None):
        assert choose_engine(data) == "numpy"


def test_parquet_goes_to_duckdb_above_the_row_threshold(
    parquet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert AUTO_DUCKDB_MIN_ROWS == 25_000_000  # numpy while the rows surely fit in memory
    assert choose_engine(parquet) == "numpy"
    assert choose_engine(str(parquet)) == "numpy"
    monkeypatch.setattr(select, "AUTO_DUCKDB_MIN_ROWS", 1)
    assert choose_engine(parquet) == "duckdb"
    monkeypatch.setattr(select, "AUTO_DUCKDB_MIN_ROWS", 2)
    assert choose_engine(parquet) == "numpy"


def test_csv_goes_to_duckdb_from_the_size_threshold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv = tmp_path / "small.csv"
    csv.write_text("y,p,g\n0,1,a\n")
    assert choose_engine(csv) == "numpy"
    monkeypatch.setattr(select, "AUTO_DUCKDB_MIN_BYTES", csv.stat().st_size)
    assert choose_engine(csv) == "duckdb"


def test_unreadable_parquet_stays_with_numpy(tmp_path: Path) -> None:
    fake = tmp_path / "fake.parquet"
    fake.write_text("not parquet")
    assert choose_engine(fake) == "numpy"  # prepare_inputs says "Could not read ..."


def test_paths_numpy_cannot_read_go_to_duckdb(parquet: Path) -> None:
    assert choose_engine(parquet.parent) == "duckdb"  # a directory
    assert choose_engine(str(parquet.parent / "*.parquet")) == "duckdb"  # a glob
    assert choose_engine([parquet, parquet]) == "duckdb"  # a list
    assert choose_engine("s3://bucket/data.parquet") == "duckdb"
    # A missing file stays with numpy, whose message is the reference one.
    assert choose_engine(parquet.parent / "missing.parquet") == "numpy"


def test_explicit_engine_wins(parquet: Path) -> None:
    assert choose_engine(parquet, "duckdb") == "duckdb"
    assert choose_engine(pd.DataFrame(), "spark") == "spark"
    assert choose_engine(parquet.parent, "numpy") == "numpy"


def test_duckdb_relation_goes_to_duckdb(parquet: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    rel = duckdb.connect().sql(f"SELECT * FROM read_parquet('{parquet}')")
    assert choose_engine(rel) == "duckdb"


def test_without_duckdb_auto_keeps_numpy(parquet: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "duckdb", None)
    assert choose_engine(parquet.parent) == "numpy"


@pytest.mark.parametrize("engine", ["numpy", "duckdb"])
def test_cli_engine_flag(files: dict[str, Path], tmp_path: Path, engine: str) -> None:
    import json

    from equilens._cli.main import main

    out = tmp_path / engine
    args = ["audit", "--data", str(files["parquet"]), "--y-true", "y", "--y-pred", "pred"]
    args += ["--sensitive", "sex", "--bootstrap", "0", "--quiet", "--out", str(out)]
    assert main([*args, "--engine", engine]) == 0
    log = json.loads((out / "audit.json").read_text())
    assert log["spec_resolved"]["engine"] == engine
