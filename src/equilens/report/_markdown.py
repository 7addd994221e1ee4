"""A short GitHub-flavoured Markdown summary of an audit, for a pull-request comment.

Strings from the log are neutralised with :func:`md_escape`: ``<``, ``>`` and ``&`` become
entities, Markdown punctuation is backslash-escaped (so a label cannot open a link, an image, a
code span or a table cell), line breaks become spaces, and ``@`` cannot start a mention.
"""

from __future__ import annotations

from equilens._pvalue import fmt_p
from equilens._text import clean_text, md_escape
from equilens.report._content import (
    ReportContent,
    Segment,
    effect_size,
    fmt_diff,
    fmt_diff_interval,
    fmt_interval,
    fmt_value,
    metric_short,
    reference_values,
    slice_text,
    slice_values,
)
from equilens.report._log_labels import with_log_labels
from equilens.report._media_markdown import media_lines
from equilens.report._probe_markdown import probe_lines, probe_title
from equilens.report._qa import qa_lines
from equilens.report._redteam import redteam_lines
from equilens.report._task_content import (
    comparison_test_text,
    effect_size_text,
    headline_columns,
    headline_label,
    underpowered_gap_text,
)
from equilens.report._task_html import TASK_TITLES
from equilens.report._text_quality import text_quality_lines
from equilens.results import AuditLog, MetricResult

_COMPLEMENT = {
    "true_positive_rate": "false_negative_rate",
    "true_negative_rate": "false_positive_rate",
}


def _segments(segs: list[Segment]) -> str:
    out = []
    for kind, text in segs:
        if kind == "num":
            out.append(f"**{md_escape(text)}**")
        else:
            out.append(md_escape(text))
    return "".join(out)


def _cell(metric: str, row: MetricResult | None) -> str:
    if row is None:
        return "–"
    if row.value is None:
        return "undefined"
    text = fmt_value(metric, row.value)
    if row.ci_low is not None and row.ci_high is not None:
        text += f" ({fmt_interval(metric, row.ci_low, row.ci_high).rstrip('%')})"
    if row.status == "insufficient_evidence":
        text += " ⚠"
    return md_escape(text)


