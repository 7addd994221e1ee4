"""Rules that require a mitigation review when they block (``require_review: mitigation``)."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
import yaml

from equilens._cli.main import main
from equilens.policy import content_hash, decide, parse_policy
from equilens.results import write_log

POLICY = """\
kind: policy
name: review-test
rules:
  - id: eod
    criterion: equalized_odds_difference
    on: ci_high
    op: ">"
    threshold: {threshold}
    severity: block
    {review}
"""


def _policy(threshold: float, review: bool) -> Any:
    text = POLICY.format(threshold=threshold, review="require_review: mitigation" if review else "")
    return parse_policy(yaml.safe_load(text))


@pytest.fixture
def log(builder: Any) -> Any:
    return builder.disparity(value=0.05, ci=(0.02, 0.12)).build()


def test_a_blocking_rule_requires_the_review(log: Any) -> None:
    decision = decide(log, _policy(0.10, True))
    assert decision.verdict == "block"
    [review] = decision.reviews_required
    assert review.kind == "mitigation" and review.rule_ids == ["eod"] and not review.attached
    assert "attach a mitigation report" in review.message
    attached = decide(log, _policy(0.10, True), attachments={"mitigation": "memo.html"})
    assert attached.reviews_required[0].attached
    assert attached.reviews_required[0].report == "memo.html"
    assert attached.verdict == "block"  # a person reviews; the gate does not lift the block


def test_no_review_when_the_rule_passes_or_names_none(log: Any) -> None:
    assert decide(log, _policy(0.20, True)).reviews_required == []
    assert decide(log, _policy(0.10, False)).reviews_required == []


def test_hashes_of_policies_and_decisions_without_reviews_are_unchanged(log: Any) -> None:
    policy = _policy(0.10, False)
    assert "require_review" not in policy.model_dump(mode="json")["rules"][0]
    assert "reviews_required" not in json.loads(decide(log, policy).to_json())
    assert content_hash(policy) != content_hash(_policy(0.10, True))


def test_a_bad_review_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="require_review"):
        parse_policy(yaml.safe_load(POLICY.format(threshold=0.1, review="require_review: legal")))


def test_the_gate_says_what_review_is_required_and_whether_a_report_is_attached(
    log: Any, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(log, tmp_path / "audit.json")
    (tmp_path / "p.yaml").write_text(
        POLICY.format(threshold=0.10, review="require_review: mitigation")
    )
    base = ["gate", str(tmp_path / "audit.json"), "--policy", str(tmp_path / "p.yaml"), "--dry-run"]
    assert main(base) == 1
    assert "review: mitigation review required by eod: attach" in capsys.readouterr().out
    memo = tmp_path / "memo.html"
    memo.write_text("<!doctype html>\n<!-- equilens mitigation memo -->\n<p>memo</p>")
    assert main([*base, "--mitigation-report", str(memo)]) == 1
    assert "is attached (memo.html)" in capsys.readouterr().out
    other = tmp_path / "other.html"
    other.write_text("<p>not a memo</p>")
    assert main([*base, "--mitigation-report", str(other)]) == 2
    assert "is not a decision memo" in capsys.readouterr().err
