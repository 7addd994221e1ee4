"""Strings from the log render as text: no injected element, attribute or Markdown syntax."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# -- control and bidi characters (one sanitizer: equilens._text.clean_text) ----------------

#: Labels that drive a terminal, hide text or reorder it: ESC sequences (colour, OSC 8 link,
#: title), NUL, BEL, C1 CSI, bidi override / isolates, zero-width characters, tag characters.
HIDDEN = {
    "esc": "a\x1b[31mred\x1b[0m",
    "osc": "b\x1b]8;;https://evil.example\x07link\x1b]8;;\x07",
    "nul": "c\x00d",
    "c1": "e\x9b31mf",
    "rlo": "g\u202etxt.exe",
    "isolates": "h\u2066i\u2069\u2067j\u2068",
    "embeddings": "k\u202a\u202b\u202cl\u202dm",
    "marks": "n\u200e\u200f\u061co",
    "zero-width": "p\u200bq\u2060r\ufeffs",
    "joiner-ascii": "ma\u200dle",
    "tags": "t\U000e0041\U000e007fu",
}
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff"
    "\U000e0000-\U000e007f]|(?<=[\x00-\x7f])\u200d"
)


@pytest.mark.parametrize("name", list(HIDDEN))
def test_clean_text_takes_out_every_hidden_character(name: str) -> None:
    from equilens._text import REPLACEMENT, clean_text, html_escape

    cleaned = clean_text(HIDDEN[name])
    assert not _FORBIDDEN.search(cleaned), repr(cleaned)
    assert REPLACEMENT in cleaned
    # the visible characters survive, in order
    visible = [ch for ch in HIDDEN[name] if ch.isprintable() and not _FORBIDDEN.match(ch)]
    assert [ch for ch in cleaned if ch != REPLACEMENT] == visible
    assert not _FORBIDDEN.search(md_escape(HIDDEN[name]))
    assert not _FORBIDDEN.search(html_escape(HIDDEN[name]))


@pytest.mark.parametrize(
    "text",
    [
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian: ZWNJ inside a word
        "\U0001f469\u200d\U0001f52c",  # emoji ZWJ sequence
        "Zoë, 25 - 45, Ñandú, 東京",
    ],
)
def test_clean_text_keeps_legitimate_text(text: str) -> None:
    from equilens._text import clean_text

    assert clean_text(text) == text


@pytest.fixture(scope="module")
def hidden_log() -> AuditLog:
    df = make_frame(n=1200, seed=6)
    df["race"] = df["race"].map(
        {"a": HIDDEN["esc"], "b": HIDDEN["rlo"], "c": HIDDEN["nul"], "d": HIDDEN["osc"]}
    )
    df = df.rename(columns={"sex": "se\u202ex"})
    return audit(
        df,
        y_true="y",
        y_pred="pred",
        y_score="score",
        sensitive_features=["race", "se\u202ex"],
        bootstrap=30,
        seed=0,
    )


def test_reports_carry_no_control_or_bidi_character(hidden_log: AuditLog) -> None:
    from equilens.compare import compare_logs
    from equilens.compare._render import render_html_section
    from equilens.compare._render import render_markdown as compare_markdown

    pages = {
        "html": render_html(hidden_log),
        "markdown": render_markdown(hidden_log, max_groups=50),
    }
    result = compare_logs(hidden_log, hidden_log)
    pages["compare markdown"] = compare_markdown(result)
    pages["compare html"] = render_html_section(result)
    for name, page in pages.items():
        # the page's own newlines are fine; nothing else hidden may remain
        for line in page.splitlines():
            assert not _FORBIDDEN.search(line), (name, repr(_FORBIDDEN.search(line)))
    assert "a\ufffd[31mred" in pages["html"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_clean_text_properties(text: str) -> None:
    """One character in, one out; nothing hidden left; cleaning twice changes nothing."""
    import unicodedata

    from equilens._text import clean_text

    cleaned = clean_text(text)
    assert len(cleaned) == len(text)
    assert clean_text(cleaned) == cleaned
    for i, ch in enumerate(cleaned):
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs"):
            assert ch in "\u200c\u200d", repr(cleaned)
            assert not cleaned[i - 1].isascii() and not cleaned[i + 1].isascii()
