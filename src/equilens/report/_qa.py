"""The QA section of a report and its console summary (``equilens safety qa``).

Reads ``spec_resolved["qa"]`` and the ``accuracy_score`` rows: accuracy per slice with its
interval beside the slice's chance level, and the exact test of accuracy above chance. Every
text from the log goes through ``esc``.
"""

from __future__ import annotations

from typing import Any

from equilens._pvalue import fmt_p
from equilens.report._svg import esc
from equilens.results import AuditLog

__all__ = ["qa_lines", "qa_section"]


def _rows(log: AuditLog) -> list[tuple[str, str, str, str]]:
    qa: dict[str, Any] = log.spec_resolved.get("qa") or {}
    acc = {tuple(sorted(r.slice.items())): r for r in log.results if r.metric == "accuracy_score"}
    out = []
    for c in qa.get("chance", []):
        key = tuple(sorted(c["slice"].items()))
        r = acc.get(key)
        label = ", ".join(f"{k}={v}" for k, v in c["slice"].items()) or "overall"
        if r is None or r.value is None:
            value = "–"
        elif r.ci_low is None or r.ci_high is None:
            value = f"{100 * r.value:.1f}% (n={r.n}, no interval)"
        else:
            value = f"{100 * r.value:.1f}% [{100 * r.ci_low:.1f}, {100 * r.ci_high:.1f}] (n={r.n})"
        chance = "–" if c.get("chance") is None else f"{100 * c['chance']:.1f}%"
        out.append((label, value, chance, fmt_p(c.get("p_above_chance"))))
    return out


def qa_section(log: AuditLog) -> str:
    """The HTML section (empty when the log is not a QA run)."""
    qa = log.spec_resolved.get("qa")
    if not qa:
        return ""
    head = (
        '<section id="qa"><h2>Factual accuracy by slice</h2>'
        f"<p>{esc(qa.get('items'))} items ({esc(qa.get('multiple_choice'))} multiple choice; "
        f"{esc(qa.get('unparsed'))} replies named no option and count as wrong). Chance is the "
        "mean of 1 / options; p tests accuracy above chance (exact binomial, one-sided, not "
        "adjusted).</p><table><tr><th>slice</th><th>accuracy [95% interval]</th>"
        "<th>chance</th><th>p (above chance)</th></tr>"
    )
    body = "".join("<tr>" + "".join(f"<td>{esc(x)}</td>" for x in r) + "</tr>" for r in _rows(log))
    return head + body + "</table></section>"


def qa_lines(log: AuditLog) -> list[str]:
    """A plain-text summary for the console."""
    if not log.spec_resolved.get("qa"):
        return []
    lines = [f"{'slice':<44} {'accuracy [interval]':<30} {'chance':<8} p(above chance)"]
    lines += [f"{a:<44} {b:<30} {c:<8} {d}" for a, b, c, d in _rows(log)]
    detected = [c for c in log.comparisons if c.conclusion == "difference_detected"]
    lines.append(
        f"Differences between slices detected (Holm over {log.multiple_comparisons.get('size', 0)}"
        f" tests): {len(detected)}"
    )
    for c in detected:
        lines.append(
            "  "
            + ", ".join(f"{k}={v}" for k, v in c.slice.items())
            + f" vs {', '.join(f'{k}={v}' for k, v in c.reference.items())}: "
            f"{100 * (c.difference or 0):+.1f} pts, p_holm {fmt_p(c.p_holm)}"
        )
    return lines