@with_log_labels
def render_markdown(
    log: AuditLog,
    *,
    max_findings: int = 5,
    max_intersection_findings: int = 2,
    max_groups: int = 16,
    max_differences: int = 8,
    max_warnings: int = 5,
    max_pairs: int = 5,
) -> str:
    """Summarise an audit log in GitHub-flavoured Markdown (about 60 lines at most by default).

    Parameters
    ----------
    log : AuditLog
        The audit log; nothing else is read.
    max_findings, max_intersection_findings : int
        Key findings (plain-language sentences) on single features and on intersections.
    max_groups : int
        Rows of the key-metrics table (the overall population, then single-feature groups).
    max_differences : int
        Rows of the table of detected differences (single-feature groups).
    max_warnings : int
        Warnings from the log that are listed.
    max_pairs : int
        Most-changed pairs listed per probe (``log.probes``), verbatim.

    Returns
    -------
    str
        The summary: key findings, the evidence that is missing, key metrics per group with
        confidence intervals, the detected differences and the log's warnings.
    """
    c = ReportContent.from_log(log)
    if c.probe_only:
        return _probe_markdown(c, max_groups, max_warnings, max_pairs)
    v = c.vocab
    counts = c.conclusion_counts()
    features = log.spec_resolved.get("sensitive_features")
    feats = (
        ", ".join(str(f) for f in features)
        if isinstance(features, list)
        else ", ".join(sorted({f for fam in log.families for f in fam.features}))
    )
    task = log.task != "binary"
    what = (
        f"{TASK_TITLES.get(log.task, log.task)} ({log.task} task)"
        if task
        else f"{v.y_pred} against {v.y_true}"
    )
    label = f"{log.task} task" if task else f"positive label {v.positive}"
    lines = [
        f"## equilens audit: {md_escape(what)}, by {md_escape(feats)}",
        "",
        md_escape(
            f"{log.data.n_rows:,} rows · {len(log.families)} "
            f"famil{'y' if len(log.families) == 1 else 'ies'} of groups · {label} · "
            f"run {log.run_id[:12]} · equilens {log.equilens_version}"
        ),
        "",
    ]
    size = log.multiple_comparisons.get("size")
    lines.append(
        f"**{counts.get('difference_detected', 0)}** differences detected · "
        f"**{counts.get('no_difference_detected', 0)}** no difference detected · "
        f"**{counts.get('insufficient_evidence', 0)}** insufficient evidence · "
        f"**{counts.get('undefined', 0)}** undefined, of {sum(counts.values())} "
        f"group-vs-reference comparisons (Holm-adjusted p < {v.alpha:.2g}"
        + (f" over {md_escape(size)} tests)." if size else ").")
    )
    lines.append("")
    safety = [clean_text(x) for x in redteam_lines(log) + qa_lines(log)]
    if safety:  # a red-team or QA run: its table, as plain text in a code block
        lines += ["### Safety", "", *(f"    {x}" for x in safety), ""]
    main = c.key_findings(max_findings, intersections=False)
    inter = c.key_findings(max_intersection_findings, intersections=True)
    if main or inter:
        lines += ["### Key findings", ""]
        lines += [f"{i}. {_segments(f.segments)}" for i, f in enumerate(main, 1)]
        lines += [
            f"{i}. *Intersection:* {_segments(f.segments)}"
            for i, f in enumerate(inter, len(main) + 1)
        ]
        lines.append("")
    else:
        lines += [
            "No group differed from its reference after adjustment for multiple testing; "
            "this is not evidence that the groups are treated alike.",
            "",
        ]
    notes = []
    small = c.small_groups()
    under = c.underpowered()
    if small or under:
        mgs = c.min_group_size
        reasons = []
        if small:
            reasons.append(f"{len(small)} group(s) have fewer than {mgs or '?'} rows")
        if under:
            gap = c.underpowered_gap or 0.1
            reasons.append(
                f"{len(under)} comparison(s) could not reliably detect a gap of "
                + underpowered_gap_text(gap, log.task)
            )
        notes.append(
            f"**Insufficient evidence:** {counts.get('insufficient_evidence', 0)} comparisons "
            f"are inconclusive: {' and '.join(reasons)}. Inconclusive is not evidence of equal "
            "treatment."
        )
    spread = c.base_rate_spread()
    if spread:
        parts = "; ".join(
            md_escape(
                f"{'×'.join(fam.features)} {fmt_value('base_rate', lo.value, 0)}–"
                f"{fmt_value('base_rate', hi.value, 0)}"
            )
            for fam, lo, hi in spread
        )
        notes.append(
            f"**Base rates differ** ({parts}): calibration within groups and equal error "
            "rates cannot both hold (Kleinberg et al. 2016; Chouldechova 2017)."
        )
    for note in notes:
        lines += [note, ""]
    metrics = [
        m
        for m in (
            "selection_rate",
            "false_positive_rate",
            "false_negative_rate",
            "precision_score",
            "roc_auc_score",
        )
        if m in c.metrics
    ]
    groups: list[dict[str, str]] = [{}]
    for fam in c.single_families:
        groups.extend(fam.groups)
    if task:
        lines += _task_table(c, groups, max_groups)
    elif metrics:
        lines += [f"### Key metrics by group ({v.level}% CI; ⚠ small group)", ""]
        lines.append("| group | n | " + " | ".join(metric_short(m) for m in metrics) + " |")
        lines.append("|---|---:|" + "---:|" * len(metrics))
        for g in groups[:max_groups]:
            n = c.n(g)
            ref = any(g and g == f.reference for f in c.single_families)
            name = md_escape(slice_text(g) if g else "overall") + (" (ref.)" if ref else "")
            cells = " | ".join(_cell(m, c.result(m, g)) for m in metrics)
            lines.append(f"| {name} | {'–' if n is None else f'{n:,}'} | {cells} |")
        extra = len(groups) - max_groups
        lines.append("")
        if extra > 0:
            lines += [f"{extra} more group(s) in the HTML report.", ""]
    detected = [
        x for x in log.comparisons if x.conclusion == "difference_detected" and len(x.features) == 1
    ]
    detected.sort(key=lambda x: (-effect_size(x), x.metric))
    # TPR = 1 - FNR and TNR = 1 - FPR: keep one of each pair for the same group.
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    unique = []
    for x in detected:
        key = (_COMPLEMENT.get(x.metric, x.metric), tuple(sorted(x.slice.items())))
        if key not in seen:
            seen.add(key)
            unique.append(x)
    detected = unique
    if detected:
        lines += [f"### Largest differences detected, single features ({len(detected)})", ""]
        extra_head = " test | effect size |" if task else ""
        lines.append(
            f"| metric | group | reference | difference ({v.level}% CI) | p (Holm) |{extra_head}"
        )
        lines.append("|---|---|---|---:|---:|" + ("---|---:|" if task else ""))
        for x in detected[:max_differences]:
            diff = fmt_diff(x.metric, x.difference)
            ci = fmt_diff_interval(x.metric, x.difference_ci_low, x.difference_ci_high)
            cells = (
                f" {md_escape(comparison_test_text(x))} | {md_escape(effect_size_text(x))} |"
                if task
                else ""
            )
            lines.append(
                f"| {md_escape(metric_short(x.metric))} | {md_escape(slice_values(x.slice))} | "
                f"{md_escape(reference_values(x))} | {md_escape(diff)} "
                f"({md_escape(ci.removesuffix(' pts'))}) | {md_escape(fmt_p(x.p_holm))} |{cells}"
            )
        lines.append("")
        shown = min(len(detected), max_differences)
        lines += [
            f"All {counts.get('difference_detected', 0)} detected differences (intersections "
            f"included; {shown} shown here) are in the HTML report's comparisons table.",
            "",
        ]
    lines += media_lines(log)
    lines += probe_lines(
        log.probes or [], md_escape, level=v.level, max_groups=max_groups, max_pairs=max_pairs
    )
    lines += text_quality_lines(log.text_quality)
    return _finish(lines, log, max_warnings)


