"""The gate's ``agreement:`` rules on agreement.json: pass, block, insufficient evidence, inputs."""

from __future__ import annotations

import json
import pathlib
import xml.etree.ElementTree as ET
from datetime import date
from typing import Any

import pytest

from equilens._cli.main import main
from equilens.exceptions import InvalidInputError, LogFormatError
from equilens.policy import content_hash, decide, parse_policy, to_junit, to_markdown
from equilens.results import write_log

_RULE = {"id": "alpha", "metric": "krippendorff_alpha", "op": "<", "threshold": 0.667}


def _row(criterion: str, slice_: str, value: float | None, ci: tuple[Any, Any]) -> dict[str, Any]:
    feature, group = slice_.split("=") if "=" in slice_ else (None, None)
    return {
        "criterion": criterion,
        "feature": feature,
        "group": group,
        "slice": slice_,
        "metric": "krippendorff_alpha",
        "value": value,
        "ci_low": ci[0],
        "ci_high": ci[1],
        "n_items": 40,
        "n_raters": 3,
        "level": "ordinal",
        **({} if value is not None else {"note": "undefined: no variation"}),
    }


DOC = {
    "kind": "agreement",
    "rows": [
        _row("fluency", "overall", 0.81, (0.74, 0.87)),
        _row("fluency", "dialect=A", 0.90, (0.85, 0.94)),
        _row("fluency", "dialect=B", 0.55, (0.40, 0.68)),
        _row("accuracy", "overall", None, (None, None)),
    ],
}


def _policy(*rules: dict[str, Any], **extra: Any) -> Any:
    return parse_policy(
        {
            "name": "agree",
            "rules": [
                {
                    "id": "acc",
                    "metric": "accuracy_score",
                    "on": "value",
                    "op": "<",
                    "threshold": 0.5,
                    "severity": "block",
                }
            ],
            "agreement": list(rules),
            **extra,
        }
    )


def _decide(builder: Any, policy: Any, doc: Any = DOC) -> Any:
    return decide(builder.metric().build(), policy, today=date(2026, 1, 1), agreement=doc)


def test_overall_alpha_above_the_bar_passes(builder: Any) -> None:
    rule = {**_RULE, "criterion": "fluency", "slice": "overall", "severity": "block"}
    decision = _decide(builder, _policy(rule))
    [outcome] = decision.outcomes_for("alpha")
    assert decision.verdict == "pass" and outcome.status == "pass"
    assert outcome.target == "agreement" and outcome.group == {}
    assert outcome.name == "krippendorff_alpha[criterion=fluency]"
    assert outcome.observed == {"value": 0.81, "ci_low": 0.74, "ci_high": 0.87}
    assert decision.agreement_hash is not None


def test_a_slice_whose_lower_bound_misses_the_bar_blocks(builder: Any) -> None:
    rule = {**_RULE, "criterion": "fluency", "severity": "block"}
    decision = _decide(builder, _policy(rule))
    by_group = {o.group_label: o.status for o in decision.outcomes_for("alpha")}
    assert by_group == {"overall": "pass", "dialect=A": "pass", "dialect=B": "block"}
    assert decision.verdict == "block" and "alpha" in decision.summary
    # One group: only that row is read.
    one = {**rule, "slice": {"dialect": "A"}, "on": "value"}
    assert [o.status for o in _decide(builder, _policy(one)).outcomes_for("alpha")] == ["pass"]


def test_undefined_coefficient_is_insufficient_evidence_never_a_pass(builder: Any) -> None:
    rule = {**_RULE, "criterion": "accuracy", "severity": "block"}
    [outcome] = _decide(builder, _policy(rule)).outcomes_for("alpha")
    assert outcome.status == "insufficient_evidence" and "no variation" in outcome.reason


def test_missing_rows_are_not_applicable_unless_required(builder: Any) -> None:
    rule = {**_RULE, "criterion": "coherence", "severity": "block"}
    [o] = _decide(builder, _policy(rule)).outcomes_for("alpha")
    assert o.status == "not_applicable"
    [o] = _decide(builder, _policy({**rule, "required": True})).outcomes_for("alpha")
    assert o.status == "insufficient_evidence"


