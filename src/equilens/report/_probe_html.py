"""The Probes section of the HTML report, and the summary of a probe-only log.

Reads ``AuditLog.probes``: per attribute value a dot-and-whisker chart (flip rate and mean
score shift with their intervals; stereotype preference rate and log-likelihood difference for
stereotype benchmarks; unintended-bias AUCs for identity probes), the statistics table, and
the most-changed pairs verbatim. Every text from the log, pairs included, goes through
:func:`~equilens.report._svg.esc`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from equilens._pvalue import fmt_p
from equilens.report._content import (
    CONCLUSION_LABELS,
    ReportContent,
    family_label,
    fmt_diff,
    fmt_diff_interval,
    fmt_interval,
    fmt_number,
    fmt_value,
    slice_text,
    slice_values,
)
from equilens.report._svg import (
    Dot,
    DotColumn,
    DotRow,
    DotStyle,
    RowKind,
    conclusion_tiles,
    dot_label_width,
    dot_matrix,
    esc,
)
from equilens.results import ProbeGroup, ProbePair, ProbeRecord, ProbeShift, ProbeTest

#: Most-changed pairs shown per probe (the log may keep more).
MAX_PAIRS = 20

KIND_LABELS: dict[str, str] = {
    "counterfactual": "Counterfactual probe",
    "counterfactual_texts": "Counterfactual probe of free texts",
    "identity": "Identity-term probe",
    "stereotype": "Stereotype benchmark",
}

_BADGE = {
    "difference_detected": "det",
    "no_difference_detected": "nod",
    "insufficient_evidence": "ins",
    "undefined": "und",
}

_STYLE: dict[str, DotStyle] = {
    "difference_detected": "detected",
    "no_difference_detected": "no_difference",
    "insufficient_evidence": "insufficient",
    "undefined": "insufficient",
}


def kind_label(kind: str) -> str:
    """'Counterfactual probe' for ``counterfactual`` (the kind itself when unknown)."""
    return KIND_LABELS.get(kind, f"Probe ({kind})")


def model_name(record: ProbeRecord) -> str:
    """The probed model's name ('unnamed model' when not recorded)."""
    if record.model and record.model.get("name"):
        return str(record.model["name"])
    return "unnamed model"


_SHORT = {
    "difference_detected": "detected",
    "no_difference_detected": "no difference",
    "insufficient_evidence": "insufficient",
    "undefined": "undefined",
}


def _badge(conclusion: str | None) -> str:
    if conclusion is None:
        return '<span class="badge b-und">reference</span>'
    label = _SHORT.get(conclusion, conclusion)
    return f'<span class="badge b-{_BADGE.get(conclusion, "und")}">{esc(label)}</span>'


