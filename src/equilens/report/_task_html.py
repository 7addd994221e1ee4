"""HTML sections of the report that only non-binary tasks have, or that they word differently.

A multiclass log has K x K confusion matrices (shown as a heatmap table, rows the true class);
a ranking log has per item group exposure rows (Singh & Joachims 2018); regression and measure
comparisons use Welch's t-test with Hedges' g and a descriptive Mann-Whitney test. Binary-only
sections (ROC and calibration curves, 2 x 2 confusion cards, the four-fifths rule, the
base-rate impossibility result) are not shown for these tasks. Every string from the log is
escaped with :func:`~equilens.report._svg.esc`.
"""

from __future__ import annotations

from collections import Counter

from equilens.report._content import (
    ReportContent,
    family_label,
    fmt_count,
    fmt_interval,
    fmt_value,
    metric_label,
    metric_meaning,
    slice_text,
    slice_values,
)
from equilens.report._svg import esc
from equilens.report._task_content import underpowered_gap_text
from equilens.results import ConfusionMatrix, base_name, metric_params

__all__ = [
    "TASK_TITLES",
    "class_confusion_section",
    "exposure_section",
    "task_lede",
    "task_methodology",
    "task_sections",
    "task_title",
]

#: What each task audits, for the page title and the summary.
TASK_TITLES: dict[str, str] = {
    "multiclass": "multiclass predictions",
    "regression": "numeric predictions",
    "measure": "a measure per unit",
    "ranking": "rankings",
}

#: What the intervals and tests of each task are, for the methodology (the rows' ``ci_method``
#: and ``test`` fields say which was used for each row).
_TASK_METHODS: dict[str, str] = {
    "multiclass": (
        "Shares of rows (accuracy, per-class recall, precision, selection and false positive "
        "rates, top-k accuracy) use the Wilson score interval (Clopper-Pearson for very small "
        "counts); balanced accuracy and the F1 averages use a count-level stratified bootstrap "
        "over the K x K confusion cells. Group comparisons of shares use the chi-square or "
        "Fisher test with Cohen's h."
    ),
    "regression": (
        "Means of a per-row value (mean error, mean absolute error, mean prediction) use a t "
        "interval from the per-cell sums (delta method for weighted or clustered data); RMSE "
        "is the square root of the mean squared error's interval; R² uses a random-group "
        "bootstrap. Group comparisons use Welch's t-test (Satterthwaite degrees of freedom) "
        "with Hedges' g as the effect size; a Mann-Whitney rank test of the two groups' "
        "distributions is shown beside it, descriptive and outside the adjusted family."
    ),
    "measure": (
        "A mean of a per-unit value uses a t interval; a ratio of sums (e.g. a word error "
        "rate) uses the delta method on the two sums. With a cluster column, units are the "
        "clusters (design-based variance), so repeated measurements on one unit do not "
        "shrink the interval. Group comparisons use Welch's t-test with Hedges' g and a "
        "descriptive Mann-Whitney rank test."
    ),
    "ranking": (
        "Per-query metrics (NDCG, precision and recall at k, reciprocal rank) are averaged "
        "over each group's queries, and the query is the unit of their intervals. An item "
        "group's exposure share is its share of the position-weighted attention of the "
        "rankings (Singh and Joachims 2018); disparate exposure is the exposure share over "
        "the relevance share. Group comparisons use Welch's t-test over queries with "
        "Hedges' g."
    ),
}


def task_sections(task: str) -> list[tuple[str, str]]:
    """The page's sections for a non-binary task (no binary-only section)."""
    sections = [
        ("summary", "Summary"),
        ("groups", "Metrics by group"),
        ("intersections", "Intersections"),
    ]
    if task == "multiclass":
        sections.append(("confusion", "Confusion matrices"))
    if task == "ranking":
        sections.append(("exposure", "Exposure"))
    sections += [
        ("criteria", "Fairness criteria"),
        ("comparisons", "Comparisons"),
        ("methodology", "Methodology & limitations"),
        ("run", "Run details"),
    ]
    return sections


def _columns(c: ReportContent) -> dict[str, str]:
    cols = c.log.spec_resolved.get("columns")
    if not isinstance(cols, dict):
        return {}
    return {
        str(k): ", ".join(map(str, v)) if isinstance(v, list) else str(v)
        for k, v in cols.items()
        if v is not None and k != "sensitive"  # the heading names the groups after "by"
    }


def task_title(c: ReportContent) -> str:
    """The page's heading (HTML, escaped) for a non-binary log."""
    cols = _columns(c)
    what = TASK_TITLES.get(c.log.task, c.log.task)
    parts = [f"Audit of {esc(what)}"]
    shown = [
        f"<code>{esc(v)}</code> ({esc(k.replace('_', ' '))})"
        for k, v in cols.items()
        if k not in ("sample_weight",)
    ][:4]
    if shown:
        parts.append(": " + ", ".join(shown))
    return "".join(parts)


