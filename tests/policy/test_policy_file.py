"""Policy files: validation with one-line FILE:LINE errors, templates, hashes, validate CLI."""

from __future__ import annotations

import pathlib
import textwrap

import pytest

from equilens._cli.main import main
from equilens.exceptions import InvalidInputError
from equilens.policy import content_hash, load_policy, parse_policy
from equilens.policy._template import check_template, render_template

GOOD = """\
kind: policy
name: acme
version: 2025.1
escalation:
  block:
    owners: [risk]
    message: "{rule_id}: {metric} for {group} = {value} (threshold {threshold})"
rules:
  - id: eod-upper
    criterion: equalized_odds_difference
    on: ci_high
    op: ">"
    threshold: 0.10
    severity: block
  - id: fpr-detected
    comparison: fpr
    on: abs_difference
    op: gt
    threshold: 0.05
    also:
      - {on: p_holm, op: "<", threshold: 0.05}
    severity: warn
exemptions:
  - rule: eod-upper
    group: {race: Other}
    justification: Reviewed; small group under remediation.
    approver: Jane Doe
    expires: 2026-01-31
"""


def write(tmp_path: pathlib.Path, text: str, name: str = "policy.yaml") -> pathlib.Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_good_policy_loads(tmp_path: pathlib.Path) -> None:
    policy = load_policy(write(tmp_path, GOOD))
    assert policy.name == "acme" and policy.version == "2025.1"
    first, second = policy.rules
    # `on:` unquoted is YAML 1.1's boolean True; the loader reads it back as the key "on".
    assert (first.on, first.op, first.threshold, first.target) == ("ci_high", ">", 0.1, "criterion")
    assert second.comparison == "false_positive_rate"  # alias resolved
    assert second.op == ">" and second.also[0].on == "p_holm"
    assert policy.exemptions[0].expires.isoformat() == "2026-01-31"
    assert not policy.block_on_warn and policy.insufficient_evidence == "warn"


@pytest.mark.parametrize(
    ("old", "new", "line", "needle"),
    [
        ('    op: ">"\n', '    opp: ">"\n', 12, "unknown key 'rules.0.opp' (did you mean 'op'?)"),
        (
            "criterion: equalized_odds_difference",
            "criterion: equalised_odds_difference",
            10,
            "unknown fairness criterion 'equalised_odds_difference' (did you mean "
            "'equalized_odds_difference'?)",
        ),
        ("comparison: fpr", "comparison: brier_score_loss", 16, "not on 'brier_score_loss'"),
        ("    on: ci_high\n", "    on: p_holm\n", 11, "'p_holm' is not a field of criterion rows"),
        (
            "      - {on: p_holm,",
            "      - {on: p_hollm,",
            21,
            "rules.1.also.0.on: 'p_hollm' is not",
        ),
        ("    severity: block\n  - id", "    severity: fatal\n  - id", 14, "rules.0.severity"),
        ("threshold: 0.10", "threshold: .nan", 13, "must be a finite number"),
        ('    op: ">"\n', '    op: "!="\n', 12, "rules.0.op"),
        (
            "  - rule: eod-upper",
            "  - rule: eod-uper",
            24,
            "does not have (did you mean 'eod-upper'?)",
        ),
        ("    approver: Jane Doe", "    approver: '  '", 27, "must not be blank"),
        ("expires: 2026-01-31", "expires: someday", 28, "exemptions.0.expires"),
        (
            "{value} (threshold",
            "{value.__class__} (threshold",
            7,
            "unknown placeholder '{value.__class__}'",
        ),
        ("{value} (threshold", "{value:>99999} (threshold", 7, "has a conversion or format spec"),
        ("  - id: fpr-detected", "  - id: eod-upper", 15, "rule id 'eod-upper' is used twice"),
        (
            "    criterion: equalized_odds_difference\n",
            "    criterion: equalized_odds_difference\n    group: {race: a}\n",
            11,
            "a criterion summarises a family",
        ),
        (
            "    comparison: fpr\n",
            "    comparison: fpr\n    method: to_overall\n",
            17,
            "'method' applies only to criterion rules",
        ),
    ],
)
def test_errors_name_file_line_and_key(
    tmp_path: pathlib.Path, old: str, new: str, line: int, needle: str
) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(InvalidInputError) as err:
        load_policy(path)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:{line}: "), message
    assert needle in message, message


