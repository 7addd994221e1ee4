"""A loaded log is an input: ranges, interval order and row counts are checked in read_log."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _data import make_frame
from equilens import audit
from equilens._cli.main import main
from equilens.exceptions import LogFormatError
from equilens.results import AuditLog, read_log, write_log
from equilens.results._check import log_problems


@functools.cache
def _audit_json() -> str:
    """A real audit log (scores, intersections) as JSON."""
    log = audit(
        make_frame(600, seed=3),
        y_true="y",
        y_pred="pred",
        y_score="score",
        sensitive_features=["race", "sex"],
        intersections=True,
        bootstrap=50,
    )
    return log.to_json()


@pytest.fixture
def raw() -> dict[str, Any]:
    """A fresh copy of the real audit log, parsed."""
    data: dict[str, Any] = json.loads(_audit_json())
    return data


def _row(raw: dict[str, Any], section: str, **match: Any) -> int:
    return next(
        i
        for i, row in enumerate(raw[section])
        if all(row.get(k) == v for k, v in match.items()) and row.get("value") is not None
    )


def _write(tmp_path: Path, raw: dict[str, Any]) -> Path:
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def test_a_real_log_has_no_problems(raw: dict[str, Any], tmp_path: Path) -> None:
    log = read_log(_write(tmp_path, raw))
    assert log_problems(log) == []


def _set(section: str, field: str, value: Any, **match: Any) -> Callable[[dict[str, Any]], str]:
    def edit(doc: dict[str, Any]) -> str:
        i = _row(doc, section, **match)
        doc[section][i][field] = value
        return f"{section}[{i}].{field}"

    return edit


def _top(field: str, value: Any) -> Callable[[dict[str, Any]], str]:
    def edit(doc: dict[str, Any]) -> str:
        doc[field] = value
        return field

    return edit


def _swap_ci(doc: dict[str, Any]) -> str:
    i = _row(doc, "results", metric="selection_rate")
    row = doc["results"][i]
    row["ci_low"], row["ci_high"] = row["ci_high"], row["ci_low"] - 1e-3
    return f"results[{i}].ci_low"


def _other_n(doc: dict[str, Any]) -> str:
    rows = [i for i, r in enumerate(doc["results"]) if r["slice"] == {"race": "b"}]
    doc["results"][rows[1]]["n"] += 1
    return f"results[{rows[1]}].n"


def _comparison_n(doc: dict[str, Any]) -> str:
    i = _row(doc, "comparisons", metric="selection_rate")
    doc["comparisons"][i]["n"] += 7
    return f"comparisons[{i}].n"


RANGE = "is outside [0, 1]"
SEED = "is outside [0, 2**128)"
CASES: dict[str, tuple[Callable[[dict[str, Any]], str], str]] = {
    "auc 7.5": (
        _set("results", "value", 7.5, metric="roc_auc_score"),
        "7.5 is outside [0, 1] for roc_auc_score",
    ),
    "negative rate": (_set("results", "value", -0.2, metric="selection_rate"), RANGE),
    "rate bound above 1": (_set("results", "ci_high", 1.5, metric="true_positive_rate"), RANGE),
    "negative count": (_set("results", "value", -3.0, metric="count"), "is negative"),
    "negative n": (_set("results", "n", -1, metric="count"), "is negative"),
    "ci reversed": (_swap_ci, "is above ci_high"),
    "p above 1": (_set("comparisons", "p_holm", 1.7, metric="selection_rate"), "for a p-value"),
    "negative p": (_set("comparisons", "p_value", -0.01, metric="selection_rate"), "p-value"),
    "difference above 1": (
        _set("comparisons", "difference", 1.4, metric="accuracy_score"),
        "is outside [-1, 1]",
    ),
    "negative ratio": (_set("comparisons", "ratio", -0.5, metric="selection_rate"), "negative"),
    "n differs by metric": (_other_n, "rows for the same slice"),
    "comparison n": (_comparison_n, "but the results have"),
    "seed huge": (_top("seed", 10**60), f"seed: 1e+60 {SEED}"),
    "seed 2**128": (_top("seed", 2**128), f"seed: 3.4e+38 {SEED}"),
    "seed negative": (_top("seed", -1), SEED),
    "bootstrap huge": (_top("bootstrap_draws", 99_999_999_999), "is outside [0, 10000000]"),
    "confidence 1.5": (_top("confidence_level", 1.5), "is outside (0, 1)"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_edit_is_refused_with_its_field_path(
    raw: dict[str, Any], tmp_path: Path, case: str
) -> None:
    edit, message = CASES[case]
    doc = copy.deepcopy(raw)
    where = edit(doc)
    path = _write(tmp_path, doc)
    with pytest.raises(LogFormatError) as info:
        read_log(path)
    text = str(info.value)
    assert text.startswith(f"{path}: {where}: "), text
    assert message in text
    assert "\n" not in text


def test_schema_errors_name_the_field_path(raw: dict[str, Any], tmp_path: Path) -> None:
    doc = copy.deepcopy(raw)
    doc["results"][3]["value"] = "high"
    doc["seed"] = 1e999  # JSON infinity
    with pytest.raises(LogFormatError, match=r"not a valid audit log: (results\[3\]\.value|seed)"):
        read_log(_write(tmp_path, doc))


@settings(max_examples=60, deadline=None)
@given(value=st.floats(allow_nan=False, allow_infinity=False, min_value=-5, max_value=5))
def test_a_rate_is_accepted_exactly_when_it_lies_in_the_unit_interval(value: float) -> None:
    doc = json.loads(_audit_json())
    i = _row(doc, "results", metric="accuracy_score")
    doc["results"][i].update(value=value, ci_low=None, ci_high=None)
    problems = log_problems(AuditLog.model_validate(doc))
    # A rounding slack of 1e-9 at the edges is allowed.
    assert (problems == []) == (-1e-9 <= value <= 1.0 + 1e-9)


def test_each_consumer_refuses_an_out_of_range_log(
    raw: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = copy.deepcopy(raw)
    auc = _row(doc, "results", metric="roc_auc_score")
    doc["results"][auc]["value"] = 7.5
    bad = _write(tmp_path, doc)
    good = tmp_path / "good.json"
    write_log(AuditLog.model_validate(raw), good)
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "kind: policy\nname: p\nrules:\n  - {id: auc, metric: roc_auc_score, on: value, "
        "op: '<', threshold: 0.7, severity: block}\n",
        encoding="utf-8",
    )
    assert main(["card", str(good), "--out", str(tmp_path / "card"), "--quiet"]) == 0
    card = next((tmp_path / "card").glob("*.md"))
    commands = [
        ["report", str(bad), "--out", str(tmp_path / "r")],
        ["gate", str(bad), "--policy", str(policy), "--dry-run"],
        ["card", str(bad), "--out", str(tmp_path / "card2")],
        ["compare", str(good), str(bad), "--json", str(tmp_path / "cmp.json")],
        ["check-claims", str(card), str(bad)],
    ]
    for argv in commands:
        capsys.readouterr()
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert err == [f"equilens: error: {bad}: results[{auc}].value: 7.5 is outside [0, 1] for "
                       "roc_auc_score"], argv  # fmt: skip


def test_the_gate_refuses_a_log_with_emptied_results(
    raw: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = copy.deepcopy(raw)
    doc["results"] = []
    doc["curves"] = None
    path = _write(tmp_path, doc)
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "kind: policy\nname: p\nrules:\n  - {id: auc, metric: roc_auc_score, on: ci_low, "
        "op: '<', threshold: 0.99, severity: block}\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["gate", str(path), "--policy", str(policy), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert f"{path}: results: the section is empty, but rule 'auc' reads metric rows" in err[0]
    # The same log with its results blocks (the rule fires on every AUC below 0.99).
    assert main(["gate", str(_write(tmp_path, raw)), "--policy", str(policy), "--dry-run"]) == 1


def _deep(depth: int) -> str:
    return '{"format_version": "1.2", "spec_given": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize("depth", [20_000, 900])
def test_read_log_names_the_file_of_too_deep_json(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "audit.json"
    path.write_text(_deep(depth), encoding="utf-8")
    with pytest.raises(LogFormatError, match=r"audit\.json") as info:
        read_log(path)
    assert "\n" not in str(info.value)


def test_read_comparison_names_the_file_of_too_deep_json(tmp_path: Path) -> None:
    from equilens.compare import read_comparison

    path = tmp_path / "comparison.json"
    deep = "[" * 20_000 + "]" * 20_000
    path.write_text('{"kind": "equilens-comparison", "x": ' + deep + "}", encoding="utf-8")
    with pytest.raises(LogFormatError, match=r"comparison\.json.*nested too deeply"):
        read_comparison(path)


def test_cli_too_deep_log_is_one_line_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "deep-audit.json"
    path.write_text(_deep(20_000), encoding="utf-8")
    assert main(["report", str(path), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "deep-audit.json" in err and "nested too deeply" in err