def _task_table(c: ReportContent, groups: list[dict[str, str]], max_groups: int) -> list[str]:
    """A non-binary log's headline metrics per group (the worst class for per-class rows)."""
    columns = headline_columns(c.log)
    if not columns:
        return []
    v = c.vocab
    lines = [f"### Key metrics by group ({v.level}% CI; ⚠ small group)", ""]
    lines.append(
        "| group | n | " + " | ".join(md_escape(headline_label(h)) for h in columns) + " |"
    )
    lines.append("|---|---:|" + "---:|" * len(columns))
    for g in groups[:max_groups]:
        rows = {r.metric: r for r in c.log.results if r.slice == g}
        n = c.n(g)
        ref = any(g and g == f.reference for f in c.single_families)
        name = md_escape(slice_text(g) if g else "overall") + (" (ref.)" if ref else "")
        cells = []
        for h in columns:
            row, note = h.row(rows)
            cell = _cell(row.metric if row is not None else h.metric, row)
            cells.append(cell + (f" {md_escape(note)}" if note else ""))
        lines.append(f"| {name} | {'–' if n is None else f'{n:,}'} | {' | '.join(cells)} |")
    lines.append("")
    extra = len(groups) - max_groups
    if extra > 0:
        lines += [f"{extra} more group(s) in the HTML report.", ""]
    return lines


def _finish(lines: list[str], log: AuditLog, max_warnings: int) -> str:
    if log.warnings:
        lines += ["### Warnings", ""]
        lines += [f"- {md_escape(w)}" for w in log.warnings[:max_warnings]]
        if len(log.warnings) > max_warnings:
            lines.append(f"- {len(log.warnings) - max_warnings} more warning(s) in the report")
        lines.append("")
    lines.append(
        "<sub>Generated by equilens from the audit log; descriptive statistics, not a "
        "certification of fairness. Full report: report.html.</sub>"
    )
    return "\n".join(lines) + "\n"


def _probe_markdown(c: ReportContent, max_groups: int, max_warnings: int, max_pairs: int) -> str:
    """The summary of a probe-only log: no outcomes or predictions, a table per probe."""
    log, v = c.log, c.vocab
    records = log.probes or []
    if records:
        title = "; ".join(probe_title(r) for r in records)
    else:
        title = f"probe {log.spec_resolved.get('probe', '')} of {log.spec_given.get('model', '')}"
    counts = c.conclusion_counts()
    size = log.multiple_comparisons.get("size")
    lines = [
        f"## equilens probe: {md_escape(title)}",
        "",
        md_escape(
            f"{log.data.n_rows:,} texts scored · run {log.run_id[:12]} · "
            f"equilens {log.equilens_version}"
        ),
        "",
        f"**{counts.get('difference_detected', 0)}** differences detected · "
        f"**{counts.get('no_difference_detected', 0)}** no difference detected · "
        f"**{counts.get('insufficient_evidence', 0)}** insufficient evidence · "
        f"**{counts.get('undefined', 0)}** undefined, of {len(log.comparisons)} paired "
        f"comparisons (Holm-adjusted p < {v.alpha:.2g}"
        + (f" over {md_escape(size)} tests)." if size else ")."),
        "",
    ]
    if not records:
        lines += [
            "This probe log predates probe records (format 1.0); the HTML report lists its "
            "comparisons.",
            "",
        ]
    lines += probe_lines(
        records, md_escape, level=v.level, max_groups=max_groups, max_pairs=max_pairs
    )
    return _finish(lines, log, max_warnings)