def test_a_rule_reads_exactly_one_kind_of_row() -> None:
    base = {"id": "r", "on": "value", "op": ">", "threshold": 1, "severity": "warn"}
    with pytest.raises(InvalidInputError, match="exactly one of 'metric', 'criterion'"):
        parse_policy({"name": "p", "rules": [base]})
    with pytest.raises(InvalidInputError, match=r"\(got metric, criterion\)"):
        parse_policy(
            {
                "name": "p",
                "rules": [{**base, "metric": "accuracy_score", "criterion": "accuracy_difference"}],
            }
        )


def test_not_a_mapping_and_missing_file(tmp_path: pathlib.Path) -> None:
    with pytest.raises(InvalidInputError, match="must be a YAML mapping"):
        load_policy(write(tmp_path, "- just\n- a list\n"))
    with pytest.raises(InvalidInputError, match="Policy file not found"):
        load_policy(tmp_path / "absent.yaml")
    with pytest.raises(InvalidInputError, match=r"policy.yaml:2: invalid YAML"):
        load_policy(write(tmp_path, "name: x\n  rules: [\n"))


def test_policy_hash_ignores_formatting_and_comments(tmp_path: pathlib.Path) -> None:
    a = load_policy(write(tmp_path, GOOD, "a.yaml"))
    reformatted = "# a comment\n" + GOOD.replace("threshold: 0.10", "threshold: 0.1")
    b = load_policy(write(tmp_path, reformatted, "b.yaml"))
    c = load_policy(write(tmp_path, GOOD.replace("threshold: 0.10", "threshold: 0.11"), "c.yaml"))
    assert content_hash(a) == content_hash(b) != content_hash(c)
    assert len(content_hash(a)) == 64


def test_templates_are_rendered_without_attribute_access() -> None:
    assert check_template("{rule_id} {{literal}}") == "{rule_id} {{literal}}"
    for bad in ("{0}", "{}", "{group[0]}", "{value!r}", "{unknown}", "{rule_id"):
        with pytest.raises(ValueError):
            check_template(bad)
    values = {"rule_id": "r1", "group": "{reason.__class__}"}
    assert render_template("{rule_id}/{group}", values) == "r1/{reason.__class__}"
    # A template that slipped past validation still cannot reach attributes.
    assert render_template("{rule_id.__class__}", values) == "[] r1: "
    assert len(render_template("{group}", {"group": "x" * 5000})) == 2000


def test_validate_cli_recognises_policies(
    tmp_path: pathlib.Path, shipped_policy: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(shipped_policy)]) == 0
    assert (
        "valid policy 'prelaunch-standard' (10 rule(s), 0 exemption(s))" in capsys.readouterr().out
    )
    # Recognised by its keys too (no `kind`).
    path = write(tmp_path, GOOD.replace("kind: policy\n", "").replace("opp", "op"))
    assert main(["validate", str(path)]) == 0
    bad = write(tmp_path, GOOD.replace("on: ci_high", "on: ci_hihg"), "bad.yaml")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"equilens: error: {bad}:11: rules.0.on: 'ci_hihg' is not a field")
    assert len(err.splitlines()) == 1


def test_validate_cli_still_checks_specs(tmp_path: pathlib.Path) -> None:
    spec = write(tmp_path, "data: {dataset: compas}\ncolumns: {y_true: nope}\n", "spec.yaml")
    assert main(["validate", str(spec)]) == 2


def test_documented_policy_example_validates(shipped_policy: pathlib.Path) -> None:
    import yaml

    doc = (shipped_policy.parents[2] / "docs" / "policy.md").read_text()
    block = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    policy = parse_policy(yaml.safe_load(block))
    assert policy.rules[0].on == "ci_high" and policy.exemptions[0].features == ["age_cat"]


def test_github_actions_example_uses_real_gate_flags(shipped_policy: pathlib.Path) -> None:
    import re

    import yaml

    from equilens._cli.main import build_parser

    workflow = shipped_policy.parents[1] / "github-actions" / "equilens-gate.yml"
    steps = yaml.safe_load(workflow.read_text())["jobs"]["gate"]["steps"]
    gate = next(s["run"] for s in steps if s.get("id") == "gate")
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    gate_parser = sub.choices["gate"]  # type: ignore[attr-defined]
    known = {opt for action in gate_parser._actions for opt in action.option_strings}
    used = set(re.findall(r"(--[a-z][a-z-]+)", gate))
    assert used and used <= known, used - known
