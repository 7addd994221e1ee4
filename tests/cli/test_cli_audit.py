"""The audit command: outputs, exit codes and one-line errors."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pandas as pd
import pytest

from _data import make_frame
from equilens._cli.main import main
from equilens.results._log import FORMAT_VERSION


@pytest.fixture
def csv(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "preds.csv"
    make_frame(n=800).to_csv(path, index=False)
    return path


def _args(csv: pathlib.Path, out: pathlib.Path, *extra: str) -> list[str]:
    return [
        "audit",
        "--data",
        str(csv),
        "--y-true",
        "y",
        "--y-pred",
        "pred",
        "--y-score",
        "score",
        "--sensitive",
        "race,sex",
        "--bootstrap",
        "100",
        "--out",
        str(out),
        *extra,
    ]


def test_audit_writes_log_and_table(
    csv: pathlib.Path, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(_args(csv, out, "--intersections")) == 0
    log = json.loads((out / "audit.json").read_text())
    assert log["format_version"] == FORMAT_VERSION
    assert ["race", "sex"] in [f["features"] for f in log["families"]]
    # The default is the short summary; the long tables come with --show (tests/report/
    # test_terminal_brief.py).
    printed = capsys.readouterr().out
    assert "comparisons (Holm-adjusted p" in printed and "Key fairness criteria" in printed
    assert "Wrote audit.json" in printed


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (["--y-true", "nope"], "nope"),
        (["--data", "/does/not/exist.csv"], "exist.csv"),
        (["--bootstrap", "-1"], "bootstrap"),
        (["--metrics", "dp_diff"], "dp_diff"),
        (["--reference", "race=martian"], "martian"),
        (["--bins", "age=x"], "--bins"),
    ],
)
def test_bad_input_exit_2_one_line(
    csv: pathlib.Path,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    change: list[str],
    needle: str,
) -> None:
    args = _args(csv, tmp_path / "o")
    flag = change[0]
    if flag in args:
        args[args.index(flag) + 1] = change[1]
    else:
        args[1:1] = change
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err
    assert len(err.splitlines()) == 1
    assert "Traceback" not in err


def test_usage_error_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["audit", "--data"])
    assert exc.value.code == 2


def test_empty_and_garbage_files(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    for path in (empty, bad):
        assert main(_args(path, tmp_path / "o")) == 2
        err = capsys.readouterr().err
        assert path.name in err and "Traceback" not in err


def test_unique_per_row_sensitive_column(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    df = make_frame(n=500)
    df["person_id"] = [f"p{i}" for i in range(len(df))]
    path = tmp_path / "ids.csv"
    df.to_csv(path, index=False)
    args = _args(path, tmp_path / "o")
    args[args.index("race,sex")] = "person_id"
    assert main(args) == 2
    assert "person_id" in capsys.readouterr().err


def test_console_script_exit_code(csv: pathlib.Path, tmp_path: pathlib.Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "equilens._cli.main", *_args(csv, tmp_path / "o", "--quiet")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "equilens._cli.main", *_args(csv, tmp_path / "o")[:-2], "--out"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_scores_outside_unit_interval(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    df = make_frame(n=200)
    df.loc[3, "score"] = 1.7
    path = tmp_path / "s.csv"
    pd.DataFrame(df).to_csv(path, index=False)
    assert main(_args(path, tmp_path / "o")) == 2
    assert "score" in capsys.readouterr().err
