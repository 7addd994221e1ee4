"""Inline SVG charts, generated as strings (no JavaScript, no external resources).

Every text that reaches the SVG goes through :func:`esc`. The charts take plain values (no
audit-log types), so they can be tested on their own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from equilens._text import html_escape

#: Categorical colours (Okabe-Ito, colour-blind safe), in the order groups are drawn.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#5b3a1d",
    "#000000",
)

#: Sequential scale of the heatmaps (light to dark blue).
_SEQUENTIAL: tuple[tuple[int, int, int], ...] = (
    (0xEF, 0xF5, 0xFB),
    (0xC6, 0xDB, 0xEF),
    (0x6B, 0xAE, 0xD6),
    (0x21, 0x71, 0xB5),
    (0x08, 0x30, 0x6B),
)

#: Colours of the dots by what the comparison concluded.
DOT_STYLES: dict[str, tuple[str, str]] = {
    # style: (fill, stroke)
    "detected": ("#c2410c", "#c2410c"),
    "no_difference": ("#475569", "#475569"),
    "insufficient": ("#ffffff", "#94a3b8"),
    "reference": ("#111827", "#111827"),
    "plain": ("#2563eb", "#2563eb"),
}

FONT = 12
CHAR_W = 6.4  # average glyph width at 12px in common sans-serif fonts


#: Escape any value for HTML text and attributes (also inside inline SVG): the one HTML
#: escaper of the project, which also takes out control and bidi characters.
esc = html_escape


def _n(x: float) -> str:
    """A coordinate with at most one decimal."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def truncate(text: str, width_px: float, font: float = FONT) -> str:
    """Shorten ``text`` with an ellipsis so it fits about ``width_px`` pixels."""
    limit = max(4, int(width_px / (CHAR_W * font / FONT)))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text_width(text: str, font: float = FONT) -> float:
    """Approximate rendered width of ``text``."""
    return len(text) * CHAR_W * font / FONT


def sequential_color(t: float) -> str:
    """Colour of position ``t`` in [0, 1] on the sequential scale."""
    t = min(1.0, max(0.0, t))
    pos = t * (len(_SEQUENTIAL) - 1)
    i = min(int(pos), len(_SEQUENTIAL) - 2)
    f = pos - i
    a, b = _SEQUENTIAL[i], _SEQUENTIAL[i + 1]
    r, g, bl = (round(a[k] + (b[k] - a[k]) * f) for k in range(3))
    return f"#{r:02x}{g:02x}{bl:02x}"


def ink_for(fill: str) -> str:
    """Black or white text, whichever reads better on ``fill``."""
    r, g, b = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return "#111827" if lum > 0.35 else "#ffffff"


def nice_domain(values: Sequence[float], bounded: bool) -> tuple[float, float]:
    """A rounded axis range covering ``values`` (kept within [0, 1] when ``bounded``)."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return (0.0, 1.0)
    lo, hi = min(finite), max(finite)
    step = 0.1 if hi - lo > 0.05 or not bounded else 0.05
    lo = math.floor(lo / step + 1e-9) * step
    hi = math.ceil(hi / step - 1e-9) * step
    if hi - lo < 0.2:
        pad = (0.2 - (hi - lo)) / 2
        lo, hi = lo - pad, hi + pad
    if bounded:
        if lo < 0:
            lo, hi = 0.0, max(hi - lo, 0.2)
        if hi > 1:
            lo, hi = min(lo - (hi - 1), 0.8), 1.0
        lo, hi = max(0.0, lo), min(1.0, hi)
    return (round(lo, 6), round(hi, 6))


def _svg_open(width: float, height: float, label: str, cls: str) -> str:
    return (
        f'<svg class="chart {cls}" role="img" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" width="{_n(width)}" height="{_n(height)}" '
        f'style="max-width:100%;height:auto" aria-label="{esc(label)}">'
        f"<title>{esc(label)}</title>"
    )


# --------------------------------------------------------------------------------------------
# Dot-and-whisker matrix: groups as rows, metrics as columns


DotStyle = Literal["detected", "no_difference", "insufficient", "reference", "plain"]
RowKind = Literal["overall", "reference", "group", "small"]
CellStatus = Literal["ok", "insufficient", "undefined", "empty"]


@dataclass(frozen=True)
class Dot:
    """One group's value of one metric, with its interval."""

    value: float | None
    low: float | None
    high: float | None
    style: DotStyle
    tooltip: str


