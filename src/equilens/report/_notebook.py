"""Jupyter rendering: the report sections as a scoped HTML fragment, and the SVG figures.

A notebook shows many outputs in one page, so a report's CSS must not restyle the notebook:
:func:`scoped_html` takes any self-contained page equilens renders (audit report, probe
report, run comparison) and returns its body inside ``<div class="equilens-nb">`` with every
CSS selector prefixed by that class (``:root``, ``html`` and ``body`` become the wrapper;
``@page`` rules, which cannot be scoped, are dropped). Scripts are left out: JupyterLab does
not run them in outputs, and the report's script queries the whole document.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from equilens.report._content import (
    ReportContent,
    family_label,
    is_bounded,
    is_share,
    metric_label,
    metric_short,
    slice_values,
)
from equilens.report._log_labels import with_log_labels
from equilens.report._svg import DotColumn, dot_matrix

if TYPE_CHECKING:
    from equilens.results import AuditLog

__all__ = [
    "SCOPE",
    "Figure",
    "audit_figures",
    "decision_html",
    "notebook_html",
    "scope_css",
    "scoped_html",
]

SCOPE = "equilens-nb"
_ROOTS = re.compile(r"^(?::root|html|body)(?=$|[\s.:#\[>+~])")
_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S | re.I)
_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S | re.I)
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S | re.I)
_META = re.compile(r"<meta\b[^>]*>", re.I)


def _scope_selector(selector: str, scope: str) -> str:
    sel = selector.strip()
    if not sel:
        return sel
    rooted = _ROOTS.sub(scope, sel)
    if rooted != sel:
        return rooted
    return f"{scope} {sel}"


def _blocks(css: str) -> list[tuple[str, str]]:
    """Top-level ``(prelude, body)`` pairs of a stylesheet (nested braces kept in the body)."""
    out: list[tuple[str, str]] = []
    depth, start, prelude = 0, 0, ""
    for i, ch in enumerate(css):
        if ch == "{":
            if depth == 0:
                prelude, start = css[start:i], i + 1
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                out.append((prelude.strip(), css[start:i]))
                start = i + 1
    return out


def scope_css(css: str, scope: str = "." + SCOPE) -> str:
    """``css`` with every selector under ``scope`` (``@media`` blocks scoped inside; ``@page``
    and other at-rules without selectors dropped)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    out: list[str] = []
    for prelude, body in _blocks(css):
        if prelude.startswith("@media") or prelude.startswith("@supports"):
            out.append(f"{prelude}{{{scope_css(body, scope)}}}")
        elif prelude.startswith("@"):
            continue  # @page, @font-face, @keyframes: global by nature
        else:
            selectors = ",".join(_scope_selector(s, scope) for s in prelude.split(","))
            out.append(f"{selectors}{{{body.strip()}}}")
    return "\n".join(out)


def scoped_html(page: str, scope: str = SCOPE) -> str:
    """The body of a self-contained page in ``<div class="{scope}">`` with its CSS scoped."""
    css = "\n".join(_STYLE.findall(page))
    match = _BODY.search(page)
    body = match.group(1) if match else _STYLE.sub("", page)
    body = _SCRIPT.sub("", _META.sub("", body))
    return (
        f'<div class="{scope}"><style>{scope_css(css, "." + scope)}</style>'
        f'<div class="{scope}-body">{body}</div></div>'
    )


def notebook_html(log: AuditLog) -> str:
    """An audit or probe log's report sections for Jupyter (``AuditLog._repr_html_``)."""
    from equilens.report._html import render_html

    return scoped_html(render_html(log))


def decision_html(decision: Any) -> str:
    """A gate decision for Jupyter: the verdict, its sentence and one row per rule outcome."""
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(o.rule_id)}</td><td>{esc(o.status)}</td><td>{esc(o.severity)}</td>"
        f"<td>{esc(o.name)}</td><td>{esc(o.reason)}</td></tr>"
        for o in decision.rule_outcomes
    )
    colour = {"pass": "#166534", "warn": "#92400e", "block": "#b91c1c"}.get(
        str(decision.verdict), "#334155"
    )
    page = (
        "<html><head><style>"
        "body{font:14px/1.5 system-ui,sans-serif;color:#111827}"
        ".verdict{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;"
        "font-weight:600}"
        "table{border-collapse:collapse;font-size:13px}"
        "th,td{border-bottom:1px solid #e2e8f0;padding:3px 8px;text-align:left;"
        "vertical-align:top}"
        "</style></head><body>"
        f"<h3>equilens gate: {esc(decision.policy_name)} "
        f'<span class="verdict" style="background:{colour}">{esc(str(decision.verdict))}'
        f"</span></h3><p>{esc(decision.summary)}</p>"
        "<table><thead><tr><th>rule</th><th>status</th><th>severity</th><th>row</th>"
        f"<th>reason</th></tr></thead><tbody>{rows}</tbody></table></body></html>"
    )
    return scoped_html(page)


@dataclass(frozen=True)
class Figure:
    """One SVG figure; Jupyter displays it, ``str(fig)`` is the SVG markup."""

    title: str
    svg: str

    def _repr_svg_(self) -> str:
        return self.svg

    def __str__(self) -> str:
        return self.svg

    def save(self, path: str) -> None:
        """Write the SVG to ``path``."""
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(self.svg)


@with_log_labels
def audit_figures(log: AuditLog, features: list[str] | None = None) -> list[Figure]:
    """The report's dot charts (each key metric by group, with intervals, coloured by the
    comparison with the reference): one per family, or only the family of ``features``."""
    from equilens.report._html import dot_rows

    c = ReportContent.from_log(log)
    metrics = c.key_metrics
    if not metrics:
        return []
    columns = [DotColumn(metric_short(m), is_share(m), is_bounded(m)) for m in metrics]
    out = []
    for fam in log.families:
        if features is not None and fam.features != features:
            continue
        label = f"{metric_label(metrics[0])} and other key metrics by {family_label(fam.features)}"
        title = f"{family_label(fam.features)} (reference {slice_values(fam.reference)})"
        out.append(Figure(title, dot_matrix(label, columns, dot_rows(c, fam, metrics))))
    return out
