"""Model cards: sections, "not stated", escaping, offline HTML, front matter, decision."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from equilens.cards import (
    CardMeta,
    model_index,
    render_card_html,
    render_card_markdown,
    write_model_card,
)
from equilens.cards._meta import EvaluationData
from equilens.policy import decide, load_policy
from equilens.results import AuditLog

XSS = "<script>alert(1)</script>"

POLICY = Path(__file__).parents[2] / "examples" / "policies" / "prelaunch-standard.yaml"


def _body(md: str) -> str:
    """The Markdown after the front matter."""
    assert md.startswith("---\n")
    return md.split("\n---\n", 1)[1]


def test_sections_and_not_stated(log: AuditLog) -> None:
    md = render_card_markdown(log)
    for heading in (
        "## Model details",
        "## Intended use",
        "## Factors",
        "## Metrics",
        "## Evaluation data",
        "## Fairness findings",
        "## Caveats and limitations",
        "## Gate decision",
    ):
        assert heading in md
    assert md.count("*not stated*") >= 10
    assert "insufficient evidence" in md
    assert "No gate decision was given" in md
    html = render_card_html(log)
    assert html.count('class="unstated"') >= 10


def test_hostile_strings_are_escaped(log: AuditLog) -> None:
    meta = CardMeta(
        name=XSS,
        owners=[XSS],
        intended_uses=[f"use {XSS}"],
        out_of_scope_uses=["[link](javascript:alert(1))"],
        caveats=[XSS],
        evaluation_data=EvaluationData(name=XSS, filters=[XSS]),
    )
    html = render_card_html(log, meta, compare=log, compare_name=XSS)
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # only the report's own script element
    assert html.count("<script") == 1 and 'id="equilens-report-js"' in html
    # opens offline: nothing is fetched
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html
    md = render_card_markdown(log, meta, compare=log, compare_name=XSS)
    body = _body(md)
    assert XSS not in body and "<script" not in body
    assert "\\[link\\](javascript:alert(1))" in body


def test_front_matter_is_model_index(log: AuditLog) -> None:
    md = render_card_markdown(log, CardMeta(name="m", license="mit"))
    front = yaml.safe_load(md.split("\n---\n", 1)[0].removeprefix("---\n"))
    assert front["license"] == "mit"
    entry = front["model-index"][0]
    assert entry["name"] == "m"
    metrics = entry["results"][0]["metrics"]
    acc = next(m for m in metrics if m["type"] == "accuracy" and m["args"]["slice"] == {})
    row = log.result("accuracy_score")
    assert acc["value"] == round(row.value or 0, 4)
    assert acc["args"]["ci_low"] == round(row.ci_low or 0, 4)
    # groups too small to rely on are not written as claims
    small = {tuple(sorted(r.slice.items())) for r in log.results if r.status != "ok"}
    assert all(tuple(sorted(m["args"]["slice"].items())) not in small for m in metrics)
    none = model_index(log, groups="none")["model-index"][0]["results"][0]["metrics"]
    assert all(m["args"]["slice"] == {} for m in none)


def test_decision_and_comparison(log: AuditLog, other_log: AuditLog, tmp_path: Path) -> None:
    decision = decide(log, load_policy(POLICY))
    paths = write_model_card(
        log,
        tmp_path,
        CardMeta(name="model A"),
        decision=decision,
        compare=other_log,
        compare_name="model B",
    )
    md = paths["markdown"].read_text(encoding="utf-8")
    html = paths["html"].read_text(encoding="utf-8")
    assert f"**{decision.verdict.upper()}**" in md
    assert "prelaunch-standard" in md and "prelaunch-standard" in html
    for rule_id in decision.rule_ids():
        assert rule_id in md
    assert "## Comparison with another model" in md
    assert "model B" in md and "content hashes differ" in md
    assert " pts" in md  # Newcombe intervals of rate differences
    assert 'id="compare"' in html and 'id="gate"' in html


def test_caveats_report_small_groups_and_base_rates(log: AuditLog) -> None:
    md = render_card_markdown(log)
    caveats = md.split("## Caveats and limitations", 1)[1].split("## Ethical", 1)[0]
    assert "fewer than 30 rows" in caveats
    assert "Kleinberg" in caveats
    assert "binning error" in caveats or "binning" in caveats