@dataclass(frozen=True)
class DotRow:
    """One group: its label, its size and a dot per metric column."""

    label: str
    note: str
    dots: list[Dot]
    kind: RowKind


@dataclass(frozen=True)
class DotColumn:
    """One metric column: header and whether values are proportions (axis in %)."""

    title: str
    proportion: bool
    bounded: bool
    reference_line: float | None = None
    """A value marked by a solid vertical line (e.g. 0 for a shift, 0.5 for a preference
    rate); the axis always covers it."""


def dot_label_width(rows: Sequence[DotRow]) -> float:
    """Width of the label column that fits the rows' labels (within 120 to 300 pixels)."""
    return min(300.0, max(120.0, max((text_width(r.label) for r in rows), default=0) + 12))


def dot_matrix(
    label: str,
    columns: Sequence[DotColumn],
    rows: Sequence[DotRow],
    label_width: float | None = None,
) -> str:
    """Per-group values with interval whiskers, one panel per metric, groups as rows.

    The overall population's value is a dashed vertical line in each panel. Pass the same
    ``label_width`` to charts shown one above the other so that their panels line up.
    """
    row_h, head_h, axis_h, gap, panel_w = 22, 34, 26, 16, 132
    label_w = dot_label_width(rows) if label_width is None else label_width
    note_w = 62.0
    left = label_w + note_w
    width = left + len(columns) * (panel_w + gap)
    height = head_h + len(rows) * row_h + axis_h
    out = [_svg_open(width, height, label, "dots")]
    # zebra rows
    for i, row in enumerate(rows):
        y = float(head_h + i * row_h)
        if row.kind == "overall":
            out.append(
                f'<rect x="0" y="{_n(y)}" width="{_n(width)}" height="{row_h}" fill="#eef2f7"/>'
            )
        elif i % 2 == 1:
            out.append(
                f'<rect x="0" y="{_n(y)}" width="{_n(width)}" height="{row_h}" fill="#f8fafc"/>'
            )
        weight = ' font-weight="600"' if row.kind in ("overall", "reference") else ""
        colour = "#94a3b8" if row.kind == "small" else "#111827"
        shown = truncate(row.label, label_w - 10)
        out.append(
            f'<text x="6" y="{_n(y + row_h / 2 + 4)}" font-size="{FONT}" fill="{colour}"{weight}>'
            f"<title>{esc(row.label)}</title>{esc(shown)}</text>"
        )
        out.append(
            f'<text x="{_n(label_w + note_w - 8)}" y="{_n(y + row_h / 2 + 4)}" font-size="11" '
            f'fill="#64748b" text-anchor="end">{esc(row.note)}</text>'
        )
    out.append(
        f'<text x="{_n(label_w + note_w - 8)}" y="{head_h - 10}" font-size="11" fill="#64748b" '
        f'text-anchor="end">n</text>'
    )
    y_top, y_bot = head_h, head_h + len(rows) * row_h
    for c, col in enumerate(columns):
        x0 = left + c * (panel_w + gap) + gap / 2
        values: list[float] = []
        for row in rows:
            d = row.dots[c]
            values.extend(v for v in (d.value, d.low, d.high) if v is not None)
        if col.reference_line is not None:
            values.append(col.reference_line)
        lo, hi = nice_domain(values, col.bounded)

        def sx(v: float, lo: float = lo, hi: float = hi, x0: float = x0) -> float:
            return x0 + (v - lo) / (hi - lo) * panel_w

        out.append(
            f'<text x="{_n(x0 + panel_w / 2)}" y="{head_h - 12}" font-size="{FONT}" '
            f'font-weight="600" text-anchor="middle" fill="#111827">{esc(col.title)}</text>'
        )
        out.append(
            f'<rect x="{_n(x0)}" y="{y_top}" width="{panel_w}" height="{y_bot - y_top}" '
            f'fill="none" stroke="#cbd5e1"/>'
        )
        for k in range(5):
            t = lo + (hi - lo) * k / 4
            x = sx(t)
            if 0 < k < 4:
                out.append(
                    f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{y_top}" y2="{y_bot}" stroke="#e2e8f0"/>'
                )
            if k % 2 == 0:
                tick = f"{t * 100:.0f}%" if col.proportion else f"{t:.2f}"
                anchor = "start" if k == 0 else "end" if k == 4 else "middle"
                out.append(
                    f'<text x="{_n(x)}" y="{y_bot + 15}" font-size="10" fill="#64748b" '
                    f'text-anchor="{anchor}">{tick}</text>'
                )
        if col.reference_line is not None and lo <= col.reference_line <= hi:
            x = sx(col.reference_line)
            out.append(
                f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{y_top}" y2="{y_bot}" stroke="#334155" '
                f'stroke-width="1.2"/>'
            )
        overall = next((r.dots[c].value for r in rows if r.kind == "overall"), None)
        if overall is not None and lo <= overall <= hi:
            x = sx(overall)
            out.append(
                f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{y_top}" y2="{y_bot}" stroke="#64748b" '
                f'stroke-dasharray="3 3"/>'
            )
        for i, row in enumerate(rows):
            d = row.dots[c]
            y = head_h + i * row_h + row_h / 2.0
            if d.value is None:
                out.append(
                    f'<text x="{_n(x0 + panel_w / 2)}" y="{_n(y + 4)}" font-size="10" '
                    f'fill="#94a3b8" text-anchor="middle"><title>{esc(d.tooltip)}</title>'
                    f"undefined</text>"
                )
                continue
            fill, stroke = DOT_STYLES[d.style]
            if d.low is not None and d.high is not None:
                xa, xb = sx(max(lo, d.low)), sx(min(hi, d.high))
                dash = ' stroke-dasharray="2 2"' if d.style == "insufficient" else ""
                out.append(
                    f'<path d="M{_n(xa)} {_n(y)}H{_n(xb)}M{_n(xa)} {_n(y - 4)}V{_n(y + 4)}'
                    f'M{_n(xb)} {_n(y - 4)}V{_n(y + 4)}" stroke="{stroke}" '
                    f'stroke-width="1.5"{dash}/>'
                )
            x = sx(min(hi, max(lo, d.value)))
            tip = f"<title>{esc(d.tooltip)}</title>"
            if d.style == "reference":
                out.append(
                    f'<path d="M{_n(x)} {_n(y - 6)}l6 6-6 6-6-6z" fill="{fill}">{tip}</path>'
                )
            else:
                out.append(
                    f'<circle cx="{_n(x)}" cy="{_n(y)}" r="4.5" fill="{fill}" '
                    f'stroke="{stroke}" stroke-width="1.5">{tip}</circle>'
                )
    out.append("</svg>")
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Heatmap of a two-feature intersection


