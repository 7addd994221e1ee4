"""``equilens gate``: exit codes, outputs, storing the decision; the shipped policy on COMPAS."""

from __future__ import annotations

import json
import pathlib
import xml.etree.ElementTree as ET
from datetime import date
from typing import Any

import pytest

from equilens._cli.main import main
from equilens.policy import decide, load_policy
from equilens.results import AuditLog, write_log
from equilens.store import RunStore

POLICY = """\
kind: policy
name: cli-test
block_on_warn: {block_on_warn}
rules:
  - id: eod
    criterion: equalized_odds_difference
    on: ci_high
    op: ">"
    threshold: 0.10
    severity: {severity}
"""


@pytest.fixture
def files(builder: Any, tmp_path: pathlib.Path) -> dict[str, pathlib.Path]:
    log = builder.disparity(value=0.05, ci=(0.02, 0.12)).build()
    write_log(log, tmp_path / "audit.json")
    paths = {"audit": tmp_path / "audit.json", "store": tmp_path / "history.db"}
    for name, severity, strict in [
        ("block", "block", "false"),
        ("warn", "warn", "false"),
        ("strict", "warn", "true"),
        ("info", "info", "false"),
    ]:
        path = tmp_path / f"{name}.yaml"
        path.write_text(POLICY.format(severity=severity, block_on_warn=strict))
        paths[name] = path
    return paths


@pytest.mark.parametrize(
    ("policy", "code"), [("block", 1), ("warn", 0), ("strict", 1), ("info", 0)]
)
def test_exit_codes_follow_the_verdict(
    files: dict[str, pathlib.Path], policy: str, code: int
) -> None:
    args = ["gate", str(files["audit"]), "--policy", str(files[policy]), "--dry-run"]
    assert main(args) == code


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"audit": "missing.json"}, "Audit log not found"),
        ({"audit": "policy"}, "Cannot read audit log"),
        ({"policy": "missing.yaml"}, "Policy file not found"),
        ({"policy": "audit"}, "must be a YAML mapping"),
        ({"extra": ["--as-of", "June"]}, "--as-of expects a date"),
        ({"extra": ["--store", "mysql://x/y"]}, "Unsupported store URL scheme 'mysql'"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    files: dict[str, pathlib.Path],
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    change: dict[str, Any],
    needle: str,
) -> None:
    audit, policy = str(files["audit"]), str(files["block"])
    if change.get("audit") == "missing.json":
        audit = str(tmp_path / "missing.json")
    elif change.get("audit") == "policy":
        audit = str(files["block"])
    if change.get("policy") == "missing.yaml":
        policy = str(tmp_path / "missing.yaml")
    elif change.get("policy") == "audit":
        (tmp_path / "list.yaml").write_text("[1, 2]\n")
        policy = str(tmp_path / "list.yaml")
    args = ["gate", audit, "--policy", policy, *change.get("extra", [])]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0], err


