"""Bad input through the DuckDB and Spark engines: prepare_inputs' one-line messages, naming the
source and the engine, and the same first error when several things are wrong.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import equilens.engines._select as select
from equilens._cli.main import main
from equilens.data import prepare_inputs
from equilens.engines import duckdb_statistics, spark_statistics
from equilens.exceptions import EquilensError, InvalidInputError, InvalidParameterError

BASE = {
    "y": [0, 1, 1, 0, 1, 0],
    "p": [1, 1, 0, 0, 1, 0],
    "s": [0.2, 0.9, 0.4, 0.1, 0.3, 0.5],
    "w": [1.0, 2.0, 0.5, 1.0, 1.0, 3.0],
    "g": ["a", "b", "a", "b", "c", "a"],
    "t": ["x", "y", "x", "y", "x", "y"],
}
ROLES = {"y_true": "y", "y_pred": "p", "sensitive": "g"}


def _case(changes: dict[str, list[Any]], **kwargs: Any) -> tuple[dict[str, list[Any]], Any]:
    return {**BASE, **changes}, {**ROLES, **kwargs}


CASES = {
    "label-null": _case({"y": [0, 1, None, 0, None, 1]}),
    "label-empty-string": _case({"y": ["n", "", "y", "n", "y", "n"]}, positive_label="y"),
    "label-nan": _case({"y": [0.0, 1.0, float("nan"), 0.0, 1.0, 0.0]}),
    "three-labels": _case({"y": [0, 1, 2, 0, 1, 2]}),
    "score-as-pred": _case({}, y_pred="s"),
    "positive-needed": _case({"y": ["n", "y"] * 3, "p": ["y", "n"] * 3}),
    "positive-unknown": _case({}, positive_label=7),
    "positive-not-comparable": _case({}, positive_label="yes"),
    "pred-not-in-true": _case({"y": ["n", "y"] * 3, "p": ["n", "q"] * 3}, positive_label="y"),
    "score-outside": _case({"s": [0.2, 1.5, 0.4, -0.1, 0.3, 0.5]}, y_score="s"),
    "score-nan": _case({"s": [0.2, float("nan"), 0.4, 0.1, None, 0.5]}, y_score="s"),
    "score-not-numeric": _case({}, y_score="t"),
    "weight-negative": _case({"w": [1.0, -2.0, 0.5, 1.0, -1.0, 3.0]}, sample_weight="w"),
    "weight-infinite": _case({"w": [1.0, float("inf"), 0.5, 1.0, 1.0, 3.0]}, sample_weight="w"),
    "weight-zero": _case({"w": [0.0] * 6}, sample_weight="w"),
    "too-many-groups": _case({}, max_groups_per_feature=2),
    "bins-on-strings": _case({}, sensitive=["g", "t"], bins={"t": [1.0]}),
    "bins-not-sensitive": _case({}, bins={"s": [0.5]}),
    "first-error-is-the-label": _case(
        {"y": [0, 1, 2, 0, 1, 2], "s": [float("nan")] * 6}, y_score="s"
    ),
    "first-error-is-the-pred": _case(
        {"p": [0, 1, None, 0, 1, 0]}, sensitive=["g", "t"], max_groups_per_feature=2
    ),
    "first-error-is-the-score": _case(
        {"s": [2.0] * 6, "w": [-1.0] * 6}, y_score="s", sample_weight="w"
    ),
}


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("bad")
    out = {}
    for name, (columns, _) in CASES.items():
        out[name] = base / f"{name}.parquet"
        pd.DataFrame(columns).to_parquet(out[name], index=False)
    return out


def _error(func: Any, *args: Any, **kwargs: Any) -> EquilensError:
    with pytest.raises(EquilensError) as info:
        func(*args, **kwargs)
    assert "\n" not in str(info.value)
    return info.value


@pytest.mark.parametrize("name", list(CASES))
def test_duckdb_error_is_prepare_inputs_error(bad_files: dict[str, Path], name: str) -> None:
    path = bad_files[name]
    kwargs = CASES[name][1]
    expected = _error(prepare_inputs, path, **kwargs)
    got = _error(duckdb_statistics, path, **kwargs)
    assert type(got) is type(expected)
    assert str(got) == str(expected).replace(str(path), f"{path} (duckdb engine)")


@pytest.mark.parametrize(
    "name",
    [
        "label-null",
        "three-labels",
        "positive-needed",
        "score-outside",
        "weight-negative",
        "too-many-groups",
        "first-error-is-the-pred",
    ],
)
def test_spark_error_is_prepare_inputs_error(
    spark: Any, bad_files: dict[str, Path], name: str
) -> None:
    path = bad_files[name]
    kwargs = CASES[name][1]
    expected = str(_error(prepare_inputs, path, **kwargs))
    expected = re.sub(r"; first at row index \d+", "", expected)
    got = _error(spark_statistics, str(path), **kwargs)
    assert str(got) == expected.replace(str(path), f"{path} (spark engine)")
    frame = spark.read.parquet(str(path))
    got = _error(spark_statistics, frame, **kwargs)
    assert str(got) == expected.replace(str(path), "the Spark DataFrame (spark engine)")


# --- files and columns -------------------------------------------------------------------------


def test_missing_file_names_the_engine(tmp_path: Path) -> None:
    path = tmp_path / "nope.parquet"
    for func, engine in ((duckdb_statistics, "duckdb"), (spark_statistics, "spark")):
        err = _error(func, path, **ROLES)
        assert isinstance(err, InvalidInputError)
        assert str(err) == f"File not found: {path} ({engine} engine)"
    err = _error(duckdb_statistics, str(tmp_path / "*.parquet"), **ROLES)
    assert "no file matches the pattern; duckdb engine" in str(err)


def test_missing_column_names_the_file_and_the_engine(bad_files: dict[str, Path]) -> None:
    path = bad_files["label-null"]
    err = _error(duckdb_statistics, path, y_true="nope", y_pred="p", sensitive="g")
    assert str(err) == (
        f"Column 'nope' (y_true) not found in {path} (duckdb engine); "
        "available columns: y, p, s, w, g, t"
    )


def test_missing_column_in_csv_and_bad_files(tmp_path: Path) -> None:
    csv = tmp_path / "rows.csv"
    pd.DataFrame(BASE).to_csv(csv, index=False)
    err = _error(duckdb_statistics, csv, y_true="y", y_pred="p", sensitive="race")
    assert str(err).startswith(f"Column 'race' (sensitive) not found in {csv} (duckdb engine)")
    fake = tmp_path / "fake.parquet"
    fake.write_text("y,p,g\n0,1,a\n")
    err = _error(duckdb_statistics, fake, **ROLES)
    assert str(err).startswith(f"Could not read {fake} as Parquet: ")
    assert str(err).endswith("(duckdb engine)")
    empty = tmp_path / "empty.parquet"
    pd.DataFrame(BASE).iloc[:0].to_parquet(empty, index=False)
    err = _error(duckdb_statistics, empty, **ROLES)
    assert str(err) == f"No rows in {empty} (duckdb engine); an audit needs at least one row"
    mixed = [csv, empty]
    assert "mixes CSV and Parquet" in str(_error(duckdb_statistics, mixed, **ROLES))


def test_unsupported_column_types(tmp_path: Path) -> None:
    path = tmp_path / "nested.parquet"
    frame = pd.DataFrame(BASE)
    frame["lst"] = [[1, 2]] * len(frame)
    frame.to_parquet(path, index=False)
    err = _error(duckdb_statistics, path, y_true="lst", y_pred="p", sensitive="g")
    assert "Column 'lst' (y_true) in " in str(err)
    assert re.search(r"\(duckdb engine\) has unsupported type \w+\[\]; labels must be", str(err))
    err = _error(duckdb_statistics, path, y_true="y", y_pred="p", sensitive="lst")
    assert "sensitive columns must hold strings, numbers, booleans or dates" in str(err)


def test_bad_arguments_are_parameter_errors(bad_files: dict[str, Path]) -> None:
    path = bad_files["label-null"]
    err = _error(duckdb_statistics, path, y_true=np.zeros(6), y_pred="p", sensitive="g")
    assert isinstance(err, InvalidParameterError)
    err = _error(duckdb_statistics, {"y": [0]}, **ROLES)
    assert isinstance(err, InvalidParameterError)
    assert "The 'data' parameter of the duckdb engine must be" in str(err)
    err = _error(select.compute_statistics, path, engine="polars", **ROLES)
    assert str(err) == (
        "The 'engine' parameter of audit must be a str among "
        f"{set(select.ENGINES)}. Got 'polars' instead."
    )


def test_cli_exit_code_2_through_the_duckdb_engine(
    bad_files: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(select, "AUTO_DUCKDB_MIN_ROWS", 0)  # auto: DuckDB for every Parquet file
    path = bad_files["label-null"]
    args = ["audit", "--data", str(path), "--y-true", "y", "--y-pred", "p", "--sensitive", "g"]
    assert main([*args, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"equilens: error: Column 'y' (y_true) in {path} (duckdb engine) has 2")


# --- engines that cannot start -----------------------------------------------------------------

_SCRIPT = """
import sys
{prelude}
import equilens
try:
    equilens.audit({path!r}, y_true="y", y_pred="p", sensitive_features="g", engine={engine!r})
