"""``equilens compare``: output, files, exit codes and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from equilens._cli.main import main
from equilens.compare import read_comparison
from equilens.results import AuditLog, write_log

PAIRED = [
    "--base-pred",
    "base_pred",
    "--candidate-pred",
    "cand_pred",
    "--base-score",
    "base_score",
    "--candidate-score",
    "cand_score",
]


def _one_line_error(capsys: pytest.CaptureFixture[str], fragment: str) -> None:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("equilens: error:"), err
    assert fragment in err[0]
    assert "Traceback" not in err[0]


def test_unpaired_writes_every_output(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o"
    code = main(
        [
            "compare",
            str(files["base"]),
            str(files["cand"]),
            "--names",
            "champion,challenger",
            "--json",
            str(out / "c.json"),
            "--markdown",
            str(out / "c.md"),
            "--html",
            str(out / "c.html"),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "challenger vs champion (unpaired)" in text and "ROC-AUC" in text
    assert read_comparison(out / "c.json").design == "unpaired"
    assert (out / "c.md").read_text().startswith("## equilens compare: champion vs challenger")
    assert (out / "c.html").read_text().startswith("<!DOCTYPE html>")


def test_paired_with_data_and_fail_on_regression(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["compare", str(files["base"]), str(files["cand"]), "--data", str(files["data"])]
    args += [*PAIRED, "--id", "row_id", "--bootstrap", "200", "--json", str(tmp_path / "p.json")]
    assert main(args) == 0
    result = read_comparison(tmp_path / "p.json")
    assert result.design == "paired" and result.data_check.status == "match"
    capsys.readouterr()
    assert main([*args, "--fail-on-regression", "--quiet"]) == 1
    assert "widened significantly" in capsys.readouterr().err
    # The reverse comparison narrows the gap: no regression.
    rev = ["compare", str(files["cand"]), str(files["base"]), "--data", str(files["data"])]
    rev += ["--base-pred", "cand_pred", "--candidate-pred", "base_pred", "--bootstrap", "200"]
    assert main([*rev, "--fail-on-regression", "--quiet"]) == 0


def test_candidate_data_joined_on_id(
    files: dict[str, Path], frame: pd.DataFrame, tmp_path: Path
) -> None:
    base = frame.drop(columns=["cand_pred", "cand_score"])
    cand = frame[["row_id", "cand_pred", "cand_score"]].sample(frac=1.0, random_state=1)
    base.to_csv(tmp_path / "b.csv", index=False)
    cand.to_parquet(tmp_path / "c.parquet")
    args = ["compare", str(files["base"]), str(files["cand"]), "--data", str(tmp_path / "b.csv")]
    args += ["--candidate-data", str(tmp_path / "c.parquet"), "--id", "row_id", *PAIRED]
    args += ["--bootstrap", "50", "--json", str(tmp_path / "j.json"), "--quiet"]
    assert main(args) == 0
    assert read_comparison(tmp_path / "j.json").data_check.status == "match"
    cand.iloc[1:].to_parquet(tmp_path / "c.parquet")
    assert main(args) == 2


@pytest.mark.parametrize(
    ("case", "fragment"),
    [
        ("missing", "Audit log not found"),
        ("not_a_log", "is not an equilens audit log"),
        ("features", "different sensitive features"),
        ("no_data", "need --data"),
        ("id_missing", "Column 'nope' (ids) not found"),
        ("id_dup", "duplicated value"),
        ("mismatch", "not the rows the logs audited"),
        ("names", "--names expects two names"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    case: str,
    fragment: str,
    files: dict[str, Path],
    frame: pd.DataFrame,
    logs: tuple[AuditLog, AuditLog],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base, cand = str(files["base"]), str(files["cand"])
    extra: list[str] = []
    if case == "missing":
        cand = str(tmp_path / "nope.json")
    elif case == "not_a_log":
        (tmp_path / "x.json").write_text(json.dumps({"hello": 1}))
        cand = str(tmp_path / "x.json")
    elif case == "features":
        from compare.conftest import run_audit

        cand = str(
            write_log(run_audit(frame, "cand", sensitive_features=["sex"]), tmp_path / "s.json")
        )
    elif case == "no_data":
        extra = ["--base-pred", "base_pred"]
    elif case in ("id_missing", "id_dup", "mismatch"):
        data = frame.copy()
        if case == "id_dup":
            data.loc[7, "row_id"] = 0
        if case == "mismatch":
            data["sex"] = data["sex"].iloc[::-1].to_numpy()
        data.to_csv(tmp_path / "d.csv", index=False)
        extra = ["--data", str(tmp_path / "d.csv"), *PAIRED, "--bootstrap", "10"]
        if case != "mismatch":
            extra += ["--id", "nope" if case == "id_missing" else "row_id"]
    elif case == "names":
        extra = ["--names", "one"]
    assert main(["compare", base, cand, *extra]) == 2
    _one_line_error(capsys, fragment)