def test_outputs_and_stored_decision(
    files: dict[str, pathlib.Path], tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit, md, js = tmp_path / "r" / "gate.xml", tmp_path / "r" / "gate.md", tmp_path / "d.json"
    url = f"sqlite:///{files['store']}"
    code = main(
        [
            "gate",
            str(files["audit"]),
            "--policy",
            str(files["block"]),
            "--junit",
            str(junit),
            "--markdown",
            str(md),
            "--json",
            str(js),
            "--store",
            url,
            "--actor",
            "ci-bot",
            "--as-of",
            "2025-06-01",
        ]
    )
    assert code == 1
    out = capsys.readouterr().out
    assert "BLOCK: Does not pass policy 'cli-test'" in out
    assert "stored as record 1" in out
    assert ET.parse(junit).getroot().tag == "testsuites"
    assert md.read_text().startswith("## equilens gate: blocked")
    stored_json = json.loads(js.read_text())
    assert stored_json["verdict"] == "block" and stored_json["evaluated_on"] == "2025-06-01"
    with RunStore(url) as store:
        (record,) = store.records()
        decision = store.get_decision(record.seq)
        log = store.get_log(record.log_hash)
        policy = store.get_policy(record.policy_hash or "")
    assert (record.kind, record.actor, record.verdict) == ("decision", "ci-bot", "block")
    assert decision is not None and decision.model_dump(mode="json") == stored_json
    # The stored decision can be recomputed from the stored log and policy alone.
    assert decide(log, policy, today=date(2025, 6, 1)) == decision


def test_dry_run_stores_nothing_and_env_names_the_store(
    files: dict[str, pathlib.Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EQUILENS_STORE", str(files["store"]))
    monkeypatch.setenv("EQUILENS_ACTOR", "env-actor")
    args = ["gate", str(files["audit"]), "--policy", str(files["warn"]), "--quiet"]
    assert main([*args, "--dry-run"]) == 0
    assert not files["store"].exists()
    assert main(args) == 0
    assert main(args) == 0
    with RunStore(create=False) as store:
        records = store.records()
    assert [(r.seq, r.actor, r.verdict) for r in records] == [
        (1, "env-actor", "warn"),
        (2, "env-actor", "warn"),
    ]


def test_terminal_output_is_not_rich_markup(
    builder: Any, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = builder.metric("accuracy_score", {"race": "[bold red]x[/bold red]"}, value=0.1).build()
    write_log(log, tmp_path / "a.json")
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "name: p\nrules:\n  - {id: acc, metric: accuracy_score, 'on': value, op: '<', "
        "threshold: 0.5, severity: warn}\n"
    )
    assert main(["gate", str(tmp_path / "a.json"), "--policy", str(policy), "--dry-run"]) == 0
    assert "race=[bold red]x[/bold red]" in capsys.readouterr().out


# -- the shipped example policy on the COMPAS demo ------------------------------------------


def test_shipped_policy_blocks_the_compas_demo(
    compas_log: AuditLog, shipped_policy: pathlib.Path
) -> None:
    decision = decide(compas_log, load_policy(shipped_policy), today=date(2025, 6, 1))
    assert decision.verdict == "block"
    blocking = [
        (o.rule_id, tuple(o.features or ()))
        for o in decision.rule_outcomes
        if o.counts_as == "block"
    ]
    # Clear equalized-odds gaps and four-fifths failures by race and by age band; none by sex.
    assert sorted(blocking) == [
        ("equalized-odds-clear-gap", ("age_cat",)),
        ("equalized-odds-clear-gap", ("race",)),
        ("four-fifths-rule", ("age_cat",)),
        ("four-fifths-rule", ("race",)),
    ]
    by_sex = [
        o.status for o in decision.outcomes_for("equalized-odds-clear-gap") if o.features == ["sex"]
    ]
    assert by_sex == ["pass"]
    assert decision.rule_status("overall-auc-floor") == "pass"
    assert decision.rule_status("calibration-overall") == "warn"
    assert decision.rule_status("intersectional-equalized-odds") == "info"
    # Race=Native American (11 people) is too small to judge: reported, never passed silently.
    native = [o for o in decision.rule_outcomes if o.group == {"race": "Native American"}]
    assert native and all(o.status == "insufficient_evidence" for o in native)
    assert decision.retrain_required
    assert [e.severity for e in decision.escalations] == ["block", "warn"]
    assert decision.escalations[0].owners == ["model-owner", "responsible-ai-review-board"]


def test_gate_cli_on_compas_exits_1(
    compas_log: AuditLog, shipped_policy: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    write_log(compas_log, tmp_path / "audit.json")
    junit = tmp_path / "gate.xml"
    code = main(
        [
            "gate",
            str(tmp_path / "audit.json"),
            "--policy",
            str(shipped_policy),
            "--junit",
            str(junit),
            "--store",
            str(tmp_path / "h.db"),
            "--quiet",
        ]
    )
    assert code == 1
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "2" and suite.get("tests") == "10"
    assert main(["verify-history", "--store", str(tmp_path / "h.db")]) == 0
