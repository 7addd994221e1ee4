"""What ``equilens audit`` prints: the short summary at 80 and 100 columns (snapshots), the
long tables fitted to the width, narrow terminals, ``--format json`` and the demo's length.

Snapshots live in ``tests/report/snapshots/``; after a deliberate change of the wording,
regenerate them with ``EQUILENS_UPDATE_SNAPSHOTS=1 pytest tests/report/test_terminal_brief.py``
and read the diff.
"""

from __future__ import annotations

import io
import json
import os
import pathlib

import pytest

from _data import make_frame
from equilens import audit
from equilens._cli.main import main
from equilens.data import load_compas
from equilens.report import SUMMARY_KEYS, print_brief, print_tables, summary_data, terminal
from equilens.results import AuditLog

SNAPSHOTS = pathlib.Path(__file__).parent / "snapshots"


@pytest.fixture(scope="module")
def compas_log() -> AuditLog:
    return audit(
        load_compas(),
        y_true="two_year_recid",
        y_pred="high_risk",
        y_score="risk_score",
        sensitive_features=["race", "sex", "age_cat"],
        intersections=True,
        reference={"race": "Caucasian", "sex": "Male", "age_cat": "25 - 45"},
        bootstrap=200,
        seed=0,
    )


def _render(fn: object, width: int, *args: object) -> str:
    console = terminal(width=width)
    buf = io.StringIO()
    console.file = buf
    fn(*args, console=console)  # type: ignore[operator]
    return buf.getvalue()


def _tables(log: AuditLog, show: list[str], width: int) -> str:
    return _render(lambda log, console: print_tables(log, show, console), width, log)


def _widths(text: str) -> int:
    return max((len(line.rstrip()) for line in text.splitlines()), default=0)


@pytest.mark.parametrize("width", [80, 100])
def test_summary_snapshot(compas_log: AuditLog, width: int) -> None:
    files = {"json": "out/compas/audit.json", "html": "out/compas/report.html"}
    text = _render(lambda log, console: print_brief(log, console, files), width, compas_log)
    assert _widths(text) <= width
    assert len(text.splitlines()) <= 32
    snap = SNAPSHOTS / f"brief_compas_{width}.txt"
    if os.environ.get("EQUILENS_UPDATE_SNAPSHOTS") == "1":
        snap.parent.mkdir(exist_ok=True)
        snap.write_text(text, encoding="utf-8")
    assert text == snap.read_text(encoding="utf-8")


def test_summary_says_what_matters(compas_log: AuditLog) -> None:
    text = _render(print_brief, 100, compas_log)
    counts = summary_data(compas_log)["comparisons"]
    assert f"{counts['difference_detected']} detected" in text
    assert f"{counts['insufficient_evidence']} insufficient evidence" in text
    # the largest finding in words, with its interval and adjusted p
    assert "Selection rate, age_cat = Greater than 45 vs 25 - 45" in text
    assert "[95% CI]" in text and "p=3.1e-46" in text
    assert "demographic parity" in text and "warning:" in text


def test_narrow_terminal_prints_summary_and_skips_tables(compas_log: AuditLog) -> None:
    text = _render(print_brief, 30, compas_log)
    assert "detected" in text and "tables skipped" in text
    assert "demographic parity" not in text
    assert _widths(text) <= 30
    assert "tables skipped" in _tables(compas_log, ["all"], 30)


@pytest.mark.parametrize("width", [80, 100, 160])
def test_long_tables_fit_the_width(compas_log: AuditLog, width: int) -> None:
    text = _tables(compas_log, ["all"], width)
    assert _widths(text) <= width
    assert "Metrics by group" in text and "Fairness criteria" in text
    assert "Comparisons with the reference" in text
    # every test is listed once (derived rows repeat their source's)
    tests = [c for c in compas_log.comparisons if c.derived_from is None]
    assert f"({len(tests)} tests)" in text
    # every metric appears in some column split
    assert text.count("Metrics by group") >= 2


def test_long_tables_drop_columns_only_when_narrow(compas_log: AuditLog) -> None:
    wide = _tables(compas_log, ["comparisons"], 160)
    narrow = _tables(compas_log, ["comparisons"], 60)
    assert "left out to fit" not in wide and "reference" in wide
    assert "left out to fit: reference" in narrow


def test_data_is_never_markup() -> None:
    frame = make_frame(n=600)
    frame["race"] = frame["race"].map({"a": "[bold]x[/bold]", "b": "\x1b[31mred", "c": "c"})
    log = audit(frame, y_true="y", y_pred="pred", sensitive_features=["race"], bootstrap=50)
    out = _render(print_brief, 100, log)
    out += _tables(log, ["all"], 100)
    assert "\x1b" not in out
    assert "race = [bold]x[/bold]" in out


