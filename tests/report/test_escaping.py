"""Strings from the log render as text: no injected element, attribute or Markdown syntax."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from _data import make_frame
from equilens.audit._run import audit
from equilens.report import md_escape, render_html, render_markdown
from equilens.results import AuditLog

#: Hostile strings: they must render as text in every report.
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
MD_LINK = "c|[x](javascript:alert(1))"
MD_MISC = "d`code` @here *b* $x$ #1"


@pytest.fixture(scope="module")
def hostile_log() -> AuditLog:
    """Group labels and column names that try to inject HTML, script and Markdown."""
    df = make_frame(n=1500, seed=5)
    df["race"] = df["race"].map({"a": SCRIPT, "b": IMG, "c": MD_LINK, "d": MD_MISC})
    df = df.rename(columns={"sex": IMG + "sex", "pred": SCRIPT + "pred", "y": "y" + IMG})
    return audit(
        df,
        y_true="y" + IMG,
        y_pred=SCRIPT + "pred",
        y_score="score",
        sensitive_features=["race", IMG + "sex", "age"],
        intersections=True,
        reference={"race": SCRIPT},
        bootstrap=50,
        seed=0,
    )


class _Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside <script> elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Elements:
    parser = _Elements()
    parser.feed(page)
    parser.close()
    return parser


def test_html_payloads_render_as_text(hostile_log: AuditLog) -> None:
    page = render_html(hostile_log)
    for payload in (SCRIPT, IMG, "<img", "<script>alert"):
        assert payload not in page
    parsed = _parse(page)
    scripts = [attrs for tag, attrs in parsed.tags if tag == "script"]
    assert scripts == [{"id": "equilens-report-js"}]
    assert not [tag for tag, _ in parsed.tags if tag in ("img", "iframe", "object", "embed")]
    handlers = [
        (tag, name) for tag, attrs in parsed.tags for name in attrs if name.startswith("on")
    ]
    assert handlers == []
    # The labels are there, as text (html.parser decodes the entities back).
    text = "".join(parsed.text)
    assert SCRIPT in text and IMG in text and "javascript:alert(1)" in text


def test_html_payloads_in_attributes_stay_inside_them(hostile_log: AuditLog, log: AuditLog) -> None:
    parsed = _parse(render_html(hostile_log))
    # Filters use the feature labels as option values and row data: they must round-trip.
    values = {attrs.get("value") for tag, attrs in parsed.tags if tag == "option"}
    assert f"race × {IMG}sex" in values
    families = {attrs.get("data-family") for tag, attrs in parsed.tags if tag == "tr"}
    assert f"{IMG}sex" in families
    # No attribute or element was created by an injected quote: the page has the same kinds
    # of elements and attributes as the report of a harmless audit.
    clean = _parse(render_html(log))
    assert {tag for tag, _ in parsed.tags} <= {tag for tag, _ in clean.tags}
    names = {name for _, attrs in parsed.tags for name in attrs}
    assert names <= {name for _, attrs in clean.tags for name in attrs}


def test_markdown_payloads_render_as_text(hostile_log: AuditLog) -> None:
    text = render_markdown(hostile_log)
    assert SCRIPT not in text and IMG not in text
    assert "<script" not in text.lower() and "<img" not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert re.search(r"(?<!\\)\]\(", text) is None  # no link can open
    assert "\\[x\\](javascript:alert(1))" in text
    assert "`" not in text.replace("\\`", "")
    assert "@here" not in text and "@\u200bhere" in text
    # The only raw HTML is the closing note's <sub>.
    assert re.findall(r"<(/?\w+)", text) == ["sub", "/sub"]


def test_markdown_table_cells_cannot_split(hostile_log: AuditLog) -> None:
    text = render_markdown(hostile_log)
    for table in re.findall(r"(?:^\|.*\|\n)+", text, flags=re.M):
        rows = table.strip("\n").split("\n")
        widths = {len(re.findall(r"(?<!\\)\|", row)) for row in rows}
        assert len(widths) == 1, rows


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a_b", "a\\_b"),
        ("<b>&", "&lt;b&gt;&amp;"),
        ("x|y", "x\\|y"),
        ("[t](u)", "\\[t\\](u)"),
        ("![i](u)", "\\!\\[i\\](u)"),
        ("`c`", "\\`c\\`"),
        ("*e* ~s~ $m$ #3", "\\*e\\* \\~s\\~ \\$m\\$ \\#3"),
        ("line\nbreak", "line break"),
        ("@team", "@\u200bteam"),
        ("25 - 45", "25 - 45"),
    ],
)
def test_md_escape(raw: str, escaped: str) -> None:
    assert md_escape(raw) == escaped


def test_markdown_group_labels_are_escaped_in_tables(hostile_log: AuditLog) -> None:
    text = render_markdown(hostile_log, max_groups=50)
    for label in (SCRIPT, IMG, MD_LINK, MD_MISC):
        assert md_escape(f"race = {label}") in text
    assert md_escape(f"{IMG}sex") in text