def test_exemptions_and_renderings_cover_agreement_outcomes(builder: Any) -> None:
    rule = {**_RULE, "criterion": "fluency", "severity": "block"}
    exemption = {
        "rule": "alpha",
        "group": {"dialect": "B"},
        "justification": "rater training <b>scheduled</b>",
        "approver": "lead",
        "expires": "2026-06-30",
    }
    decision = _decide(builder, _policy(rule, exemptions=[exemption]))
    assert decision.verdict == "pass"
    assert "exempted" in {o.status for o in decision.outcomes_for("alpha")}
    blocked = _decide(builder, _policy(rule))
    assert "krippendorff" in to_markdown(blocked)
    case = [
        c for c in ET.fromstring(to_junit(blocked)).iter("testcase") if c.get("name") == "alpha"
    ]
    assert case and case[0].find("failure") is not None
    assert json.loads(blocked.to_json())["agreement_hash"] == blocked.agreement_hash


def test_policy_checks_and_hash_stability() -> None:
    with pytest.raises(InvalidInputError, match="applies only to icc"):
        _policy({**_RULE, "form": "ICC(2,1)", "severity": "block"})
    with pytest.raises(InvalidInputError, match="used twice"):
        _policy({**_RULE, "id": "acc", "severity": "block"})
    with pytest.raises(InvalidInputError, match="krippendorff_alpha"):
        _policy({**_RULE, "metric": "kripendorf", "severity": "block"})
    # A policy without agreement rules hashes as before the section existed.
    assert "agreement" not in json.loads(_policy().model_dump_json())
    assert content_hash(_policy()) != content_hash(_policy({**_RULE, "severity": "warn"}))


def test_decide_without_the_document_or_with_a_foreign_one_refuses(builder: Any) -> None:
    policy = _policy({**_RULE, "severity": "block"})
    with pytest.raises(LogFormatError, match="agreement rules"):
        _decide(builder, policy, None)
    with pytest.raises(InvalidInputError, match="not an agreement document"):
        _decide(builder, policy, {"kind": "textmetrics", "rows": []})


POLICY = """\
kind: policy
name: agree-cli
rules:
  - {id: acc, metric: accuracy_score, on: value, op: "<", threshold: 0.5, severity: block}
agreement:
  - id: alpha-fluency
    metric: krippendorff_alpha
    criterion: fluency
    on: ci_low
    op: "<"
    threshold: THRESHOLD
    severity: block
"""


@pytest.fixture
def gate_files(builder: Any, tmp_path: pathlib.Path) -> dict[str, pathlib.Path]:
    write_log(builder.metric().build(), tmp_path / "audit.json")
    (tmp_path / "agreement.json").write_text(json.dumps(DOC))
    for name, threshold in (("lenient", "0.3"), ("strict", "0.667")):
        (tmp_path / f"{name}.yaml").write_text(POLICY.replace("THRESHOLD", threshold))
    return {p.stem: p for p in tmp_path.iterdir()}


@pytest.mark.parametrize(("policy", "code"), [("lenient", 0), ("strict", 1)])
def test_gate_cli_blocks_on_agreement(
    gate_files: dict[str, pathlib.Path], policy: str, code: int, tmp_path: pathlib.Path
) -> None:
    argv = ["gate", str(gate_files["audit"]), "--policy", str(gate_files[policy]), "--dry-run"]
    out = tmp_path / "decision.json"
    assert main([*argv, "--agreement", str(gate_files["agreement"]), "--json", str(out)]) == code
    outcomes = json.loads(out.read_text())["rule_outcomes"]
    assert {o["target"] for o in outcomes} == {"metric", "agreement"}


def test_gate_cli_bad_agreement_input_exits_2(
    gate_files: dict[str, pathlib.Path], tmp_path: pathlib.Path, capsys: Any
) -> None:
    argv = ["gate", str(gate_files["audit"]), "--policy", str(gate_files["strict"]), "--dry-run"]
    assert main(argv) == 2
    assert "--agreement" in capsys.readouterr().err
    assert main([*argv, "--agreement", str(tmp_path / "nope.json")]) == 2
    assert "not found" in capsys.readouterr().err
    assert main([*argv, "--agreement", str(gate_files["audit"])]) == 2
    err = capsys.readouterr().err
    assert "not an agreement document" in err and len(err.strip().splitlines()) == 1