@pytest.fixture
def csv(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "preds.csv"
    make_frame(n=800).to_csv(path, index=False)
    return path


def _audit_argv(csv: pathlib.Path, out: pathlib.Path, *extra: str) -> list[str]:
    return [
        "audit",
        "--data",
        str(csv),
        "--y-true",
        "y",
        "--y-pred",
        "pred",
        "--sensitive",
        "race,sex",
        "--bootstrap",
        "100",
        "--out",
        str(out),
        *extra,
    ]


def test_format_json_prints_only_the_summary(
    csv: pathlib.Path, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_audit_argv(csv, tmp_path / "o", "--format", "json")) == 0
    data = json.loads(capsys.readouterr().out)
    assert tuple(data) == SUMMARY_KEYS
    assert data["files"]["json"].endswith("audit.json")
    counts = data["comparisons"]
    assert counts["total"] == sum(v for k, v in counts.items() if k != "total")
    for f in data["findings"]:
        assert f["ci_low"] <= f["difference"] <= f["ci_high"]


def test_show_and_quiet(
    csv: pathlib.Path,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert main(_audit_argv(csv, tmp_path / "o", "--show", "metrics", "--show", "comparisons")) == 0
    out = capsys.readouterr().out
    assert "Metrics by group" in out and "Comparisons with the reference" in out
    assert "Fairness criteria (" not in out
    assert _widths(out) <= 80
    assert main(_audit_argv(csv, tmp_path / "q", "--quiet", "--show", "all")) == 0
    assert capsys.readouterr().out == ""


@pytest.mark.slow
def test_demo_default_output_is_short(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # At 80 columns, the narrower of the two widths the issue names (more lines wrap); 100 is
    # covered by the COMPAS snapshot.
    pytest.importorskip("sklearn")
    monkeypatch.chdir(tmp_path)  # `make demo` writes to out/demo: a short relative path
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["demo", "--out", "out/demo", "--bootstrap", "200"]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) < 60, out
    assert _widths(out) <= 80


@pytest.mark.parametrize("task", ["multiclass", "regression", "measure", "ranking"])
def test_every_task_has_a_summary_and_tables(task: str) -> None:
    from _task_logs import task_log

    log = task_log(task)
    text = _render(print_brief, 80, log)
    assert text.startswith(f"{task} audit") and _widths(text) <= 80
    detected = [c for c in log.comparisons if c.conclusion == "difference_detected"]
    if detected:
        assert "Largest differences" in text
    tables = _tables(log, ["all"], 80)
    assert _widths(tables) <= 80 and "Comparisons with the reference" in tables
    data = summary_data(log)
    assert json.loads(json.dumps(data)) == data  # plain JSON


def test_tall_tables_page_only_on_a_terminal(compas_log: AuditLog) -> None:
    import contextlib

    paged: list[bool] = []

    @contextlib.contextmanager
    def pager(**_: object) -> object:
        paged.append(True)
        yield

    tty = terminal(width=100)
    tty.file = io.StringIO()
    tty._force_terminal = True
    tty.size = (100, 20)  # type: ignore[assignment]
    tty.pager = pager  # type: ignore[method-assign]
    print_tables(compas_log, ["comparisons"], tty)
    assert paged == [True]
    pipe = terminal(width=100)
    pipe.file = io.StringIO()
    pipe.pager = pager  # type: ignore[method-assign]
    print_tables(compas_log, ["comparisons"], pipe)
    assert paged == [True] and "Comparisons with the reference" in pipe.file.getvalue()


_GATED_SPEC = """\
version: 1
data:
  path: preds.csv
columns: {y_true: y, y_pred: pred, y_score: score}
sensitive_features: [race]
bootstrap: {draws: 50, seed: 3}
outputs: {dir: results, formats: [json, html]}
policy:
  kind: policy
  format_version: 1
  name: inline
  rules:
    - {id: auc-floor, metric: roc_auc_score, group: overall, on: value, op: "<",
       threshold: 0.99, severity: block}
"""


def test_format_json_carries_the_gate_verdict(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_frame(n=600).to_csv(tmp_path / "preds.csv", index=False)
    (tmp_path / "audit.yaml").write_text(_GATED_SPEC, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["audit", "audit.yaml", "--no-store", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)  # stdout is the JSON object alone
    assert data["gate"] == {"verdict": "block", "policy": "inline", "exit_code": 1}
    assert data["mlflow_run"] is None
    assert set(data["files"]) == {"json", "html", "decision"}
