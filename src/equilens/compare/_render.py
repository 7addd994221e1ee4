"""Markdown (pull-request comment) and self-contained HTML views of a comparison.

Everything from the document is escaped: :func:`equilens.report.md_escape` for Markdown,
``html_escape`` for HTML. The HTML page has no scripts and no external resources.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from equilens._pvalue import fmt_p
from equilens._text import html_escape, md_escape
from equilens.compare._finish import fmt_ci
from equilens.compare._model import DisparityChange, MetricChange, RunComparison
from equilens.exceptions import InvalidInputError, LogFormatError
from equilens.results import base_name, task_metric_spec

#: Metrics shown in the per-group tables (every metric is in the JSON).
KEY_METRICS = (
    "roc_auc_score",
    "selection_rate",
    "accuracy_score",
    "true_positive_rate",
    "false_positive_rate",
    "precision_score",
)
#: Criteria shown in the tables (every criterion is in the JSON).
KEY_CRITERIA = (
    "demographic_parity_difference",
    "disparate_impact_ratio",
    "equal_opportunity_difference",
    "equalized_odds_difference",
    "predictive_parity_difference",
    "accuracy_difference",
)


def group_label(mapping: dict[str, str]) -> str:
    """``sex=female, age=<25`` or ``overall``."""
    return ", ".join(f"{k}={v}" for k, v in mapping.items()) or "overall"


def value_text(value: float | None, lo: float | None, hi: float | None) -> str:
    """``0.812 [0.790, 0.833]``, ``0.812 [no interval]`` or ``undefined``."""
    if value is None:
        return "undefined"
    return f"{value:.3f} {fmt_ci(lo, hi)}"


def change_text(row: MetricChange | DisparityChange) -> str:
    """``+0.031 [+0.012, +0.050]`` or ``undefined``."""
    if row.change is None:
        return "undefined"
    return f"{row.change:+.3f} {fmt_ci(row.change_ci_low, row.change_ci_high, signed=True)}"


def conclusion_text(row: MetricChange | DisparityChange) -> str:
    """The conclusion with its direction, e.g. ``change detected (widened)``."""
    text = row.conclusion.replace("_", " ")
    return f"{text} ({row.direction})" if row.direction else text


def _other_task(name: str) -> bool:
    """Whether a row's metric is another task's (``recall_score[class=7]``, ``mean``): all of
    those are shown, binary rows only when they are key metrics."""
    return name != base_name(name) or task_metric_spec(name, "binary") is None


def shown_metrics(result: RunComparison) -> list[MetricChange]:
    """Key metrics on every slice (every metric of another task's logs), in a stable order."""
    order = {m: i for i, m in enumerate(KEY_METRICS)}
    rows = [m for m in result.metrics if m.metric in order or _other_task(m.metric)]
    names = list(dict.fromkeys(m.metric for m in rows))
    return sorted(
        rows,
        key=lambda m: (order.get(m.metric, len(order) + names.index(m.metric)), len(m.slice) > 0),
    )


def shown_disparities(result: RunComparison) -> list[DisparityChange]:
    """Key criteria (per class too: ``..._difference[class=7]``), in a stable order."""
    order = {c: i for i, c in enumerate(KEY_CRITERIA)}
    rows = [d for d in result.disparities if base_name(d.criterion) in order]
    return sorted(rows, key=lambda d: (order[base_name(d.criterion)], len(d.features)))


def intervals_note(result: RunComparison) -> str:
    """One sentence on which interval each verdict reads."""
    return (
        "Change intervals are unadjusted (they agree with the raw p-value); change detected "
        "needs the Holm p below alpha, and no change detected needs the family's Bonferroni "
        f"interval (adjusted_ci in the JSON) to contain 0 and lie within "
        f"+/-{result.underpowered_gap:g}."
    )


def _sizes(family: dict[str, object]) -> str:
    sizes = family.get("sizes")
    if not isinstance(sizes, dict):
        return "see the JSON"
    return ", ".join(f"{k}: {v} tests" for k, v in sizes.items())


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(md_escape(h) for h in header) + " |"]
    out.append("|" + "|".join("---" for _ in header) + "|")
    out.extend("| " + " | ".join(md_escape(c) for c in row) + " |" for row in rows)
    return out


