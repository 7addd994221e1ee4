"""A trend chart: one metric per group over successive runs, with intervals and alarm marks.

Plain values in, an inline SVG string out (no script, no external resource); every text goes
through :func:`esc`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from equilens.report._svg import PALETTE, _n, _svg_open, esc, nice_domain, truncate

__all__ = ["TrendSeries", "trend_chart"]


@dataclass(frozen=True)
class TrendSeries:
    """One group's points: x positions (run indices), values and interval ends (None: none)."""

    label: str
    xs: list[int]
    values: list[float | None]
    lows: list[float | None]
    highs: list[float | None]


def trend_chart(
    label: str,
    series: Sequence[TrendSeries],
    x_labels: Sequence[str],
    alarms: Sequence[tuple[float, str]] = (),
    *,
    bounded: bool = False,
) -> str:
    """Values per run (x: run index into ``x_labels``) with vertical interval bars.

    ``alarms`` are (x position, description) pairs drawn as red dashed rules with a triangle.
    ``bounded`` keeps the y axis within [0, 1] (proportions).
    """
    count = max(len(x_labels), 1)
    step = 56 if count > 1 else 0
    left, top, bottom = 52, 14, 56
    plot_w = max(step * (count - 1), 40)
    plot_h = 220
    legend_x = left + plot_w + 40
    legend_w = 220
    width = legend_x + legend_w
    height = max(top + plot_h + bottom, 24 + len(series) * 20)
    numbers = [
        v for s in series for group in (s.values, s.lows, s.highs) for v in group if v is not None
    ]
    low, high = nice_domain(numbers or [0.0, 1.0], bounded)
    span = (high - low) or 1.0

    def sx(i: float) -> float:
        return left + 20 + (i * step if count > 1 else plot_w / 2)

    def sy(v: float) -> float:
        return top + (1 - (v - low) / span) * plot_h

    out = [_svg_open(width, height, label, "trend")]
    out.append(
        f'<rect x="{left}" y="{top}" width="{plot_w + 40}" height="{plot_h}" fill="#ffffff" '
        'stroke="#cbd5e1"/>'
    )
    for k in range(5):
        v = low + span * k / 4
        out.append(
            f'<line x1="{left}" x2="{left + plot_w + 40}" y1="{_n(sy(v))}" y2="{_n(sy(v))}" '
            f'stroke="#eef2f7"/><text x="{left - 6}" y="{_n(sy(v) + 3)}" font-size="10" '
            f'fill="#64748b" text-anchor="end">{v:.3g}</text>'
        )
    for i, text in enumerate(x_labels):
        out.append(
            f'<text x="{_n(sx(i))}" y="{top + plot_h + 14}" font-size="10" fill="#64748b" '
            f'text-anchor="middle">{esc(truncate(text, step or 80, 10))}</text>'
        )
    for x, note in alarms:
        xs = _n(sx(x))
        out.append(
            f'<g><title>{esc(note)}</title><line x1="{xs}" x2="{xs}" y1="{top}" '
            f'y2="{top + plot_h}" stroke="#b91c1c" stroke-dasharray="3 3"/>'
            f'<path d="M{xs} {top + plot_h + 20} l-5 9 h10 z" fill="#b91c1c"/></g>'
        )
    for k, s in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        offset = (k - (len(series) - 1) / 2) * 3.0
        parts = [f"<g><title>{esc(s.label)}</title>"]
        pts = [f"{_n(sx(x) + offset)},{_n(sy(v))}" for x, v in zip(s.xs, s.values) if v is not None]
        if len(pts) > 1:
            parts.append(
                f'<polyline points="{" ".join(pts)}" fill="none" stroke="{color}" '
                'stroke-width="1.6"/>'
            )
        for x, value, lo, hi in zip(s.xs, s.values, s.lows, s.highs):
            cx = _n(sx(x) + offset)
            if lo is not None and hi is not None:
                parts.append(
                    f'<line x1="{cx}" x2="{cx}" y1="{_n(sy(lo))}" y2="{_n(sy(hi))}" '
                    f'stroke="{color}" stroke-width="1.2"/>'
                )
            if value is not None:
                parts.append(f'<circle cx="{cx}" cy="{_n(sy(value))}" r="3" fill="{color}"/>')
        parts.append("</g>")
        out.append("".join(parts))
        y = 24 + k * 20
        out.append(
            f'<rect x="{legend_x}" y="{y - 9}" width="12" height="12" fill="{color}"/>'
            f'<text x="{legend_x + 18}" y="{y + 1}" font-size="11" fill="#111827">'
            f"{esc(truncate(s.label, legend_w - 20, 11))}</text>"
        )
    out.append("</svg>")
    return "".join(out)