def _dv(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def _p_cell(t: ProbeTest | None) -> str:
    if t is None or t.p_holm is None:
        return '<td class="r" data-v="">–</td>'
    raw = f"raw {fmt_p(t.p_value)} · BH {fmt_p(t.p_bh)}"
    return (
        f'<td class="r" data-v="{_dv(t.p_holm)}" title="{esc(t.test)}">{esc(fmt_p(t.p_holm))}'
        f'<span class="ci">{esc(raw)}</span></td>'
    )


def shift_test(sh: ProbeShift) -> ProbeTest:
    """The test of the mean shift: the paired t (format 1.2), or Wilcoxon in older logs."""
    return sh.mean_test if sh.mean_test is not None else sh.wilcoxon


def _est_cell(metric: str, value: float | None, lo: float | None, hi: float | None) -> str:
    if value is None:
        return '<td class="r" data-v="">–</td>'
    ci = f'<span class="ci">{esc(fmt_interval(metric, lo, hi))}</span>' if lo is not None else ""
    return f'<td class="r" data-v="{_dv(value)}">{esc(fmt_value(metric, value))}{ci}</td>'


def _shift_cell(value: float | None, lo: float | None, hi: float | None) -> str:
    if value is None:
        return '<td class="r" data-v="">–</td>'
    ci = fmt_diff_interval("mean_score_shift", lo, hi)
    sub = f'<span class="ci">{esc(ci)}</span>' if ci != "–" else ""
    return (
        f'<td class="r" data-v="{_dv(value)}">{esc(fmt_diff("mean_score_shift", value))}{sub}</td>'
    )


def _abs_cell(sh: ProbeShift) -> str:
    est = sh.mean_absolute_shift
    if est is None or est.value is None:
        return '<td class="r" data-v="">–</td>'
    return _est_cell("mean_absolute_score_shift", est.value, est.ci_low, est.ci_high)


def _families(record: ProbeRecord) -> list[tuple[str, ...]]:
    return list(dict.fromkeys(tuple(g.features) for g in record.groups))


def _level(c: ReportContent) -> int:
    return c.vocab.level


# --------------------------------------------------------------------------------------------
# charts


def _tip(g: ProbeGroup, what: str, level: int) -> str:
    name = slice_values(g.slice)
    ref = slice_values(g.reference)
    conclusion = CONCLUSION_LABELS.get(g.conclusion or "", g.conclusion or "reference")
    extra = f", {g.reason}" if g.reason else ""
    return f"{name} vs {ref}: {what} ({level}% CI), {g.n_pairs:,} pairs, {conclusion}{extra}"


def _paired_rows(groups: list[ProbeGroup], level: int) -> list[DotRow]:
    rows = []
    for g in groups:
        if g.is_reference or g.flip is None or g.shift is None:
            continue
        style = _STYLE.get(g.conclusion or "", "plain")
        if g.status == "insufficient_evidence":
            style = "insufficient"
        fl, sh = g.flip, g.shift
        flip_text = f"flip rate {fmt_value('flip_rate', fl.rate)} " + (
            f"[{fmt_interval('flip_rate', fl.ci_low, fl.ci_high)}]" if fl.ci_low is not None else ""
        )
        shift_text = f"mean shift {fmt_diff('mean_score_shift', sh.mean_shift)} " + (
            f"[{fmt_diff_interval('mean_score_shift', sh.ci_low, sh.ci_high)}]"
            if sh.ci_low is not None
            else ""
        )
        kind: RowKind = "small" if g.status == "insufficient_evidence" else "group"
        rows.append(
            DotRow(
                slice_values(g.slice),
                f"{g.n_pairs:,}",
                [
                    Dot(fl.rate, fl.ci_low, fl.ci_high, style, _tip(g, flip_text, level)),
                    Dot(sh.mean_shift, sh.ci_low, sh.ci_high, style, _tip(g, shift_text, level)),
                ],
                kind,
            )
        )
    return rows


def _preference_rows(groups: list[ProbeGroup], level: int) -> list[DotRow]:
    rows = []
    for g in groups:
        p = g.preference
        if p is None:
            continue
        ll = p.log_likelihood_difference
        style = _STYLE.get(g.conclusion or "", "plain")
        rate_text = f"preference {fmt_value('stereotype_preference_rate', p.rate)}"
        ll_text = f"LL difference {fmt_number(ll.value)}"
        kind: RowKind = (
            "overall"
            if not g.slice
            else "small"
            if g.status == "insufficient_evidence"
            else "group"
        )
        rows.append(
            DotRow(
                slice_values(g.slice) if g.slice else "All items",
                f"{g.n_pairs:,}",
                [
                    Dot(p.rate, p.ci_low, p.ci_high, style, _tip(g, rate_text, level)),
                    Dot(ll.value, ll.ci_low, ll.ci_high, style, _tip(g, ll_text, level)),
                ],
                kind,
            )
        )
    return rows


_AUCS = ("subgroup_auc", "bpsn_auc", "bnsp_auc")


def _auc_rows(groups: list[ProbeGroup], level: int) -> list[DotRow]:
    rows = []
    for g in groups:
        if not g.aucs:
            continue
        dots = []
        for m in _AUCS:
            e = g.aucs.get(m)
            value = e.value if e is not None else None
            tip = f"{slice_values(g.slice)}: {m} {fmt_number(value)}"
            if e is not None and e.ci_low is not None:
                tip += f" ({level}% CI {fmt_interval(m, e.ci_low, e.ci_high)})"
            style: DotStyle = "reference" if g.is_reference else "plain"
            dots.append(Dot(value, e.ci_low if e else None, e.ci_high if e else None, style, tip))
        label = slice_values(g.slice) + (" (reference)" if g.is_reference else "")
        kind: RowKind = "reference" if g.is_reference else "group"
        rows.append(DotRow(label, "", dots, kind))
    return rows


def _charts(record: ProbeRecord, level: int) -> str:
    out = []
    if record.kind == "stereotype":
        rows = _preference_rows(record.groups, level)
        if rows:
            cols = [
                DotColumn("Stereotype preferred", True, True, 0.5),
                DotColumn("LL difference", False, False, 0.0),
            ]
            out.append(
                "<figure><figcaption>Stereotype preference by bias type "
                f'<span class="note">(share of items, {level}% CI; 50% = no preference; '
                "log-likelihood of the stereotype minus the anti-stereotype)</span>"
                f"</figcaption>"
                f'<div class="scroll">{dot_matrix("Stereotype preference", cols, rows)}</div>'
                "</figure>"
            )
        return "".join(out)
    families = _families(record)
    all_rows = {
        tuple(f): _paired_rows([g for g in record.groups if g.features == list(f)], level)
        for f in families
    }
    width = max((dot_label_width(r) for r in all_rows.values() if r), default=None)
    cols = [
        DotColumn("Flip rate", True, True),
        DotColumn("Mean score shift", False, False, 0.0),
    ]
    for f in families:
        rows = all_rows[tuple(f)]
        if not rows:
            continue
        fl = family_label(list(f))
        ref = next((g.reference for g in record.groups if g.features == list(f)), {})
        out.append(
            f"<figure><figcaption>{esc(fl)} "
            f'<span class="note">(flip rate and mean score shift against '
            f"{esc(slice_values(ref))}, {level}% CI; n = pairs)</span></figcaption>"
            f'<div class="scroll">'
            f"{dot_matrix(f'Flip rate and mean score shift by {fl}', cols, rows, width)}"
            "</div></figure>"
        )
    auc_rows = _auc_rows(record.groups, level)
    if auc_rows:
        cols = [DotColumn(name, False, True, 0.5) for name in ("Subgroup AUC", "BPSN", "BNSP")]
        out.append(
            "<figure><figcaption>Unintended-bias AUCs by identity term "
            f'<span class="note">(Borkan et al. 2019; {level}% CI; 0.5 = chance)</span>'
            "</figcaption>"
            f'<div class="scroll">{dot_matrix("Unintended-bias AUCs", cols, auc_rows)}</div>'
            "</figure>"
        )
    return "".join(out)


# --------------------------------------------------------------------------------------------
# tables


def _paired_table(record: ProbeRecord, table_id: str, level: int) -> str:
    heads = [
        ("value", "", "the attribute value (or intersection) swapped in"),
        ("reference", "", "the value it is compared with"),
        ("pairs", "r", "units scored with both values"),
        ("flip rate", "r", f"share of pairs whose decision flips ({level}% CI, Clopper-Pearson)"),
        ("p McNemar", "r", "McNemar's test of the flips: Holm-adjusted (raw and BH below)"),
        ("p flips > gap", "r", "one-sided exact test that the flip rate exceeds the gap"),
        ("mean shift", "r", f"mean score shift ({level}% CI, paired t)"),
        ("p mean", "r", "paired t test of the mean shift: Holm-adjusted"),
        ("p sign", "r", "exact sign test of the changed pairs (the median): Holm-adjusted"),
        ("mean |shift|", "r", f"mean absolute score shift ({level}% CI, t): either direction"),
        ("p |shift| > gap", "r", "one-sided t test that the mean |shift| exceeds the gap"),
        ("d_z", "r", "mean shift / sd of shifts (bootstrap CI)"),
        ("conclusion", "", "strongest conclusion of the value's tests"),
    ]
    head = "".join(f'<th class="{c}" title="{esc(t)}">{esc(h)}</th>' for h, c, t in heads)
    body = []
    for g in record.groups:
        fl, sh = g.flip, g.shift
        cls = ' class="small"' if g.status != "ok" else ""
        if g.is_reference or fl is None or sh is None:
            mean = g.mean_score
            note = f"mean score {fmt_number(mean.value)}" if mean and mean.value is not None else ""
            body.append(
                f'<tr data-family="{esc(family_label(g.features))}">'
                f'<td title="{esc(slice_text(g.slice))}">{esc(slice_values(g.slice))}</td>'
                f'<td>{esc("(reference)")}</td><td class="r" data-v="{g.n_pairs}">'
                f"{g.n_pairs:,}</td>"
                f'<td colspan="9" class="note">{esc(note)}</td><td>{_badge(None)}</td></tr>'
            )
            continue
        dz_ci = (
            f'<span class="ci">{esc(fmt_number(sh.dz_ci_low, 2))}–'
            f"{esc(fmt_number(sh.dz_ci_high, 2))}</span>"
            if sh.dz_ci_low is not None and sh.dz_ci_high is not None
            else ""
        )
        why = g.reason or ""
        body.append(
            f'<tr data-family="{esc(family_label(g.features))}"{cls}>'
            f'<td title="{esc(slice_text(g.slice))}">{esc(slice_values(g.slice))}</td>'
            f"<td>{esc(slice_values(g.reference))}</td>"
            f'<td class="r" data-v="{g.n_pairs}">{g.n_pairs:,}</td>'
            + _est_cell("flip_rate", fl.rate, fl.ci_low, fl.ci_high)
            + _p_cell(fl.test)
            + _p_cell(fl.gap_test)
            + _shift_cell(sh.mean_shift, sh.ci_low, sh.ci_high)
            + _p_cell(shift_test(sh))
            + _p_cell(sh.sign)
            + _abs_cell(sh)
            + _p_cell(sh.mean_absolute_test)
            + f'<td class="r" data-v="{_dv(sh.dz)}">{esc(fmt_number(sh.dz, 2))}{dz_ci}</td>'
            + f'<td title="{esc(why)}">{_badge(g.conclusion)}</td></tr>'
        )
    return (
        f'<div class="scroll"><table class="data sortable probe" id="{table_id}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _preference_table(record: ProbeRecord, table_id: str, level: int) -> str:
    heads = [
        ("bias type", "", ""),
        ("items", "r", "benchmark items scored"),
        ("stereotype preferred", "r", f"share of items ({level}% CI, Clopper-Pearson)"),
        ("binomial p Holm", "r", "exact binomial test against 1/2, Holm-adjusted"),
        ("LL difference", "r", f"mean LL(stereotype) - LL(anti-stereotype) ({level}% CI)"),
        ("conclusion", "", ""),
    ]
    head = "".join(f'<th class="{c}" title="{esc(t)}">{esc(h)}</th>' for h, c, t in heads)
    body = []
    for g in record.groups:
        p = g.preference
        if p is None:
            continue
        ll = p.log_likelihood_difference
        body.append(
            f"<tr><td>{esc(slice_values(g.slice) if g.slice else 'all items')}</td>"
            f'<td class="r" data-v="{g.n_pairs}">{g.n_pairs:,}</td>'
            + _est_cell("stereotype_preference_rate", p.rate, p.ci_low, p.ci_high)
            + _p_cell(p.test)
            + _shift_cell(ll.value, ll.ci_low, ll.ci_high)
            + f'<td title="{esc(g.reason or "")}">{_badge(g.conclusion)}</td></tr>'
        )
    return (
        f'<div class="scroll"><table class="data sortable" id="{table_id}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _pair_text(text: str) -> str:
    return f'<div class="ptext">{esc(text)}</div>'


def _pairs_table(record: ProbeRecord, table_id: str) -> str:
    pairs: list[ProbePair] = record.most_changed[:MAX_PAIRS]
    stereo = record.kind == "stereotype"
    first, second = ("stereotype", "anti-stereotype") if stereo else ("original", "swapped")
    score = "log-likelihood" if stereo else "score"
    heads = [
        ("#", "r"),
        ("group", ""),
        (f"{first} text", ""),
        (f"{second} text", ""),
        ("swaps", ""),
        (f"{score}s", "r"),
        ("shift", "r"),
    ]
    if not stereo:
        heads.append(("flipped", ""))
    head = "".join(f'<th class="{c}">{esc(h)}</th>' for h, c in heads)
    body = []
    for i, p in enumerate(pairs, 1):
        swaps = "".join(f"<li>{esc(s)}</li>" for s in p.swaps)
        outputs = ""
        if p.original_output is not None or p.swapped_output is not None:
            outputs = (
                '<div class="note">output: '
                f"{esc(p.original_output or '')} → {esc(p.swapped_output or '')}</div>"
            )
        group = slice_values(p.slice)
        versus = f"{slice_text(p.slice)} vs {slice_text(p.reference)}"
        cells = [
            f'<td class="r" data-v="{i}">{i}</td>',
            f'<td title="{esc(versus)}">{esc(group)}</td>',
            f"<td>{_pair_text(p.original_text)}</td>",
            f"<td>{_pair_text(p.swapped_text)}{outputs}</td>",
            f'<td><ul class="swaps">{swaps}</ul></td>',
            f'<td class="r nw" data-v="{_dv(p.swapped_score)}">'
            f"{esc(fmt_number(p.original_score))} → {esc(fmt_number(p.swapped_score))}</td>",
            f'<td class="r" data-v="{_dv(p.shift)}">{esc(fmt_diff("shift", p.shift))}</td>',
        ]
        if not stereo:
            cells.append(f"<td>{'yes' if p.flipped else 'no'}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="scroll"><table class="data sortable pairs" id="{table_id}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _record_meta(record: ProbeRecord) -> str:
    parts = [f"model {model_name(record)}"]
    if record.model and record.model.get("kind"):
        parts[0] += f" ({record.model['kind']})"
    if record.source:
        parts.append(record.source)
    parts.append(f"{record.units:,} units")
    parts.append(f"{record.pairs:,} {'items' if record.kind == 'stereotype' else 'pairs'}")
    if record.threshold is not None:
        parts.append(f"decision threshold {record.threshold:g}")
    if record.score:
        parts.append(f"score: {record.score}")
    if record.failures:
        parts.append(f"{record.failures:,} failed inputs left out")
    return " · ".join(parts)


def probes_section(c: ReportContent, new_id: Callable[[str], str]) -> str:
    """The Probes section (an empty string when the log holds no probe record).

    ``new_id`` is the page's id factory (``_Ids.new``), so table ids stay unique.
    """
    records = c.log.probes
    if not records:
        if c.probe_only:
            return (
                '<section id="probes"><h2>Probes</h2><p>This probe log was written before '
                "probe records existed (format 1.0); re-run the probe to see its charts and "
                "most-changed pairs. Its comparisons are below.</p></section>"
            )
        return ""
    make_id = new_id
    level = _level(c)
    out = ['<section id="probes"><h2>Probes</h2>']
    out.append(
        "<p>Each probe scores matched texts that differ only in the attribute value named "
        "(a <em>pair</em>: the same template or text with the reference value and with "
        "another value). The <b>flip rate</b> is the share of pairs whose decision (score at "
        "or above the threshold) changes; the <b>mean score shift</b> is the average of the "
        "other text's score minus the reference text's. Whiskers are "
        f"{level}% confidence intervals (exact for flip rates, Student t for mean shifts); "
        "p-values are adjusted (Holm) over every test of the probe run. Dots are coloured by "
        "the group's conclusion: orange a detected difference, grey none detected, hollow "
        "insufficient evidence. The most-changed pairs are shown verbatim.</p>"
    )
    for record in records:
        title = kind_label(record.kind) + (f": {record.suite}" if record.suite else "")
        out.append(f"<h3>{esc(title)}</h3>")
        out.append(f'<p class="note">{esc(_record_meta(record))}</p>')
        out.append(_charts(record, level))
        if record.kind == "stereotype":
            out.append(_preference_table(record, make_id("probe-stats"), level))
        else:
            out.append(_paired_table(record, make_id("probe-stats"), level))
        if record.most_changed:
            shown = min(len(record.most_changed), MAX_PAIRS)
            out.append(
                f'<h4>Most-changed pairs <span class="note">(top {shown} by absolute '
                f"{'log-likelihood gap' if record.kind == 'stereotype' else 'score shift'}"
                f", of {record.pairs:,})</span></h4>"
            )
            out.append(_pairs_table(record, make_id("probe-pairs")))
    out.append("</section>")
    return "".join(out)


# --------------------------------------------------------------------------------------------
# summary of a probe-only log


def probe_findings(records: list[ProbeRecord], limit: int) -> list[tuple[ProbeRecord, ProbeGroup]]:
    """Groups with a detected difference, largest effect first (|d_z|, then the preference
    rate's distance from 1/2)."""

    def size(g: ProbeGroup) -> float:
        if g.shift is not None:
            return abs(g.shift.dz or 0.0) + abs(g.shift.mean_shift or 0.0)
        if g.preference is not None and g.preference.rate is not None:
            return abs(g.preference.rate - 0.5)
        return 0.0

    found = [
        (r, g)
        for r in records
        for g in r.groups
        if g.conclusion == "difference_detected" and not g.is_reference
    ]
    found.sort(key=lambda rg: -size(rg[1]))
    return found[:limit]


def finding_text(g: ProbeGroup, level: int) -> str:
    """A plain-language sentence about one probe group."""
    if g.preference is not None:
        p = g.preference
        who = f"bias type {slice_values(g.slice)}" if g.slice else "all items"
        return (
            f"For {who}, the model preferred the stereotypical sentence in "
            f"{fmt_value('stereotype_preference_rate', p.rate)} of {g.n_pairs:,} items "
            f"({level}% CI {fmt_interval('stereotype_preference_rate', p.ci_low, p.ci_high)}; "
            f"binomial test against 50%, Holm-adjusted p {fmt_p(p.test.p_holm)})."
        )
    parts = [f"Swapping {slice_text(g.reference)} for {slice_text(g.slice)}"]
    if g.flip is not None:
        fl = g.flip
        parts.append(
            f" flipped the decision in {fmt_value('flip_rate', fl.rate)} of {g.n_pairs:,} pairs "
            f"({level}% CI {fmt_interval('flip_rate', fl.ci_low, fl.ci_high)}; McNemar "
            f"Holm-adjusted p {fmt_p(fl.test.p_holm)})"
        )
    if g.shift is not None:
        sh = g.shift
        parts.append(
            f" and shifted the score by {fmt_diff('mean_score_shift', sh.mean_shift)} on "
            f"average ({level}% CI "
            f"{fmt_diff_interval('mean_score_shift', sh.ci_low, sh.ci_high)}; "
            f"{shift_test(sh).test} Holm-adjusted p {fmt_p(shift_test(sh).p_holm)}; d_z "
            f"{fmt_number(sh.dz, 2)})"
        )
    return "".join(parts) + "."


def group_counts(records: list[ProbeRecord]) -> Counter[str]:
    """How many compared groups reached each conclusion."""
    return Counter(
        g.conclusion for r in records for g in r.groups if g.conclusion and not g.is_reference
    )


def probe_header(c: ReportContent) -> str:
    """The page header of a probe-only log."""
    log = c.log
    records = log.probes or []
    if records:
        r = records[0]
        title = f"{kind_label(r.kind)} of {model_name(r)}"
        if r.suite:
            title += f" on {r.suite}"
        attrs = sorted({a for rec in records for a in rec.attributes})
    else:
        title = f"Probe {log.spec_resolved.get('probe', '')} of {log.spec_given.get('model', '')}"
        attrs = sorted({f for fam in log.families for f in fam.features})
    meta = [
        f"{log.data.n_rows:,} texts scored",
        f"attributes: {', '.join(attrs) or '–'}",
        f"created {log.created}",
        f"run {log.run_id[:12]}",
        f"equilens {log.equilens_version}",
    ]
    return (
        '<header class="top"><div class="wrap">'
        '<div class="eyebrow">equilens probe report</div>'
        f"<h1>{esc(title)}</h1>"
        f'<p class="meta">{"".join(f"<span>{esc(m)}</span>" for m in meta)}</p>'
        "</div></header>"
    )


def probe_summary(c: ReportContent) -> str:
    """The Summary section of a probe-only log."""
    log = c.log
    level = _level(c)
    records = log.probes or []
    counts: Counter[str] = (
        group_counts(records) if records else Counter(str(x.conclusion) for x in log.comparisons)
    )
    what = "attribute values" if records else "comparisons"
    out = ['<section id="summary"><h2>Summary</h2>']
    out.append(
        '<p class="lede">This report asks whether the model\'s output changes when only the '
        "person described in a text changes. Each attribute value is compared with a reference "
        "value on the same templates or texts (paired), with "
        f"{level}% confidence intervals and p-values adjusted for the number of tests. It "
        "describes measured sensitivity on these texts; it does not certify a model as fair "
        "or unfair.</p>"
    )
    out.append(conclusion_tiles(counts))
    size = log.multiple_comparisons.get("size")
    out.append(
        f'<p class="note">Of {sum(counts.values()):,} {what} compared'
        + (f" (Holm correction over {esc(size)} tests)" if size else "")
        + "; a difference is <em>detected</em> when a Holm-adjusted p-value is below "
        f"{c.vocab.alpha:.2g}.</p>"
    )
    out.append("<h3>Key findings</h3>")
    found = probe_findings(records, 5)
    if found:
        items = "".join(
            f"<li>{esc(finding_text(g, level))}"
            f'<span class="tag">{esc(kind_label(r.kind))} · {esc(family_label(g.features))}'
            "</span></li>"
            for r, g in found
        )
        out.append(f'<ol class="findings">{items}</ol>')
    else:
        out.append(
            "<p>No attribute value differed from its reference after adjustment for multiple "
            "testing. This is not evidence that the model ignores the attribute: read the "
            "insufficient-evidence count above and the intervals below.</p>"
        )
    n_ins = counts.get("insufficient_evidence", 0)
    if n_ins:
        out.append(
            f'<p class="note">{n_ins:,} {what} are inconclusive: too few pairs, or intervals '
            "too wide to rule out a shift of the stated gap.</p>"
        )
    if log.warnings:
        items = "".join(f"<li>{esc(w)}</li>" for w in log.warnings[:20])
        more = len(log.warnings) - 20
        if more > 0:
            items += f"<li>… and {more} more (see Run details)</li>"
        out.append(
            f'<div class="callout warn"><h4>Warnings from the probe</h4><ul>{items}</ul></div>'
        )
    out.append("</section>")
    return "".join(out)


def probe_methodology(c: ReportContent) -> str:
    """Methods and limitations of a probe-only log."""
    log = c.log
    mc = log.multiple_comparisons
    tests = Counter(x.test for x in log.comparisons if x.test != "none")
    level = _level(c)
    gap = c.underpowered_gap
    return (
        '<section id="methodology"><h2>Methodology and limitations</h2><div class="cols">'
        "<div><h3>Paired design</h3><p>Each unit (a template with its fillers, or a free text) "
        "is scored once per attribute value, so every comparison is within units: the "
        "reference value and another value on the same texts. Flip rates use the exact "
        f"Clopper-Pearson {level}% interval, the difference of positive rates Tango's score "
        "interval and McNemar's test (exact binomial when few pairs flip); the mean score "
        "shift uses the paired t interval and test, the median shift its exact order-statistic "
        "interval and the sign test; the Wilcoxon signed-rank test is shown as a description "
        "(outside the family). The flip rate and the mean absolute shift are each tested "
        "one-sided against the gap, so a model that moves scores both ways is not read as "
        "invariant. d_z is the mean shift divided by the standard deviation of the shifts, "
        f"with a paired bootstrap interval ({log.bootstrap_draws:,} draws, seed {log.seed})."
        "</p><p>Tests used: "
        + esc(", ".join(f"{k} ({n})" for k, n in tests.most_common()) or "none")
        + ". The family adjusted together is "
        + esc(str(mc.get("description", "not recorded")))
        + f" ({esc(str(mc.get('size', '–')))} tests; Holm and Benjamini-Hochberg; conclusions "
        "use Holm).</p></div>"
        "<div><h3>Insufficient evidence</h3><p>A value with fewer pairs than the minimum is "
        "<em>insufficient evidence</em>. A test without a detected difference concludes "
        "<em>no difference detected</em> only when the difference's interval lies within "
        + (f"±{gap:g}" if gap is not None else "the stated gap")
        + "; otherwise it is <em>insufficient evidence</em>, not a pass.</p></div>"
        "<div><h3>Limitations</h3><ul>"
        "<li>Template probes measure sensitivity to the swapped words in <em>these</em> "
        "templates; a clean result is not evidence of fairness on real inputs.</li>"
        "<li>Names carry perceived gender and ethnicity; the lists are associations from the "
        "cited sources, not statements about people.</li>"
        "<li>Pairs that share a template are not independent; the tests treat units as "
        "independent draws, so read p-values as a screen and intervals for magnitude.</li>"
        "<li>Free-text swaps inherit the swap heuristics' limits (see the swaps column).</li>"
        "</ul></div></div></section>"
    )
