"""The Markdown summary: short, complete, consistent with the HTML report."""

from __future__ import annotations

import re

from equilens.report import md_escape, render_markdown
from equilens.report._content import ReportContent
from equilens.results import AuditLog


def test_summary_is_short(log: AuditLog) -> None:
    text = render_markdown(log)
    assert len(text.splitlines()) <= 60
    assert text.endswith("\n")


def test_summary_sections(log: AuditLog) -> None:
    text = render_markdown(log)
    for heading in ("## equilens audit", "### Key findings", "### Key metrics by group"):
        assert heading in text
    detected = sum(c.conclusion == "difference_detected" for c in log.comparisons)
    assert f"**{detected}** differences detected" in text
    for warning in log.warnings:
        assert md_escape(warning) in text


def test_findings_match_the_html_report(log: AuditLog) -> None:
    text = render_markdown(log)
    content = ReportContent.from_log(log)
    for finding in content.key_findings(5, intersections=False):
        number = next(t for kind, t in finding.segments if kind == "num")
        assert f"**{md_escape(number)}**" in text


def test_key_metrics_table_has_every_single_feature_group(log: AuditLog) -> None:
    text = render_markdown(log, max_groups=100)
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    for fam in log.families:
        if len(fam.features) == 1:
            for g in fam.groups:
                name = md_escape(", ".join(f"{k} = {v}" for k, v in g.items()))
                assert any(row.startswith(f"| {name}") for row in rows), name
    assert any(row.startswith("| overall |") for row in rows)
    # Intervals are shown beside values.
    assert re.search(r"\d%\s\(\d+\.\d–\d+\.\d\)", text)


def test_limits_are_respected(log: AuditLog) -> None:
    text = render_markdown(log, max_findings=1, max_intersection_findings=0, max_groups=2)
    assert re.findall(r"^\d+\. ", text, flags=re.M) == ["1. "]
    metrics_table = text.split("### Key metrics by group")[1].split("###")[0]
    rows = [line for line in metrics_table.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + 2  # header, then the overall population and one group
    assert "more group(s) in the HTML report" in text
    short = render_markdown(log, max_differences=3, max_warnings=0)
    differences = short.split("### Largest differences detected")[1].split("###")[0]
    assert len([line for line in differences.splitlines() if line.startswith("| ")]) == 1 + 3
    assert "### Warnings" in short and "more warning(s) in the report" in short
