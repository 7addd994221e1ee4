"""The Markdown lines of a media audit (speech, images): notes, skips, secondary measures."""

from __future__ import annotations

from equilens._text import md_escape
from equilens.results import AuditLog

__all__ = ["media_lines"]


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def media_lines(log: AuditLog, max_rows: int = 12) -> list[str]:
    """Notes, the skipped files by reason and the secondary measures ([] without media)."""
    m = log.media
    if m is None:
        return []
    what = "utterances" if m.kind == "speech" else "images"
    lines = [f"### {'Speech' if m.kind == 'speech' else 'Images'}", ""]
    lines += [f"> **Note:** {md_escape(n)}" for n in m.notes]
    if m.notes:
        lines.append("")
    reasons = "; ".join(f"{md_escape(k)}: {v}" for k, v in m.skipped_by_reason.items())
    lines += [
        f"{m.scored} of {m.inputs} {what} scored"
        + (f"; skipped: {reasons}." if reasons else "; none skipped."),
        "",
    ]
    if m.summaries:
        lines += ["| measure | group | value | 95% CI | p (Holm) |", "|---|---|---:|---|---:|"]
        for s in m.summaries[:max_rows]:
            group = ", ".join(f"{k}={v}" for k, v in s.slice.items()) or "overall"
            p = "" if s.p_value_adjusted is None else f"{s.p_value_adjusted:.3g}"
            lines.append(
                f"| {md_escape(s.measure.replace('_', ' '))} | {md_escape(group)} | "
                f"{_num(s.value)} | [{_num(s.ci_low)}, {_num(s.ci_high)}] | {p} |"
            )
        lines.append("")
    return lines
