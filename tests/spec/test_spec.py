"""Audit specs: running them, and one-line errors naming file, line and key."""

from __future__ import annotations

import json
import pathlib
import textwrap

import pytest

from _data import make_frame
from equilens._cli.main import main
from equilens.spec import run_spec

GOOD = """\
version: 1
data:
  path: preds.csv
columns:
  y_true: y
  y_pred: pred
  y_score: score
sensitive_features: [race, sex]
intersections: true
bootstrap:
  draws: 50
  seed: 3
outputs:
  dir: results
  formats: [json]
"""


@pytest.fixture
def spec_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    make_frame(n=600).to_csv(tmp_path / "preds.csv", index=False)
    return tmp_path


def _write(d: pathlib.Path, text: str) -> pathlib.Path:
    p = d / "audit.yaml"
    p.write_text(textwrap.dedent(text))
    return p


def test_spec_runs_like_the_library_call(spec_dir: pathlib.Path) -> None:
    from equilens import audit

    spec, log = run_spec(_write(spec_dir, GOOD))
    direct = audit(
        spec_dir / "preds.csv",
        y_true="y",
        y_pred="pred",
        y_score="score",
        sensitive_features=["race", "sex"],
        intersections=True,
        bootstrap=50,
        seed=3,
    )
    assert log.results == direct.results
    assert log.spec_given["spec"]["bootstrap"] == {"draws": 50, "seed": 3}
    assert spec.outputs.dir == "results"


def test_cli_audit_spec_writes_to_outputs_dir(
    spec_dir: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(spec_dir)
    assert main(["audit", str(_write(spec_dir, GOOD)), "--quiet"]) == 0
    log = json.loads((spec_dir / "results" / "audit.json").read_text())
    assert log["bootstrap_draws"] == 50


def test_validate_ok(spec_dir: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(_write(spec_dir, GOOD))]) == 0
    assert "valid audit spec" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "  draws: 50",
            "  drawz: 50",
            ":11: unknown key 'bootstrap.drawz' (did you mean 'draws'?)",
        ),
        ("intersections: true", "intersectons: true", ":9: unknown key 'intersectons'"),
        ("  draws: 50", "  draws: many", ":11: bootstrap.draws: Input should be a valid integer"),
        (
            "  y_true: y",
            "  y_true: nope",
            ":5: columns.y_true: column 'nope' not found in preds.csv",
        ),
        ("[race, sex]", "[race, gender]", ":8: sensitive_features.1: column 'gender' not found"),
        ("  path: preds.csv", "  path: missing.csv", "data file not found"),
        ("version: 1", "version: 2", ":1: version: Input should be 1"),
        ("columns:\n  y_true: y\n", "columns:\n", "missing required key 'columns.y_true'"),
    ],
)
def test_bad_spec_one_line_with_file_and_line(
    spec_dir: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    old: str,
    new: str,
    expected: str,
) -> None:
    assert old in GOOD
    path = _write(spec_dir, GOOD.replace(old, new))
    for cmd in (["validate", str(path)], ["audit", str(path), "--quiet"]):
        assert main(cmd) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1, err
        assert expected in err, err
        assert "audit.yaml" in err or "missing.csv" in err


def test_invalid_yaml_and_missing_spec(
    spec_dir: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _write(spec_dir, "version: 1\ncolumns: [unclosed\n")
    assert main(["validate", str(bad)]) == 2
    assert "audit.yaml:" in capsys.readouterr().err
    assert main(["validate", str(spec_dir / "nope.yaml")]) == 2
    assert "nope.yaml" in capsys.readouterr().err


def test_shipped_example_spec_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    root = pathlib.Path(__file__).resolve().parents[2]
    assert main(["validate", str(root / "examples" / "compas" / "audit.yaml")]) == 0


@pytest.mark.parametrize(
    ("formats", "files"),
    [
        ("[json]", {"audit.json"}),
        ("[json, markdown]", {"audit.json", "summary.md"}),
        ("[json, html, markdown]", {"audit.json", "report.html", "summary.md"}),
    ],
)
def test_outputs_are_the_formats_asked_for(
    spec_dir: pathlib.Path, monkeypatch: pytest.MonkeyPatch, formats: str, files: set[str]
) -> None:
    monkeypatch.chdir(spec_dir)
    spec = _write(spec_dir, GOOD.replace("formats: [json]", f"formats: {formats}"))
    assert main(["audit", str(spec), "--quiet"]) == 0
    assert {p.name for p in (spec_dir / "results").iterdir()} == files


def test_spec_min_class_count_reaches_the_audit(
    spec_dir: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, log = run_spec(_write(spec_dir, GOOD + "min_class_count: 25\n"))
    assert log.spec_resolved["min_class_count"] == 25
    assert log.multiple_comparisons["min_class_count"] == 25
    path = _write(spec_dir, GOOD + "min_class_count: 1\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "min_class_count" in err, err