def render_markdown(result: RunComparison) -> str:
    """GitHub-flavoured Markdown for a pull-request comment."""
    level = round(result.confidence_level * 100)
    b, c = result.base.label, result.candidate.label
    lines = [
        f"## equilens compare: {md_escape(b)} vs {md_escape(c)}",
        "",
        f"**Design:** {md_escape(result.design)}. {md_escape(result.design_note)}",
        "",
        f"**Data:** {md_escape(result.data_check.message)}",
        "",
    ]
    lines += [f"- {md_escape(h)}" for h in result.headline]
    lines.append("")
    if result.regressions:
        lines.append(f"**Disparities that widened significantly ({len(result.regressions)}):**")
        lines += [f"- {md_escape(r)}" for r in result.regressions]
        lines.append("")
    lines.append(
        f"### Fairness criteria ({level}% intervals; change = {md_escape(c)} minus {md_escape(b)})"
    )
    lines.append("")
    lines += _md_table(
        ["criterion", "groups", "method", b, c, "change", "p (Holm)", "conclusion"],
        [
            [
                d.criterion,
                " x ".join(d.features),
                d.method,
                value_text(d.base, d.base_ci_low, d.base_ci_high),
                value_text(d.candidate, d.candidate_ci_low, d.candidate_ci_high),
                change_text(d),
                fmt_p(d.p_holm),
                conclusion_text(d),
            ]
            for d in shown_disparities(result)
        ],
    )
    lines += ["", "<details><summary>Key metrics by group</summary>", ""]
    lines += _md_table(
        ["metric", "group", "n", b, c, "change", "test", "p (Holm)", "conclusion"],
        [
            [
                m.metric,
                group_label(m.slice),
                str(m.n_base) if m.n_base == m.n_candidate else f"{m.n_base} / {m.n_candidate}",
                value_text(m.base, m.base_ci_low, m.base_ci_high),
                value_text(m.candidate, m.candidate_ci_low, m.candidate_ci_high),
                change_text(m),
                m.test,
                fmt_p(m.p_holm),
                conclusion_text(m),
            ]
            for m in shown_metrics(result)
        ],
    )
    lines += ["", "</details>", ""]
    family = result.multiple_comparisons
    lines.append(
        f"p (Holm): adjusted within each family ({md_escape(_sizes(family))}). Every metric "
        "and criterion is in the JSON output. " + md_escape(intervals_note(result))
    )
    for w in result.warnings:
        lines.append(f"\n> warning: {md_escape(w)}")
    return "\n".join(lines) + "\n"


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1b1f24;
max-width:1200px}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border-bottom:1px solid #d0d7de;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
.headline li{margin:.3rem 0}.note{color:#57606a;font-size:.9rem}
.b-change_detected{color:#9a6700;font-weight:600}.b-widened,.b-worse{color:#cf222e;font-weight:600}
.b-narrowed,.b-better{color:#1a7f37;font-weight:600}.b-insufficient_evidence{color:#8250df}
.b-undefined{color:#6e7781}.warn{background:#fff8c5;padding:.5rem;border-radius:4px}
"""


def _cell(text: str, cls: str = "") -> str:
    attr = f' class="{html_escape(cls)}"' if cls else ""
    return f"<td{attr}>{html_escape(text)}</td>"


def _conclusion_cell(row: MetricChange | DisparityChange) -> str:
    cls = f"b-{row.direction}" if row.direction else f"b-{row.conclusion}"
    return _cell(conclusion_text(row), cls)


def _html_table(header: Sequence[str], rows: Sequence[str]) -> str:
    head = "".join(f"<th>{html_escape(h)}</th>" for h in header)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_html_section(result: RunComparison) -> str:
    """The comparison as an HTML ``<section>`` (to embed in another page)."""
    level = round(result.confidence_level * 100)
    b, c = result.base.label, result.candidate.label
    e = html_escape
    parts = [
        '<section class="equilens-compare">',
        f"<h1>Comparison: {e(b)} vs {e(c)}</h1>",
        f'<p class="note"><b>Design: {e(result.design)}.</b> {e(result.design_note)}</p>',
        f'<p class="note"><b>Data:</b> {e(result.data_check.message)}</p>',
        '<ul class="headline">' + "".join(f"<li>{e(h)}</li>" for h in result.headline) + "</ul>",
    ]
    if result.regressions:
        parts.append(
            '<div class="warn"><b>Disparities that widened significantly</b><ul>'
            + "".join(f"<li>{e(r)}</li>" for r in result.regressions)
            + "</ul></div>"
        )
    parts.append(f"<h2>Fairness criteria ({level}% intervals; change = {e(c)} minus {e(b)})</h2>")
    parts.append(
        _html_table(
            ["criterion", "groups", "method", b, c, "change", "test", "p (Holm)", "conclusion"],
            [
                "<tr>"
                + _cell(d.criterion)
                + _cell(" x ".join(d.features))
                + _cell(d.method)
                + _cell(value_text(d.base, d.base_ci_low, d.base_ci_high), "num")
                + _cell(value_text(d.candidate, d.candidate_ci_low, d.candidate_ci_high), "num")
                + _cell(change_text(d), "num")
                + _cell(d.test)
                + _cell(fmt_p(d.p_holm), "num")
                + _conclusion_cell(d)
                + "</tr>"
                for d in shown_disparities(result)
            ],
        )
    )
    parts.append(f"<h2>Key metrics by group ({level}% intervals)</h2>")
    parts.append(
        _html_table(
            ["metric", "group", "n", b, c, "change", "test", "p (Holm)", "conclusion"],
            [
                "<tr>"
                + _cell(m.metric)
                + _cell(group_label(m.slice))
                + _cell(
                    str(m.n_base) if m.n_base == m.n_candidate else f"{m.n_base} / {m.n_candidate}",
                    "num",
                )
                + _cell(value_text(m.base, m.base_ci_low, m.base_ci_high), "num")
                + _cell(value_text(m.candidate, m.candidate_ci_low, m.candidate_ci_high), "num")
                + _cell(change_text(m), "num")
                + _cell(m.test)
                + _cell(fmt_p(m.p_holm), "num")
                + _conclusion_cell(m)
                + "</tr>"
                for m in shown_metrics(result)
            ],
        )
    )
    family = result.multiple_comparisons
    parts.append(
        f'<p class="note">p (Holm): adjusted within each family ({e(_sizes(family))}); '
        "Benjamini-Hochberg values and every metric and criterion are in the JSON output. "
        f"{e(intervals_note(result))}</p>"
    )
    for w in result.warnings:
        parts.append(f'<p class="warn">{e(w)}</p>')
    parts.append("</section>")
    return "\n".join(parts)


def render_html(result: RunComparison) -> str:
    """A self-contained HTML page (inline CSS, no scripts, opens offline)."""
    title = html_escape(f"equilens compare: {result.base.label} vs {result.candidate.label}")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">"
        f"<title>{title}</title><style>{_CSS}</style></head><body>\n"
        f"{render_html_section(result)}\n</body></html>\n"
    )


def read_comparison(path: str | Path) -> RunComparison:
    """Read a comparison written as JSON (``RunComparison.to_json``)."""
    p = Path(path)
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInputError(f"Comparison file not found: {p}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"Cannot read comparison {p}: {exc}") from None
    except RecursionError:  # a 20,000-deep document: name the file, not a bare RecursionError
        raise LogFormatError(
            f"{p} is not an equilens comparison: its JSON is nested too deeply to read"
        ) from None
    if not isinstance(raw, dict) or raw.get("kind") != "equilens-comparison":
        raise LogFormatError(f"{p} is not an equilens comparison (kind is not equilens-comparison)")
    try:
        return RunComparison.model_validate(raw)
    except RecursionError:
        raise LogFormatError(
            f"{p} is not an equilens comparison: its JSON is nested too deeply to read"
        ) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise LogFormatError(f"{p} is not a valid comparison: {where}: {first['msg']}") from None