def task_lede(c: ReportContent) -> str:
    """The summary's opening paragraph (HTML) for a non-binary log."""
    log, v = c.log, c.vocab
    queries = log.spec_resolved.get("task_queries")
    count = (
        f"{queries:,} queries ({log.data.n_rows:,} ranked items)"
        if log.task == "ranking" and isinstance(queries, int)
        else f"{log.data.n_rows:,} rows"
    )
    return (
        f'<p class="lede">This report measures {esc(TASK_TITLES.get(log.task, log.task))} '
        f"({esc(log.task)} task) over {count}, group by group. Each group "
        "is compared with a reference group of the same feature(s); differences are reported "
        f"with {v.level}% confidence intervals and p-values adjusted for the number of tests. "
        "The report describes measured differences and their uncertainty; it does not "
        "certify a model as fair or unfair.</p>"
    )


def _cell_colour(share: float) -> tuple[str, str]:
    """Background and text colour of a confusion cell holding ``share`` of its row."""
    alpha = min(max(share, 0.0), 1.0)
    return f"rgba(37,99,235,{alpha:.3f})", "#ffffff" if alpha > 0.5 else "#111827"


def _matrix_table(m: ConfusionMatrix, name: str) -> str:
    head = "".join(f'<th scope="col">{esc(lab)}</th>' for lab in m.labels)
    body = []
    for lab, row in zip(m.labels, m.counts, strict=False):
        total = sum(row)
        cells = []
        for value in row:
            share = value / total if total > 0 else 0.0
            bg, fg = _cell_colour(share)
            cells.append(
                f'<td style="background:{bg};color:{fg}" '
                f'title="{esc(f"{share * 100:.1f}% of row")}">'
                f"{esc(fmt_count(value))}</td>"
            )
        body.append(f'<tr><th scope="row">{esc(lab)}</th>{"".join(cells)}</tr>')
    return (
        f'<div class="cm"><div class="name">{esc(name)} <span class="note">n = {m.n:,}</span>'
        f'</div><div class="scroll"><table><thead><tr><th>true \\ predicted</th>{head}</tr>'
        f"</thead><tbody>{''.join(body)}</tbody></table></div></div>"
    )


def class_confusion_section(c: ReportContent) -> str:
    """Multiclass: a K x K heatmap table per group, rows the true class, shaded by row share."""
    out = ['<section id="confusion"><h2>Confusion matrices</h2>']
    matrices = c.log.confusion_matrices or []
    if not matrices:
        out.append("<p>The log holds no confusion matrices.</p></section>")
        return "".join(out)
    weighted = " (sums of weights)" if c.vocab.weighted else ""
    out.append(
        f"<p>Counts{esc(weighted)} of each true class (rows) and predicted class (columns). "
        "The shade is the cell's share of its row: the diagonal shade is the class's recall, "
        "the rest show which classes it is mistaken for.</p>"
    )
    by_slice = {tuple(sorted(m.slice.items())): m for m in matrices}
    overall = by_slice.get(())
    if overall is not None:
        out.append('<div class="cmgrid">' + _matrix_table(overall, "Overall") + "</div>")
    for fam in c.single_families:
        cards = [
            _matrix_table(m, slice_values(g) + (" (reference)" if g == fam.reference else ""))
            for g in fam.groups
            if (m := by_slice.get(tuple(sorted(g.items())))) is not None
        ]
        if cards:
            out.append(f'<h3>{esc(family_label(fam.features))}</h3><div class="cmgrid">')
            out.append("".join(cards) + "</div>")
    out.append("</section>")
    return "".join(out)


def _cell(metric: str, c: ReportContent, group: dict[str, str]) -> str:
    row = c.result(metric, group)
    if row is None:
        return '<td class="r">–</td>'
    if row.value is None:
        return f'<td class="r" title="{esc(row.reason or "")}">undefined</td>'
    ci = ""
    if row.ci_low is not None and row.ci_high is not None:
        ci = f'<span class="ci">{esc(fmt_interval(metric, row.ci_low, row.ci_high))}</span>'
    cls = "r small" if row.status == "insufficient_evidence" else "r"
    return f'<td class="{cls}">{esc(fmt_value(metric, row.value))}{ci}</td>'


