"""The page of discovered slices (``slices.html``): settings, a forest plot and the table.

Renders the ``slices.json`` document of :func:`equilens.discovery.discover_slices` alone.
Every value from the data (feature names, level names, metric names) is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from equilens.report._html import CSS
from equilens.report._svg import FONT, _n, _svg_open, esc, nice_domain, text_width, truncate

__all__ = ["render_slices_html", "slice_text"]

#: Slices drawn in the plot (the table lists them all).
PLOT_ROWS = 30
_STATUS_TEXT = {
    "discovered": "discovered",
    "explained": "explained by the slices it overlaps or contains",
    "subsumed": "not worse than its parent's other rows",
    "weak": "significant, not distinct enough to list",
}


def slice_text(mapping: Mapping[str, Any]) -> str:
    """``age = [25, 37) & sex = F``."""
    return " & ".join(f"{k} = {v}" for k, v in mapping.items())


def _fmt(x: Any, digits: int = 3) -> str:
    if not isinstance(x, int | float) or not math.isfinite(x):
        return "n/a"
    return f"{x:.{digits}g}" if abs(x) < 1e-3 and x != 0 else f"{x:.{digits}f}"


def forest_plot(rows: Sequence[Mapping[str, Any]], title: str) -> str:
    """Difference to the rest with its interval, one row per slice (SVG)."""
    labels = [slice_text(r["slice"]) for r in rows]
    label_w = min(480.0, max(140.0, max((text_width(t) for t in labels), default=0) + 12))
    plot_w, row_h, top = 320.0, 22.0, 28.0
    values = [
        v for r in rows for v in (r["ci_low"], r["ci_high"], r["difference"]) if v is not None
    ]
    lo, hi = nice_domain([*values, 0.0], bounded=False)
    width, height = label_w + plot_w + 20, top + row_h * len(rows) + 24

    def sx(v: float) -> float:
        return label_w + (v - lo) / (hi - lo) * plot_w if hi > lo else label_w

    parts = [_svg_open(width, height, title, "slices")]
    zero = sx(0.0)
    parts.append(
        f'<line x1="{_n(zero)}" y1="{_n(top - 6)}" x2="{_n(zero)}" y2="{_n(height - 20)}" '
        'stroke="#111827" stroke-width="1"/>'
    )
    for tick in (lo, 0.0, hi):
        parts.append(
            f'<text x="{_n(sx(tick))}" y="{_n(top - 10)}" font-size="{FONT - 1}" '
            f'text-anchor="middle" fill="#64748b">{esc(_fmt(tick))}</text>'
        )
    for i, (row, label) in enumerate(zip(rows, labels, strict=True)):
        y = top + row_h * i + row_h / 2
        parts.append(
            f'<text x="4" y="{_n(y + 4)}" font-size="{FONT}">'
            f"{esc(truncate(label, label_w - 8))}</text>"
        )
        if row["ci_low"] is not None and row["ci_high"] is not None:
            parts.append(
                f'<line x1="{_n(sx(row["ci_low"]))}" y1="{_n(y)}" x2="{_n(sx(row["ci_high"]))}" '
                f'y2="{_n(y)}" stroke="#c2410c" stroke-width="2"/>'
            )
        if row["difference"] is not None:
            tip = (
                f"{label}: {_fmt(row['value'])} vs {_fmt(row['complement_value'])} "
                f"(difference {_fmt(row['difference'])}, q = {_fmt(row['q_value'])})"
            )
            parts.append(
                f'<circle cx="{_n(sx(row["difference"]))}" cy="{_n(y)}" r="4" fill="#c2410c">'
                f"<title>{esc(tip)}</title></circle>"
            )
    parts.append(
        f'<text x="{_n(label_w + plot_w / 2)}" y="{_n(height - 4)}" font-size="{FONT - 1}" '
        'text-anchor="middle" fill="#64748b">difference to the rest of the data</text></svg>'
    )
    return "".join(parts)


def _table(rows: Sequence[Mapping[str, Any]], confirm: bool) -> str:
    head = ["Slice", "n", "Value", "Rest", "Difference [interval]", "p", "q", "Status"]
    if confirm:
        head.append("Confirmed (held-out q)")
    out = ["<table><thead><tr>", *(f"<th>{esc(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for r in rows:
        cells = [
            slice_text(r["slice"]),
            f"{r['n']:,}",
            _fmt(r["value"]),
            _fmt(r["complement_value"]),
            f"{_fmt(r['difference'])} [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]",
            _fmt(r["p_value"]),
            _fmt(r["q_value"]),
            _STATUS_TEXT.get(r["status"], r["status"]),
        ]
        if confirm:
            cells.append(
                ""
                if "confirmed" not in r
                else f"{'yes' if r['confirmed'] else 'no'} ({_fmt(r['confirm_q_value'])})"
            )
        out.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def slices_section(doc: Mapping[str, Any]) -> str:
    """The HTML section (no page around it) for a ``slices.json`` document."""
    rows = doc.get("slices") or []
    found = [r for r in rows if r["status"] == "discovered"]
    metric = str(doc.get("metric", ""))
    features = ", ".join(str(f["name"]) for f in doc.get("features", []))
    intro = (
        f"Searched every conjunction of up to {doc['max_order']} of the features {features} "
        f"with at least {doc['min_support']:,} rows on each side for slices whose {metric} is "
        f"{'higher' if doc.get('worse') == 'higher' else 'lower'} than the rest of the data's: "
        f"{doc['n_hypotheses']:,} slices, each tested against the rest (one-sided), the false "
        f"discovery rate held at {doc['fdr']:g} over all of them ({doc['method']}). "
        f"{doc['n_significant']:,} were significant; after removing overlaps, "
        f"{doc['n_discovered']:,} discovered. Intervals are at the "
        f"{100 * doc['interval_level']:.2f}% level (false coverage rate "
        f"{doc['fdr']:g} over the selected slices)."
    )
    parts = [
        f'<section id="slices"><h2>Discovered slices: {esc(metric)}</h2>',
        f"<p>{esc(intro)}</p>",
    ]
    confirm = doc.get("confirm")
    if confirm:
        rate = confirm.get("confirmation_rate")
        parts.append(
            "<p>"
            + esc(
                f"Held out {confirm['held_out_units']:,} units ({confirm['split']:g}): "
                f"{confirm['n_confirmed']} of {confirm['n_tested']} discovered slices confirmed"
                + ("" if rate is None else f" ({100 * rate:.0f}%).")
            )
            + "</p>"
        )
    if found:
        parts.append(forest_plot(found[:PLOT_ROWS], f"Discovered slices: {metric}"))
    else:
        parts.append("<p>No slice is worse than the rest by more than noise at this level.</p>")
    if found:
        parts.append(_table(found, bool(confirm)))
    others = [r for r in rows if r["status"] != "discovered"]
    if others:
        parts.append(
            f"<details><summary>{len(others):,} other significant slices (explained by the "
            "slices they overlap, no worse than a parent, or weak)</summary>"
            + _table(others, False)
            + "</details>"
        )
    parts.append("</section>")
    return "".join(parts)


def render_slices_html(doc: Mapping[str, Any]) -> str:
    """A self-contained HTML page of a ``slices.json`` document."""
    title = f"equilens: discovered slices ({doc.get('metric', '')})"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>"
        f"{slices_section(doc)}</main></body></html>\n"
    )