except equilens.InvalidInputError as exc:
    print(exc)
    sys.exit(2)
sys.exit(0)
"""


def _run(path: Path, engine: str, env: dict[str, str], prelude: str = "") -> tuple[int, str]:
    code = _SCRIPT.format(prelude=prelude, path=str(path), engine=engine)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    return done.returncode, done.stdout.strip()


def _path_without_java() -> str:
    keep = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d]
    return os.pathsep.join(d for d in keep if not (Path(d) / "java").exists())


def test_spark_without_java_is_a_one_line_input_error(
    bad_files: dict[str, Path], tmp_path: Path
) -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed: pip install 'equilens[spark]'")
    path = bad_files["label-null"]
    base = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "SPARK_HOME")}
    base["PATH"] = _path_without_java()
    rc, out = _run(path, "spark", {**base, "JAVA_HOME": str(tmp_path / "no-jdk")})
    assert rc == 2, out
    assert out == (
        "The spark engine could not start a Spark session: "
        f"JAVA_HOME={tmp_path / 'no-jdk'} holds no bin/java. Spark needs Java 17 or later: "
        "install it and set JAVA_HOME (or put java on PATH)"
    )
    rc, out = _run(path, "spark", base)
    assert rc == 2, out
    assert "Java was not found (JAVA_HOME is not set and java is not on PATH)" in out
    # A java that does not work: Spark's own launch fails, and says so on one line.
    jdk = tmp_path / "broken-jdk"
    (jdk / "bin").mkdir(parents=True)
    (jdk / "bin" / "java").write_text("#!/bin/sh\necho 'no VM here' >&2\nexit 1\n")
    (jdk / "bin" / "java").chmod(0o755)
    rc, out = _run(path, "spark", {**base, "JAVA_HOME": str(jdk)})
    assert rc == 2, out
    assert out.startswith("The spark engine could not start a Spark session: ")
    assert "\n" not in out


def test_missing_optional_packages(bad_files: dict[str, Path]) -> None:
    path = bad_files["label-null"]
    env = dict(os.environ)
    rc, out = _run(path, "spark", env, prelude="sys.modules['pyspark'] = None")
    assert (rc, out) == (
        2,
        "The spark engine needs pyspark (4.0 or later); install it with "
        "pip install 'equilens[spark]'",
    )
    rc, out = _run(path, "duckdb", env, prelude="sys.modules['duckdb'] = None")
    assert (rc, out) == (
        2,
        "The duckdb engine needs the duckdb package; install it with "
        "pip install 'equilens[duckdb]'",
    )