def exposure_section(c: ReportContent) -> str:
    """Ranking: each item group's exposure and relevance shares per user group."""
    out = ['<section id="exposure"><h2>Exposure of item groups</h2>']
    per_group: dict[str, list[str]] = {}
    for m in c.metrics:
        item = metric_params(m).get("item_group")
        if item is not None:
            per_group.setdefault(item, []).append(m)
    if not per_group:
        out.append("<p>The log has no item-group exposure rows.</p></section>")
        return "".join(out)
    out.append(
        "<p>Provider-side fairness (Singh and Joachims 2018): the share of attention each "
        "item group receives (exposure, weighted by position) against its share of the "
        "relevance. Disparate exposure is their ratio: 1 when exposure matches merit, below "
        f"1 when the group is under-exposed. Point estimates with {c.vocab.level}% intervals "
        "over queries.</p>"
    )
    groups: list[dict[str, str]] = [{}]
    for fam in c.single_families:
        groups.extend(fam.groups)
    bases = list(dict.fromkeys(base_name(m) for ms in per_group.values() for m in ms))
    head = "".join(f'<th class="r">{esc(metric_label(b))}</th>' for b in bases)
    body = []
    for item, names in per_group.items():
        by_base = {base_name(m): m for m in names}
        for g in groups:
            cells = "".join(
                _cell(by_base[b], c, g) if b in by_base else '<td class="r">–</td>' for b in bases
            )
            body.append(f"<tr><td>{esc(item)}</td><td>{esc(slice_text(g))}</td>{cells}</tr>")
    out.append(
        '<div class="scroll"><table class="data sortable"><thead><tr><th>item group</th>'
        f"<th>user group</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )
    out.append("</section>")
    return "".join(out)


def task_methodology(c: ReportContent) -> str:
    """Methodology of a non-binary log: the intervals and tests its rows record."""
    from equilens.report._html import reference_groups_html  # _html imports this module

    log, v = c.log, c.vocab
    out = ['<section id="methodology"><h2>Methodology and limitations</h2><div class="cols">']
    by_metric: dict[str, Counter[str]] = {}
    for r in log.results:
        if r.ci_method != "none":
            by_metric.setdefault(r.metric, Counter())[r.ci_method] += 1
    rows = "".join(
        f'<tr><td>{esc(metric_label(m))}<span class="ci">{esc(metric_meaning(m, log.task))}'
        "</span></td><td>"
        + esc(", ".join(f"{k} ({n} groups)" for k, n in cnt.most_common()))
        + "</td></tr>"
        for m, cnt in by_metric.items()
    )
    out.append(
        f"<div><h3>Intervals</h3><p>All intervals are {v.level}% confidence intervals. "
        f"{esc(_TASK_METHODS.get(log.task, ''))} The methods used in this audit, as recorded "
        "in each row:</p>"
        '<table class="data"><thead><tr><th>metric</th><th>interval</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )
    tests = Counter(x.test for x in log.comparisons if x.test != "none")
    ranks = Counter(x.rank_test.test for x in log.comparisons if x.rank_test is not None)
    effects = Counter(x.effect_size_name for x in log.comparisons if x.effect_size_name)
    mc = log.multiple_comparisons
    methods = mc.get("methods")
    method_text = ", ".join(str(m) for m in methods) if isinstance(methods, list) else "–"
    out.append(
        "<div><h3>Tests and multiple comparisons</h3><p>Tests used: "
        + esc(", ".join(f"{k} ({n})" for k, n in tests.most_common()) or "none")
        + ". Effect sizes: "
        + esc(", ".join(f"{k} ({n})" for k, n in effects.most_common()) or "none")
        + "."
        + (
            " Rank tests beside the mean comparisons (descriptive, not adjusted): "
            + esc(", ".join(f"{k} ({n})" for k, n in ranks.most_common()))
            + "."
            if ranks
            else ""
        )
        + f" The family of {esc(str(mc.get('size', '–')))} tests is adjusted with "
        f"{esc(method_text)}; conclusions use the Holm-adjusted p-value.</p></div>"
    )
    gap = c.underpowered_gap
    out.append(
        "<div><h3>Small groups and insufficient evidence</h3><p>Groups below the minimum size "
        "are marked <em>insufficient evidence</em>; a comparison that finds no difference is "
        "also insufficient when its minimum detectable difference exceeds "
        + (esc(underpowered_gap_text(gap, c.log.task)) if gap is not None else "the stated gap")
        + ". <em>No difference detected</em> does not show equality.</p></div>"
    )
    out.append(reference_groups_html(log))
    out.append(
        "<div><h3>Limitations</h3><ul>"
        "<li>The audit measures associations in this data set; it does not explain their "
        "causes, and other populations or periods may differ.</li>"
        "<li>Groups are defined by the recorded feature values, which may be missing, "
        "self-reported or wrong, and hide differences within each group.</li>"
        f"<li>{log.bootstrap_draws:,} bootstrap draws, seed {log.seed}: the same seed and "
        "data reproduce every interval.</li></ul></div>"
    )
    out.append("</div></section>")
    return "".join(out)
