"""Untrusted text (group labels, column names, model output) made safe to show.

One sanitizer, :func:`clean_text`, takes out what can hide or reorder text or drive a
terminal: control characters (ESC, NUL, BEL, C1 codes), bidirectional overrides and isolates
(U+202A-U+202E, U+2066-U+2069) and other invisible format characters. Every renderer calls
it through one escaper per medium:

* :func:`md_escape` for every Markdown the project writes (report summaries, gate comments,
  comparison tables, model cards);
* :func:`html_escape` for every HTML and SVG page;
* :func:`plain` for the terminal: a rich ``Text`` that prints literally (no markup, no
  control codes).
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich is imported only when something is printed
    from rich.text import Text

__all__ = ["clean_text", "html_escape", "md_escape", "plain"]

#: Shown in place of a character that was taken out.
REPLACEMENT = "\ufffd"
_SPACES = frozenset("\t\n\r\f\v\x1c\x1d\x1e\x85\u2028\u2029")
#: Zero-width (non-)joiner: kept between two non-ASCII characters (Persian, Indic scripts,
#: emoji sequences), taken out elsewhere (where they only make two labels look alike).
_JOINERS = frozenset("\u200c\u200d")


def _hidden(ch: str) -> bool:
    """Control (Cc), format (Cf: bidi controls, zero-width, tags) or lone surrogate (Cs)."""
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs")


def clean_text(text: object, *, keep_newlines: bool = False) -> str:
    """``text`` on one line with nothing hidden: what is shown is what is there.

    Parameters
    ----------
    text : object
        Any value; it is converted with ``str``.
    keep_newlines : bool
        Keep ``\\n`` (for already laid-out terminal lines); default False.

    Returns
    -------
    str
        Line breaks and tabs become spaces; every other control character (ESC, NUL, DEL,
        C1 codes), bidirectional override, embedding, isolate or mark (U+202A-U+202E,
        U+2066-U+2069, U+200E, U+200F, U+061C), zero-width space, word joiner, byte-order mark,
        tag character and lone surrogate becomes U+FFFD. Zero-width joiners (U+200C, U+200D)
        are kept only between two non-ASCII characters, where scripts and emoji use them.
    """
    value = str(text)
    if value.isascii() and value.isprintable():
        return value
    out: list[str] = []
    last = len(value) - 1
    for i, ch in enumerate(value):
        if keep_newlines and ch == "\n":
            out.append(ch)
        elif ch in _SPACES:
            out.append(" ")
        elif ch in _JOINERS:
            keep = 0 < i < last and not value[i - 1].isascii() and not value[i + 1].isascii()
            keep = keep and not _hidden(value[i - 1]) and not _hidden(value[i + 1])
            out.append(ch if keep else REPLACEMENT)
        elif _hidden(ch):
            out.append(REPLACEMENT)
        else:
            out.append(ch)
    return "".join(out)


def html_escape(text: object) -> str:
    """``text`` cleaned (:func:`clean_text`) and escaped for HTML text and quoted attributes."""
    return html.escape(clean_text(text), quote=True)


def plain(text: object, style: str = "") -> Text:
    """``text`` cleaned (:func:`clean_text`) as a rich ``Text``: printed literally, so labels
    such as ``[red]x[/red]`` or ``[link=...]`` are not markup."""
    from rich.text import Text

    return Text(clean_text(text), style=style)


#: Characters that start Markdown syntax inline (emphasis, code, links, images, tables,
#: strikethrough, math, headings, issue references); each is backslash-escaped.
_MD_PUNCT = frozenset("\\`*_[]!|~$#")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
#: Bare URLs that GitHub turns into links without any markup (extended autolinks).
_WWW = re.compile(r"(?i)\b(www)\.")
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):(?=//)")


def md_escape(text: object) -> str:
    """Make ``text`` render literally, on one line, in GitHub-flavoured Markdown.

    Parameters
    ----------
    text : object
        Any value; it is converted with ``str``.

    Returns
    -------
    str
        Inline text from which no HTML, link, image, mention, code span, emphasis or table
        break can come out: the text is cleaned (:func:`clean_text`: line breaks become
        spaces, control and bidi characters U+FFFD), ``&``, ``<``, ``>`` become entities,
        Markdown punctuation is backslash-escaped, ``@`` is followed by a zero-width space so
        it mentions nobody, and bare ``www.`` / ``scheme://`` addresses are broken so they do
        not become links.
    """
    out: list[str] = []
    for ch in clean_text(text):
        if ch in _ENTITIES:
            out.append(_ENTITIES[ch])
        elif ch == "@":
            out.append("@\u200b")
        elif ch in _MD_PUNCT:
            out.append("\\" + ch)
        else:
            out.append(ch)
    escaped = "".join(out)
    return _SCHEME.sub(r"\1\\:", _WWW.sub(r"\1\\.", escaped))