@dataclass(frozen=True)
class HeatCell:
    """One cell: a group's value, its size, and whether it can be relied on."""

    value: float | None
    n: int | None
    text: str
    status: CellStatus
    reference: bool
    tooltip: str


def heatmap(
    label: str,
    pattern_id: str,
    row_title: str,
    col_title: str,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    cells: dict[tuple[int, int], HeatCell],
    domain: tuple[float, float],
    legend: tuple[str, str],
) -> str:
    """A feature-A x feature-B grid coloured by a metric, each cell annotated with value and n.

    Cells with insufficient evidence are hatched (explain that next to the chart); undefined or
    empty cells are grey.
    """
    widest = max((text_width(t, 11) for t in col_labels), default=0.0)
    cell_w = min(150.0, max(84.0, widest + 14))
    cell_h = 42
    label_w = min(200.0, max(70.0, max((text_width(t, 11) for t in row_labels), default=0) + 14))
    top = 44
    left = label_w
    lw = min(180.0, len(col_labels) * cell_w)
    width = left + len(col_labels) * cell_w + 8
    height = top + len(row_labels) * cell_h + 46
    lo, hi = domain
    out = [_svg_open(width, height, label, "heat")]
    out.append(
        f'<defs><pattern id="{esc(pattern_id)}" width="6" height="6" '
        f'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="#f1f5f9"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="#94a3b8" stroke-width="2"/></pattern></defs>'
    )
    out.append(
        f'<text x="{_n(left + len(col_labels) * cell_w / 2)}" y="12" font-size="11" '
        f'fill="#64748b" text-anchor="middle">{esc(truncate(col_title, width - left))}</text>'
    )
    out.append(
        f'<text x="4" y="{top - 8}" font-size="11" fill="#64748b">'
        f"{esc(truncate(row_title, label_w - 6))} ↓</text>"
    )
    for j, cl in enumerate(col_labels):
        out.append(
            f'<text x="{_n(left + j * cell_w + cell_w / 2)}" y="{top - 8}" font-size="11" '
            f'text-anchor="middle" fill="#111827"><title>{esc(cl)}</title>'
            f"{esc(truncate(cl, cell_w - 4, 11))}</text>"
        )
    for i, rl in enumerate(row_labels):
        out.append(
            f'<text x="{_n(label_w - 8)}" y="{_n(top + i * cell_h + cell_h / 2 + 4)}" '
            f'font-size="11" text-anchor="end" fill="#111827"><title>{esc(rl)}</title>'
            f"{esc(truncate(rl, label_w - 12, 11))}</text>"
        )
        for j in range(len(col_labels)):
            cell = cells.get((i, j))
            x, y = left + j * cell_w, top + i * cell_h
            if cell is None:
                cell = HeatCell(None, 0, "", "empty", False, "no rows")
            if cell.status in ("ok", "insufficient") and cell.value is not None:
                t = 0.5 if hi <= lo else min(1.0, max(0.0, (cell.value - lo) / (hi - lo)))
                fill = sequential_color(t)
            else:
                fill = "#f1f5f9"
            ink = ink_for(fill)
            parts = [f'<g class="cell"><title>{esc(cell.tooltip)}</title>']
            parts.append(
                f'<rect x="{_n(x + 1)}" y="{_n(y + 1)}" width="{cell_w - 2}" '
                f'height="{cell_h - 2}" fill="{fill}"/>'
            )
            if cell.status == "insufficient":
                parts.append(
                    f'<rect x="{_n(x + 1)}" y="{_n(y + 1)}" width="{cell_w - 2}" '
                    f'height="{cell_h - 2}" fill="url(#{esc(pattern_id)})" opacity="0.85"/>'
                )
                ink = "#334155"
            if cell.reference:
                parts.append(
                    f'<rect x="{_n(x + 2)}" y="{_n(y + 2)}" width="{cell_w - 4}" '
                    f'height="{cell_h - 4}" fill="none" stroke="#111827" stroke-width="2.5"/>'
                )
            main = cell.text if cell.status != "empty" else "no rows"
            style = ' font-style="italic"' if cell.status != "ok" else ""
            parts.append(
                f'<text x="{_n(x + cell_w / 2)}" y="{_n(y + 19)}" font-size="13" '
                f'font-weight="600" text-anchor="middle" fill="{ink}"{style}>{esc(main)}</text>'
            )
            if cell.n is not None and cell.status != "empty":
                parts.append(
                    f'<text x="{_n(x + cell_w / 2)}" y="{_n(y + 33)}" font-size="10" '
                    f'text-anchor="middle" fill="{ink}">n={cell.n:,}</text>'
                )
            parts.append("</g>")
            out.append("".join(parts))
    # legend
    ly = top + len(row_labels) * cell_h + 14
    steps = 24
    for k in range(steps):
        out.append(
            f'<rect x="{_n(left + k * lw / steps)}" y="{_n(ly)}" width="{_n(lw / steps + 0.5)}" '
            f'height="8" fill="{sequential_color(k / (steps - 1))}"/>'
        )
    out.append(
        f'<text x="{_n(left)}" y="{_n(ly + 21)}" font-size="10" fill="#64748b">'
        f"{esc(legend[0])}</text>"
        f'<text x="{_n(left + lw)}" y="{_n(ly + 21)}" font-size="10" fill="#64748b" '
        f'text-anchor="end">{esc(legend[1])}</text>'
    )
    out.append("</svg>")
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Line charts: ROC and calibration curves


