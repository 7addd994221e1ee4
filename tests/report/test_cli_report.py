"""``equilens report``: files written, and one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from equilens._cli.main import main
from equilens.results import AuditLog, write_log


@pytest.fixture
def log_path(log: AuditLog, tmp_path: Path) -> Path:
    return write_log(log, tmp_path / "run" / "audit.json")


def test_report_beside_the_log(log_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = log_path.read_bytes()
    assert main(["report", str(log_path)]) == 0
    assert (log_path.parent / "report.html").is_file()
    assert (log_path.parent / "summary.md").is_file()
    assert log_path.read_bytes() == before
    out = capsys.readouterr().out
    assert "report.html" in out and "summary.md" in out


def test_report_into_another_directory(log_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere"
    assert main(["report", str(log_path), "--out", str(out), "--quiet"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["audit.json", "report.html", "summary.md"]
    assert json.loads((out / "audit.json").read_text()) == json.loads(log_path.read_text())


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (None, "not found"),
        ("not json", "Cannot read audit log"),
        ('{"format_version": "9.0"}', "format_version 9.0"),
        ('{"hello": 1}', "no format_version"),
        ('{"format_version": "1.0", "results": []}', "not a valid audit log"),
    ],
)
def test_bad_logs_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, needle: str
) -> None:
    path = tmp_path / "audit.json"
    if content is not None:
        path.write_text(content)
    assert main(["report", str(path)]) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "report.html").exists()


def test_out_must_be_a_directory(log_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("x")
    assert main(["report", str(log_path), "--out", str(target)]) == 2
