"""The red-team section of a report and its console summary (``equilens safety redteam``).

Reads ``AuditLog.redteam`` and the ``mean[outcome=...]`` rows: harmful and refusal rates per
persona and per category with their intervals, over-refusal on benign controls, the paired
persona tests, the judge's agreement figure, and the worst answers verbatim, escaped and
collapsed behind a content warning. Every text from the log goes through ``esc``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from equilens._pvalue import fmt_p
from equilens.report._svg import esc
from equilens.results import AuditLog, Comparison, MetricResult

__all__ = ["redteam_lines", "redteam_section"]

HARMFUL = "mean[outcome=harmful]"
REFUSAL = "mean[outcome=refusal]"
BENIGN = ("requests", "benign_controls")


def _pct(row: MetricResult | None, terse: bool = False) -> str:
    if row is None or row.value is None:
        return "–"
    out = f"{100 * row.value:.1f}%"
    if row.ci_low is not None and row.ci_high is not None:
        out += f" [{100 * max(row.ci_low, 0.0):.1f}, {100 * min(row.ci_high, 1.0):.1f}]"
    elif terse:
        out += " (no interval)"
    else:
        out += " (no interval: " + (row.reason or "all answers alike") + ")"
    return out


def _rows(log: AuditLog) -> dict[tuple[str, tuple[tuple[str, str], ...]], MetricResult]:
    return {(r.metric, tuple(sorted(r.slice.items()))): r for r in log.results}


def _table(
    log: AuditLog,
    feature: str,
    values: list[str],
    cell: Callable[[str], str],
    terse: bool = False,
) -> list[tuple[str, str, str, str]]:
    rows = _rows(log)
    out = []
    for v in values:
        key = ((feature, v),)
        harm = rows.get((HARMFUL, key))
        ref = rows.get((REFUSAL, key))
        over = rows.get((REFUSAL, tuple(sorted([BENIGN, (feature, v)]))))
        if harm is None and ref is None and over is None:
            continue
        out.append((cell(v), _pct(harm, terse), _pct(ref, terse), _pct(over, terse)))
    return out


def _mark(value: str, ref: str | None) -> str:
    return value + (" (reference)" if value == ref else "")


def _tests(log: AuditLog) -> list[Comparison]:
    return [c for c in log.comparisons if c.metric in (HARMFUL, REFUSAL)]


def _label(c: Comparison) -> str:
    what = "over-refusal" if BENIGN[0] in c.slice else c.metric.split("=")[1].rstrip("]")
    return f"{what}: " + ", ".join(f"{k}={v}" for k, v in c.slice.items() if k != BENIGN[0])


def redteam_section(log: AuditLog) -> str:
    """The HTML section (empty when the log has no red-team record)."""
    rec = log.redteam
    if rec is None:
        return ""
    out = [
        '<section id="redteam"><h2>Red-team suite</h2>',
        f"<p>Suite <b>{esc(rec.suite)}</b> (version {esc(rec.suite_version)}), grader "
        f"<b>{esc(rec.grader.get('name', '?'))}</b>: {rec.graded} of {rec.cases} cases graded"
        f" ({rec.failed} model failures, {rec.off_format} off-format judge replies). Rates are "
        "shares of answers with 95% intervals (clustered by request); over-refusal is the "
        "refusal rate on benign controls.</p>",
    ]
    over = _rows(log).get((REFUSAL, (BENIGN,)))
    if over is not None:
        out.append(f"<p>Over-refusal on benign controls, all personas: {esc(_pct(over))}</p>")
    head = "<tr><th>{}</th><th>harmful</th><th>refusal</th><th>over-refusal</th></tr>"
    for feature, values, title in (
        ("persona", rec.personas, "Persona"),
        ("category", [c for c in rec.categories if c not in rec.benign_categories], "Category"),
    ):
        ref = rec.reference_persona if feature == "persona" else None
        body = _table(log, feature, values, partial(_mark, ref=ref))
        out.append(f'<h3>{title}</h3><table class="redteam">{head.format(title)}')
        out.extend("<tr>" + "".join(f"<td>{esc(x)}</td>" for x in r) + "</tr>" for r in body)
        out.append("</table>")
    tests = _tests(log)
    if tests:
        out.append(
            '<h3>Tests</h3><table class="redteam"><tr><th>comparison</th><th>vs</th>'
            "<th>difference [interval]</th><th>test</th><th>p (Holm)</th><th>conclusion</th></tr>"
        )
        for c in tests:
            diff = "–" if c.difference is None else f"{100 * c.difference:+.1f} pts"
            if c.difference_ci_low is not None and c.difference_ci_high is not None:
                diff += f" [{100 * c.difference_ci_low:+.1f}, {100 * c.difference_ci_high:+.1f}]"
            ref = ", ".join(f"{k}={v}" for k, v in c.reference.items() if k != BENIGN[0])
            out.append(
                f"<tr><td>{esc(_label(c))}</td><td>{esc(ref)}</td><td>{esc(diff)}</td>"
                f"<td>{esc(c.test)}</td><td>{esc(fmt_p(c.p_holm))}</td>"
                f"<td>{esc(c.conclusion)}</td></tr>"
            )
        out.append("</table>")
    if rec.judge_agreement:
        a = rec.judge_agreement
        out.append(
            "<p>Judge agreement with the shipped labelled sample (illustrative, one labeller): "
            f"{esc(_fraction(a.get('percent'), a.get('ci_low'), a.get('ci_high')))} over "
            f"{esc(a.get('graded'))} items ({esc(a.get('off_format'))} off-format); Cohen's "
            f"kappa {esc(_num(a.get('kappa')))} [{esc(_num(a.get('kappa_ci_low')))}, "
            f"{esc(_num(a.get('kappa_ci_high')))}].</p>"
        )
    if rec.examples:
        out.append(
            "<details><summary>Content warning: the worst answers, verbatim (harmful answers; "
            "those where the reference persona was not answered harmfully first)</summary>"
            '<table class="redteam"><tr><th>case</th><th>prompt</th><th>answer</th>'
            "<th>reference persona's outcome</th></tr>"
        )
        for e in rec.examples:
            out.append(
                f"<tr><td>{esc(e.case_id)}</td><td>{esc(e.prompt)}</td><td>{esc(e.answer)}</td>"
                f"<td>{esc(e.reference_outcome or '–')}</td></tr>"
            )
        out.append("</table></details>")
    out.append("</section>")
    return "".join(out)


def _num(x: object) -> str:
    return "–" if not isinstance(x, int | float) else f"{x:.3f}"


def _fraction(p: object, lo: object, hi: object) -> str:
    if not isinstance(p, int | float):
        return "–"
    if isinstance(lo, int | float) and isinstance(hi, int | float):
        return f"{100 * p:.1f}% [{100 * lo:.1f}, {100 * hi:.1f}]"
    return f"{100 * p:.1f}%"


def redteam_lines(log: AuditLog) -> list[str]:
    """A plain-text summary for the console (data cleaned by the caller's console)."""
    rec = log.redteam
    if rec is None:
        return []
    lines = [
        f"Red-team suite {rec.suite} v{rec.suite_version}, grader {rec.grader.get('name')}: "
        f"{rec.graded}/{rec.cases} cases graded ({rec.failed} failed, {rec.off_format} "
        "off-format)",
        f"{'persona':<18} {'harmful':<24} {'refusal':<24} over-refusal",
    ]
    for v, harm, ref, over in _table(log, "persona", rec.personas, lambda v: v, True):
        lines.append(f"{v:<18} {harm:<24} {ref:<24} {over}")
    pooled = _rows(log).get((REFUSAL, (BENIGN,)))
    if pooled is not None:
        lines.append(f"over-refusal on benign controls (all personas): {_pct(pooled, True)}")
    lines.append(f"{'category':<26} {'harmful':<24} {'refusal':<24}")
    cats = [c for c in rec.categories if c not in rec.benign_categories]
    for v, harm, ref, _ in _table(log, "category", cats, lambda v: v, True):
        lines.append(f"{v:<26} {harm:<24} {ref:<24}")
    detected = [c for c in _tests(log) if c.conclusion == "difference_detected"]
    lines.append(
        f"Differences detected (Holm over {log.multiple_comparisons.get('size', 0)} tests): "
        + ("none" if not detected else "")
    )
    for c in detected:
        lines.append(f"  {_label(c)}: {100 * (c.difference or 0):+.1f} pts, p_holm "
                     f"{fmt_p(c.p_holm)} ({c.test})")  # fmt: skip
    if rec.judge_agreement:
        a = rec.judge_agreement
        lines.append(
            f"Judge agreement (shipped sample): "
            f"{_fraction(a.get('percent'), a.get('ci_low'), a.get('ci_high'))}, kappa "
            f"{_num(a.get('kappa'))}"
        )
    return lines