@dataclass(frozen=True)
class Series:
    """One group's curve."""

    label: str
    note: str
    xs: list[float]
    ys: list[float]
    color: str
    dashed: bool
    sizes: list[float] | None = None


def line_chart(
    label: str,
    series: Sequence[Series],
    x_title: str,
    y_title: str,
    diagonal_note: str,
) -> str:
    """Curves of several groups on [0, 1] x [0, 1], with the diagonal and a legend."""
    plot = 250
    left, top, bottom = 46, 12, 40
    legend_x = left + plot + 20
    legend_w = 208
    width = legend_x + legend_w
    height = max(top + plot + bottom, 20 + len(series) * 34)
    out = [_svg_open(width, height, label, "lines")]

    def sx(v: float) -> float:
        return left + v * plot

    def sy(v: float) -> float:
        return top + (1 - v) * plot

    out.append(
        f'<rect x="{left}" y="{top}" width="{plot}" height="{plot}" fill="#ffffff" '
        f'stroke="#cbd5e1"/>'
    )
    for k in range(1, 4):
        t = k / 4
        out.append(
            f'<line x1="{_n(sx(t))}" x2="{_n(sx(t))}" y1="{top}" y2="{top + plot}" '
            f'stroke="#eef2f7"/><line x1="{left}" x2="{left + plot}" y1="{_n(sy(t))}" '
            f'y2="{_n(sy(t))}" stroke="#eef2f7"/>'
        )
    for k in range(5):
        t = k / 4
        out.append(
            f'<text x="{_n(sx(t))}" y="{top + plot + 14}" font-size="10" fill="#64748b" '
            f'text-anchor="middle">{t:g}</text>'
            f'<text x="{left - 6}" y="{_n(sy(t) + 3)}" font-size="10" fill="#64748b" '
            f'text-anchor="end">{t:g}</text>'
        )
    out.append(
        f'<line x1="{_n(sx(0))}" y1="{_n(sy(0))}" x2="{_n(sx(1))}" y2="{_n(sy(1))}" '
        f'stroke="#94a3b8" stroke-dasharray="4 4"><title>{esc(diagonal_note)}</title></line>'
    )
    out.append(
        f'<text x="{_n(left + plot / 2)}" y="{top + plot + 32}" font-size="11" fill="#334155" '
        f'text-anchor="middle">{esc(x_title)}</text>'
        f'<text x="12" y="{_n(top + plot / 2)}" font-size="11" fill="#334155" '
        f'text-anchor="middle" transform="rotate(-90 12 {_n(top + plot / 2)})">'
        f"{esc(y_title)}</text>"
    )
    for s in series:
        if not s.xs:
            continue
        pts = " ".join(f"{_n(sx(x))},{_n(sy(y))}" for x, y in zip(s.xs, s.ys))
        dash = ' stroke-dasharray="5 4"' if s.dashed else ""
        width_px = 1.4 if s.dashed else 2.0
        parts = [f"<g><title>{esc(s.label)}: {esc(s.note)}</title>"]
        parts.append(
            f'<polyline points="{pts}" fill="none" stroke="{s.color}" '
            f'stroke-width="{width_px}"{dash} stroke-linejoin="round"/>'
        )
        if len(s.xs) <= 25:
            sizes = s.sizes or [2.6] * len(s.xs)
            for x, y, r in zip(s.xs, s.ys, sizes):
                parts.append(
                    f'<circle cx="{_n(sx(x))}" cy="{_n(sy(y))}" r="{_n(r)}" fill="{s.color}" '
                    f'fill-opacity="0.75"/>'
                )
        parts.append("</g>")
        out.append("".join(parts))
    for i, s in enumerate(series):
        y = 20 + i * 34
        dash = ' stroke-dasharray="5 4"' if s.dashed else ""
        out.append(
            f'<line x1="{legend_x}" x2="{legend_x + 22}" y1="{y - 4}" y2="{y - 4}" '
            f'stroke="{s.color}" stroke-width="2.4"{dash}/>'
            f'<text x="{legend_x + 28}" y="{y}" font-size="{FONT}" fill="#111827">'
            f"<title>{esc(s.label)}</title>{esc(truncate(s.label, legend_w - 30))}</text>"
            f'<text x="{legend_x + 28}" y="{y + 14}" font-size="10" fill="#64748b">'
            f"{esc(truncate(s.note, legend_w - 30, 10))}</text>"
        )
    out.append("</svg>")
    return "".join(out)


_TILES = (
    ("det", "difference_detected", "differences detected"),
    ("nod", "no_difference_detected", "no difference detected"),
    ("ins", "insufficient_evidence", "insufficient evidence"),
    ("und", "undefined", "undefined"),
)


def conclusion_tiles(counts: Mapping[str, int]) -> str:
    """The row of tiles counting comparisons by conclusion (audit and probe reports)."""
    return "".join(
        [
            '<div class="tiles">',
            *(
                f'<div class="tile {cls}"><b>{counts.get(key, 0):,}</b><span>{text}</span></div>'
                for cls, key, text in _TILES
            ),
            "</div>",
        ]
    )
