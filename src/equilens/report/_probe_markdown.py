"""The Probes part of the Markdown summary: statistics per value and the most-changed pairs.

Every string from the log, pair texts included, goes through
:func:`~equilens.report._markdown.md_escape` (passed in, to keep one escaping function).
"""

from __future__ import annotations

from collections.abc import Callable

from equilens._pvalue import fmt_p
from equilens.report._content import (
    fmt_diff,
    fmt_diff_interval,
    fmt_interval,
    fmt_number,
    fmt_value,
    slice_values,
)
from equilens.report._probe_html import kind_label, model_name, shift_test
from equilens.results import ProbeGroup, ProbeRecord

_ORDER = {"difference_detected": 0, "insufficient_evidence": 1, "no_difference_detected": 2}


def _size(g: ProbeGroup) -> float:
    if g.shift is not None and g.shift.mean_shift is not None:
        return abs(g.shift.mean_shift)
    if g.preference is not None and g.preference.rate is not None:
        return abs(g.preference.rate - 0.5)
    return 0.0


def probe_title(record: ProbeRecord) -> str:
    """'Counterfactual probe of vader on profession_gender' (plain text, not escaped)."""
    title = f"{kind_label(record.kind)} of {model_name(record)}"
    return title + (f" on {record.suite}" if record.suite else "")


def _ci(text: str) -> str:
    return "" if text == "–" else f" ({text})"


def probe_lines(
    records: list[ProbeRecord],
    md_escape: Callable[[object], str],
    *,
    level: int,
    max_groups: int,
    max_pairs: int,
) -> list[str]:
    """Markdown lines of the Probes part (empty without records)."""
    lines: list[str] = []
    for record in records:
        head = f"### {md_escape(probe_title(record))}"
        meta = [f"{record.units:,} units", f"{record.pairs:,} pairs"]
        if record.threshold is not None:
            meta.append(f"threshold {record.threshold:g}")
        if record.failures:
            meta.append(f"{record.failures:,} failed inputs left out")
        lines += [head, "", md_escape(" · ".join(meta)), ""]
        groups = sorted(
            (g for g in record.groups if not g.is_reference),
            key=lambda g: (_ORDER.get(g.conclusion or "", 9), -_size(g)),
        )
        if record.kind == "stereotype":
            lines.append(
                f"| bias type | items | stereotype preferred ({level}% CI) | p (Holm) | "
                "LL difference | conclusion |"
            )
            lines.append("|---|---:|---:|---:|---:|---|")
            for g in groups[:max_groups]:
                p = g.preference
                if p is None:
                    continue
                rate = fmt_value("stereotype_preference_rate", p.rate) + _ci(
                    fmt_interval("stereotype_preference_rate", p.ci_low, p.ci_high)
                )
                name = slice_values(g.slice) if g.slice else "all items"
                lines.append(
                    f"| {md_escape(name)} | {g.n_pairs:,} | {md_escape(rate)} | "
                    f"{md_escape(fmt_p(p.test.p_holm))} | "
                    f"{md_escape(fmt_number(p.log_likelihood_difference.value))} | "
                    f"{md_escape((g.conclusion or '').replace('_', ' '))} |"
                )
        else:
            lines.append(
                f"| value | vs | pairs | flip rate ({level}% CI) | p McNemar (Holm) | "
                f"p flips > gap (Holm) | mean shift ({level}% CI) | p mean (Holm) | "
                f"mean abs. shift ({level}% CI) | p abs. shift > gap (Holm) | d_z | conclusion |"
            )
            lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
            for g in groups[:max_groups]:
                fl, sh = g.flip, g.shift
                if fl is None or sh is None:
                    continue
                flip = fmt_value("flip_rate", fl.rate) + _ci(
                    fmt_interval("flip_rate", fl.ci_low, fl.ci_high)
                )
                shift = fmt_diff("mean_score_shift", sh.mean_shift) + _ci(
                    fmt_diff_interval("mean_score_shift", sh.ci_low, sh.ci_high)
                )
                est = sh.mean_absolute_shift
                absolute = (
                    "–"
                    if est is None
                    else fmt_number(est.value)
                    + _ci(fmt_interval("mean_absolute_score_shift", est.ci_low, est.ci_high))
                )
                gap_p = fmt_p(fl.gap_test.p_holm) if fl.gap_test is not None else "–"
                abs_p = (
                    fmt_p(sh.mean_absolute_test.p_holm)
                    if sh.mean_absolute_test is not None
                    else "–"
                )
                warn = " ⚠" if g.status == "insufficient_evidence" else ""
                lines.append(
                    f"| {md_escape(slice_values(g.slice))}{warn} | "
                    f"{md_escape(slice_values(g.reference))} | {g.n_pairs:,} | "
                    f"{md_escape(flip)} | {md_escape(fmt_p(fl.test.p_holm))} | "
                    f"{md_escape(gap_p)} | "
                    f"{md_escape(shift)} | {md_escape(fmt_p(shift_test(sh).p_holm))} | "
                    f"{md_escape(absolute)} | {md_escape(abs_p)} | "
                    f"{md_escape(fmt_number(sh.dz, 2))} | "
                    f"{md_escape((g.conclusion or '').replace('_', ' '))} |"
                )
        lines.append("")
        if len(groups) > max_groups:
            lines += [f"{len(groups) - max_groups} more value(s) in the HTML report.", ""]
        pairs = record.most_changed[:max_pairs]
        if pairs:
            stereo = record.kind == "stereotype"
            first, second = ("stereotype", "anti-stereotype") if stereo else ("original", "swapped")
            lines += [f"**Most-changed pairs** (top {len(pairs)} by absolute shift, verbatim)", ""]
            lines.append(f"| group | {first} | {second} | scores | shift |")
            lines.append("|---|---|---|---:|---:|")
            for pair in pairs:
                scores = f"{fmt_number(pair.original_score)} → {fmt_number(pair.swapped_score)}"
                lines.append(
                    f"| {md_escape(slice_values(pair.slice))} | {md_escape(pair.original_text)} | "
                    f"{md_escape(pair.swapped_text)} | {md_escape(scores)} | "
                    f"{md_escape(fmt_diff('shift', pair.shift))} |"
                )
            lines.append("")
    return lines
