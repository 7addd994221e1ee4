"""The shared frame of the card, datasheet and claims pages.

Styles, script and escaping come from the HTML report (:mod:`equilens.report._html` and
:mod:`equilens.report._svg`), so every equilens page looks the same and escapes the same way.
Pages load nothing external and open offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from equilens._files import write_text_atomic
from equilens.report import CSS, JS, esc

#: Styles the cards add to the report's: verdict badges and "not stated" markers.
_EXTRA_CSS = """
.b-sup{background:#e7f6ec;color:#166534}
.b-con{background:var(--det-bg);color:var(--det)}
.b-pass{background:#e7f6ec;color:#166534}
.b-warn{background:#fffbeb;color:#b45309}
.b-block{background:#fde8e8;color:#b91c1c}
.unstated{color:#b45309;font-style:italic}
table.data td.v{white-space:nowrap}
"""

#: CSS class of each verdict's badge.
BADGE = {
    "supported": "b-sup",
    "contradicted": "b-con",
    "consistent": "b-nod",
    "insufficient_evidence": "b-ins",
    "not_measured": "b-und",
    "pass": "b-pass",
    "warn": "b-warn",
    "block": "b-block",
    "ok": "b-nod",
    "undefined": "b-und",
    "difference_detected": "b-det",
    "no_difference_detected": "b-nod",
}


def badge(kind: str, text: str | None = None) -> str:
    """A coloured label; the text is escaped."""
    label = kind.replace("_", " ") if text is None else text
    return f'<span class="badge {BADGE.get(kind, "b-und")}">{esc(label)}</span>'


def unstated(what: str = "not stated") -> str:
    """An explicit marker for information the card's author did not give."""
    return f'<span class="unstated">{esc(what)}</span>'


def table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, right: Sequence[int] = ()
) -> str:
    """An HTML table; ``headers`` are escaped here, cells must already be HTML."""
    head = "".join(
        f'<th class="{"r" if i in right else ""}">{esc(h)}</th>' for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{"r" if i in right else ""}">{c}</td>' for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return (
        f'<div class="scroll"><table class="data sortable"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def page(
    *,
    title: str,
    eyebrow: str,
    meta: Sequence[str],
    nav: Sequence[tuple[str, str]],
    body: str,
    footer: str,
) -> str:
    """A complete, self-contained HTML page.

    ``title``, ``eyebrow``, ``meta``, the nav labels and ``footer`` are plain text (escaped
    here); ``body`` is HTML built from escaped parts.
    """
    spans = "".join(f"<span>{esc(m)}</span>" for m in meta)
    links = "".join(f'<a href="#{esc(anchor)}">{esc(label)}</a>' for anchor, label in nav)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="equilens">'
        f"<title>{esc(title)}</title><style>{CSS}{_EXTRA_CSS}</style></head><body>"
        f'<header class="top"><div class="wrap"><div class="eyebrow">{esc(eyebrow)}</div>'
        f'<h1>{esc(title)}</h1><p class="meta">{spans}</p></div></header>'
        f'<nav class="toc"><div class="wrap">{links}</div></nav>'
        f"<main>{body}<footer>{esc(footer)}</footer></main>"
        f'<script id="equilens-report-js">{JS}</script></body></html>\n'
    )


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` atomically."""
    return write_text_atomic(path, text)
