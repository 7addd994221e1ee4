"""Group labels reach the terminal as text: no control or bidi character, no rich markup."""

from __future__ import annotations

import pathlib
import re

import pytest

from _data import make_frame
from equilens._cli.main import main

#: Labels that try to drive the terminal (ESC, NUL, OSC 8 link), reorder text (U+202E) or
#: inject rich markup.
LABELS = {
    "a": "x\x1b[2J\x1b[31mred",
    "b": "n\x00ul\x07\u202eexe.txt",
    "c": "[red]x[/red]",
    "d": "[link=https://evil.example]y[/link]",
}
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def hostile(tmp_path: pathlib.Path) -> pathlib.Path:
    df = make_frame(n=900, seed=2)
    df["race"] = df["race"].map(LABELS)
    path = tmp_path / "hostile.parquet"
    df.to_parquet(path)
    return path


def _audit(data: pathlib.Path, out: pathlib.Path) -> list[str]:
    return [
        "audit", "--data", str(data), "--y-true", "y", "--y-pred", "pred", "--y-score", "score",
        "--sensitive", "race,sex", "--bootstrap", "50", "--out", str(out),
        "--show", "all",  # every group's label is printed (the summary names only findings')
    ]  # fmt: skip


def _check(printed: str) -> None:
    for line in printed.splitlines():
        assert not _HIDDEN.search(line), repr(line)
    assert "[red]x[/red]" in printed
    assert "[link=https://evil.example]y[/link]" in printed


def test_audit_and_gate_print_labels_literally(
    hostile: pathlib.Path,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # wide enough that no label is folded in a table
    out = tmp_path / "out"
    assert main(_audit(hostile, out)) == 0
    printed = capsys.readouterr()
    _check(printed.out)
    assert "x\ufffd[2J\ufffd[31mred" in printed.out
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "kind: policy\nname: p\nrules:\n  - {id: sel, metric: selection_rate, on: value, "
        "op: '>', threshold: 0.0, severity: warn}\n",
        encoding="utf-8",
    )
    assert main(["gate", str(out / "audit.json"), "--policy", str(policy), "--dry-run"]) == 0
    gate_out = capsys.readouterr().out
    _check(gate_out)


def test_error_messages_carry_no_control_character(
    hostile: pathlib.Path, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _audit(hostile, tmp_path / "o")
    args[args.index("--sensitive") + 1] = "race,se\x1b[31mx\u202e"
    assert main(args) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert not _HIDDEN.search(err.strip()), repr(err)


def test_validate_prints_a_policy_name_literally(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        'kind: policy\nname: "p\\e[2J\\u202e[red]x[/red]"\nrules:\n  - {id: a, '
        "metric: accuracy_score, on: value, op: '<', threshold: 0.5, severity: block}\n",
        encoding="utf-8",
    )
    assert main(["validate", str(policy)]) == 0
    printed = capsys.readouterr().out
    assert not _HIDDEN.search(printed), repr(printed)
    assert "p\ufffd[2J\ufffd[red]x[/red]" in printed
