"""Escaping untrusted text (group labels, column names, model output) for Markdown.

One implementation for every Markdown the project writes: report summaries, gate comments,
comparison tables, model cards.
"""

from __future__ import annotations

import re

__all__ = ["md_escape"]

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
        break can come out: ``&``, ``<``, ``>`` become entities, Markdown punctuation is
        backslash-escaped, line breaks and tabs become spaces, other control characters
        become U+FFFD, ``@`` is followed by a zero-width space so it mentions nobody, and
        bare ``www.`` / ``scheme://`` addresses are broken so they do not become links.
    """
    out: list[str] = []
    for ch in str(text):
        if ch in _ENTITIES:
            out.append(_ENTITIES[ch])
        elif ch in "\r\n\t\f\v":
            out.append(" ")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append("\ufffd")
        elif ch == "@":
            out.append("@\u200b")
        elif ch in _MD_PUNCT:
            out.append("\\" + ch)
        else:
            out.append(ch)
    escaped = "".join(out)
    return _SCHEME.sub(r"\1\\:", _WWW.sub(r"\1\\.", escaped))
