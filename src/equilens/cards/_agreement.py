"""The model card's "Rater agreement" section, from ``agreement.json`` (``equilens agreement``).

One row per criterion, slice and coefficient with its 95% interval (or why there is none),
then the tests of equal agreement across each sensitive column's groups. Every string from the
document is escaped: :func:`md_escape` in Markdown, :func:`esc` in HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from equilens._pvalue import fmt_p
from equilens._text import md_escape
from equilens.cards._page import table
from equilens.report import esc

_HEADERS = ["criterion", "slice", "coefficient", "value", "95% CI", "items", "raters", "level"]
_INTRO = (
    "Agreement between human raters per criterion and slice (equilens agreement). Values near "
    "1 mean raters agree; Krippendorff suggests alpha of at least 0.8, and 0.667 for tentative "
    "conclusions. Intervals are 95%: item bootstrap (BCa) for alpha and Fleiss' kappa, normal "
    "for Cohen's kappa, F-based for the ICC."
)


def _num(value: Any) -> str:
    return "n/a" if not isinstance(value, int | float) else f"{float(value):.3f}"


def _cells(row: Mapping[str, Any]) -> list[str]:
    lo, hi = row.get("ci_low"), row.get("ci_high")
    if isinstance(lo, int | float) and isinstance(hi, int | float):
        ci = f"[{_num(lo)}, {_num(hi)}]"
    else:
        ci = str(row.get("note") or "no interval")
    value = _num(row.get("value")) if row.get("value") is not None else "undefined"
    return [
        str(row.get("criterion", "")),
        str(row.get("slice", "")),
        str(row.get("form") or row.get("metric", "")),
        value,
        ci,
        str(row.get("n_items", "")),
        str(row.get("n_raters", "")),
        str(row.get("level", "")),
    ]


def _tests(doc: Mapping[str, Any]) -> list[str]:
    out = []
    for t in doc.get("slice_tests") or []:
        p = t.get("p_holm", t.get("p_value"))
        shown = fmt_p(p) if isinstance(p, int | float) else "n/a"
        out.append(
            f"{t.get('criterion')}: equal {t.get('metric')} across {t.get('feature')} groups "
            f"({', '.join(str(g) for g in t.get('groups') or [])}): p = {shown}"
        )
    return out


def agreement_markdown(doc: Mapping[str, Any] | None) -> list[str]:
    """The section as Markdown lines (empty when no document was given)."""
    if doc is None:
        return []
    out = ["## Rater agreement", "", md_escape(_INTRO), ""]
    rows = [_cells(r) for r in doc.get("rows") or []]
    if not rows:
        return [*out, "The agreement document has no rows.", ""]
    out += ["| " + " | ".join(_HEADERS) + " |", "|" + "---|" * len(_HEADERS)]
    out += ["| " + " | ".join(md_escape(c) for c in cells) + " |" for cells in rows]
    tests = _tests(doc)
    if tests:
        out += ["", "Tests of equal agreement across groups (Holm-adjusted p where given):", ""]
        out += [f"- {md_escape(t)}" for t in tests]
    return [*out, ""]


def agreement_html(doc: Mapping[str, Any] | None) -> str:
    """The section as HTML (empty when no document was given)."""
    if doc is None:
        return ""
    rows = [[esc(c) for c in _cells(r)] for r in doc.get("rows") or []]
    body = table(_HEADERS, rows, right=(3, 5, 6)) if rows else "<p>No rows.</p>"
    tests = "".join(f"<li>{esc(t)}</li>" for t in _tests(doc))
    return (
        f'<section id="agreement"><h2>Rater agreement</h2><p class="note">{esc(_INTRO)}</p>'
        + body
        + (f'<ul class="evidence">{tests}</ul>' if tests else "")
        + "</section>"
    )
