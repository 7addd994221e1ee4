"""JUnit XML and Markdown outputs: structure, and escaping of data-derived strings."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from equilens.policy import GateDecision, Policy, decide, md_escape, to_junit, to_markdown

HOSTILE = "<script>alert('x')</script> & [link](https://evil.example) @everyone |x| `c`\x07"


@pytest.fixture
def decision(
    builder: Any, make_policy: Callable[..., Policy], rule: Callable[..., dict[str, Any]]
) -> GateDecision:
    log = (
        builder.metric("accuracy_score", {"race": HOSTILE}, value=0.5)
        .metric("accuracy_score", {"race": "fine"}, value=0.9)
        .metric("roc_auc_score", {}, value=0.55, ci=(0.5, 0.6))
        .disparity(value=0.2, ci=(0.15, 0.25))
        .build()
    )
    rules = [
        rule(),  # blocks
        rule(
            id="acc",
            criterion=None,
            metric="accuracy_score",
            on="value",
            op="<",
            threshold=0.7,
            severity="warn",
        ),
        rule(id="auc", criterion=None, metric="roc_auc_score", on="ci_low", op="<", threshold=0.4),
        rule(id="na", criterion=None, metric="brier_score_loss", on="value"),
    ]
    return decide(log, make_policy(rules), today=date(2025, 6, 1))


def test_junit_has_one_case_per_rule(decision: GateDecision) -> None:
    root = ET.fromstring(to_junit(decision))
    suite = root.find("testsuite")
    assert suite is not None
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert list(cases) == ["eod", "acc", "auc", "na"]
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "1", "2")
    failure = cases["eod"].find("failure")
    assert failure is not None and failure.get("type") == "block"
    assert "ci_high 0.250 > 0.1" in (failure.get("message") or "")
    warned = cases["acc"].find("skipped")
    assert warned is not None and (warned.get("message") or "").startswith("warning: 1 outcome")
    assert cases["auc"].find("failure") is None and cases["auc"].find("skipped") is None
    na = cases["na"].find("skipped")
    assert na is not None and "does not apply" in (na.get("message") or "")
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["verdict"] == "block" and props["log_hash"] == decision.log_hash


def test_junit_escapes_hostile_group_labels(decision: GateDecision) -> None:
    xml = to_junit(decision)
    assert "<script>" not in xml
    assert "&lt;script&gt;" in xml
    assert "\x07" not in xml
    out = ET.fromstring(xml).find(".//testcase[@name='acc']/system-out")
    assert out is not None and out.text is not None
    assert "<script>alert('x')</script>" in out.text  # round-trips as text, not markup
    assert "\ufffd" in out.text  # the control character XML cannot carry


def test_junit_block_on_warn_fails_warning_rules(
    builder: Any, make_policy: Callable[..., Policy], rule: Callable[..., dict[str, Any]]
) -> None:
    log = builder.disparity(value=0.2, ci=(0.15, 0.25)).build()
    strict = decide(log, make_policy([rule(severity="warn")], block_on_warn=True))
    case = ET.fromstring(to_junit(strict)).find(".//testcase")
    assert case is not None and case.find("failure") is not None


def test_markdown_escapes_data(decision: GateDecision) -> None:
    md = to_markdown(decision)
    assert md.startswith("## equilens gate: blocked")
    for raw in ("<script", "@everyone", "`c`", "\x07"):
        assert raw not in md
    assert re.search(r"(?<!\\)\]\(", md) is None  # no unescaped link syntax
    assert "&lt;script&gt;" in md and "@\u200beveryone" in md
    row = next(line for line in md.splitlines() if "race=&lt;script" in line)
    # The table row keeps its four cells: every pipe from the data is escaped.
    assert row.count("|") - row.count("\\|") == 5
    assert "<details><summary>Passing and not applicable outcomes (3)</summary>" in md
    assert "does not show that a model is fair" in md


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a_b*c", "a\\_b\\*c"),
        ("<b>&", "&lt;b&gt;&amp;"),
        ("line\nbreak", "line break"),
        ("www.x.com", "www\\.x.com"),
        ("see https://x.com/a", "see https\\://x.com/a"),
        ("@team", "@\u200bteam"),
        ("bell\x07", "bell\ufffd"),
    ],
)
def test_md_escape(text: str, expected: str) -> None:
    assert md_escape(text) == expected


def test_markdown_is_capped(
    builder: Any, make_policy: Callable[..., Policy], rule: Callable[..., dict[str, Any]]
) -> None:
    for i in range(60):
        builder.metric("accuracy_score", {"race": f"g{i}"}, value=0.5)
    acc = rule(id="acc", criterion=None, metric="accuracy_score", on="value", op="<", threshold=1)
    md = to_markdown(decide(builder.build(), make_policy([acc])))
    assert "… and 20 more" in md


@pytest.mark.parametrize("hidden", ["\u202e", "\x1b[31m", "\x00"])
def test_junit_cleans_bidi_and_control_characters_in_labels(
    builder: Any,
    make_policy: Callable[..., Policy],
    rule: Callable[..., dict[str, Any]],
    hidden: str,
) -> None:
    label = f'a{hidden}b <&> "q"\nforged line'
    log = builder.metric("accuracy_score", {"race": label}, value=0.5).build()
    acc = rule(id="acc", criterion=None, metric="accuracy_score", on="value", op="<")
    xml = to_junit(decide(log, make_policy([dict(acc, threshold=0.7)]), today=date(2025, 6, 1)))
    assert hidden[0] not in xml  # U+202E is valid XML 1.0: only clean_text takes it out
    root = ET.fromstring(xml)  # still well-formed, markup still escaped
    failure = root.find(".//testcase[@name='acc']/failure")
    assert failure is not None and failure.text is not None
    shown = f'a\ufffd{hidden[1:]}b <&> "q" forged line'  # ESC's "[31m" is inert text
    assert shown in failure.text
    assert len(failure.text.splitlines()) == 1  # one line per outcome: no forged line
    assert shown in (failure.get("message") or "")
