"""HTML of generation quality: corpus scores per slice, comparisons, human ratings, verdicts.

``text_quality_section(log)`` is the section of a ``measure`` log written by
``equilens textmetrics`` (its ``text_quality`` field); ``render_text_quality(doc)`` is the
standalone page of ``textmetrics.json`` (with ratings: agreement, triangulation and the
verdict table). Every value from data or models is escaped; no external resource.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from equilens._pvalue import fmt_p


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _num(value: Any, digits: int = 2) -> str:
    return "n/a" if value is None else f"{float(value):.{digits}f}"


def _ci(row: Mapping[str, Any], digits: int = 2, lo: str = "ci_low", hi: str = "ci_high") -> str:
    if row.get(lo) is None or row.get(hi) is None:
        return "no interval"
    return f"[{_num(row[lo], digits)}, {_num(row[hi], digits)}]"


def _pair(bounds: Sequence[Any]) -> str:
    if not bounds or bounds[0] is None or bounds[1] is None:
        return "no interval"
    return f"[{_num(bounds[0])}, {_num(bounds[1])}]"


def _join(values: Sequence[str] | None) -> str:
    return ", ".join(values or []) or "none"


def _coef(row: Mapping[str, Any]) -> str:
    return str(row["metric"]) + (f" {row['form']}" if row.get("form") else "")


def _slice(row: Mapping[str, Any]) -> str:
    return "overall" if row.get("feature") is None else f"{row['feature']}={row['group']}"


def _methods(rows: Sequence[Mapping[str, Any]], key: str, default: str = "not recorded") -> str:
    """The distinct values of ``key`` over ``rows`` (the methods behind a table)."""
    found = dict.fromkeys(str(r[key]) for r in rows if r.get(key))
    return "; ".join(found) or default


def _tests(rows: Sequence[Mapping[str, Any]], interval: str) -> str:
    """The tests and interval methods of a comparison table, in one sentence."""
    return f"Tests: {_methods(rows, 'test')}. Intervals: {_methods(rows, 'ci_method', interval)}."


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table; cells are already escaped HTML."""
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _p(row: Mapping[str, Any]) -> str:
    p = row.get("p_holm", row.get("p_value"))
    return _e(fmt_p(p)) if p is not None else "n/a"


def corpus_tables_html(section: Mapping[str, Any]) -> str:
    """Corpus scores per slice, system comparisons and group comparisons."""
    out = []
    corpus = section.get("corpus") or []
    if corpus:
        clustered = any("n_clusters" in r for r in corpus)
        out.append("<h3>Corpus scores per slice (95% intervals)</h3>")
        out.append(f"<p>Intervals: {_e(_methods(corpus, 'ci_method'))}.</p>")
        out.append(
            _table(
                ["system", "metric", "slice", "segments"]
                + (["clusters"] if clustered else [])
                + ["score", "95% interval"],
                [
                    [_e(r["system"]), _e(r["metric"]), _e(_slice(r)), _e(r["n_segments"])]
                    + ([_e(r.get("n_clusters"))] if clustered else [])
                    + [_num(r["value"]), _ci(r)]
                    for r in corpus
                ],
            )
        )
    groups = section.get("group_comparisons") or []
    if groups:
        out.append("<h3>Each group against the rest (Holm)</h3>")
        out.append(f"<p>{_e(_tests(groups, 'bootstrap percentile'))}</p>")
        out.append(
            _table(
                ["system", "metric", "group", "difference", "95% interval", "p (Holm)"],
                [
                    [
                        _e(r["system"]),
                        _e(r["metric"]),
                        _e(_slice(r)),
                        _num(r["difference_vs_rest"]),
                        _ci(r),
                        _p(r),
                    ]
                    for r in groups
                ],
            )
        )
    systems = section.get("system_comparisons") or []
    if systems:
        out.append("<h3>Systems against the baseline (paired, Holm)</h3>")
        out.append(f"<p>{_e(_tests(systems, 'paired bootstrap percentile'))}</p>")
        out.append(
            _table(
                ["system", "baseline", "metric", "slice", "difference", "95% interval", "p (Holm)"],
                [
                    [
                        _e(r["system"]),
                        _e(r["baseline"]),
                        _e(r["metric"]),
                        _e(_slice(r)),
                        _num(r["difference"]),
                        _ci(r),
                        _p(r),
                    ]
                    for r in systems
                ],
            )
        )
    signatures = section.get("signatures") or {}
    if signatures:
        items = "".join(f"<li>{_e(k)}: <code>{_e(v)}</code></li>" for k, v in signatures.items())
        out.append(f"<p>sacrebleu signatures:</p><ul>{items}</ul>")
    return "".join(out)


def text_quality_section(section: Mapping[str, Any] | None) -> str:
    """The section of a textmetrics log (empty when the log has none)."""
    if not section:
        return ""
    body = corpus_tables_html(section)
    note = section.get("note") or ""
    settings = section.get("settings")
    extra = f"<p>Settings: <code>{_e(settings)}</code></p>" if settings else ""
    return (
        '<section id="text-quality"><h2>Text quality</h2>'
        f"<p>System <b>{_e(section.get('system'))}</b>, metric <b>{_e(section.get('metric'))}"
        f"</b>. {_e(note)}</p>{extra}{body}</section>"
    )


def _verdicts(rows: Sequence[Mapping[str, Any]]) -> str:
    def diff(d: Mapping[str, Any] | None) -> str:
        if not d:
            return "reference"
        return f"{_num(d['difference'])} (p {_e(fmt_p(d['p_holm']))})"

    return _table(
        [
            "criterion",
            "metric",
            "slice",
            "automatic",
            "vs reference",
            "human mean",
            "vs reference",
            "agreement (alpha)",
            "Spearman",
            "flags",
        ],
        [
            [
                _e(r["criterion"]),
                _e(r["metric"]),
                _e(_slice(r)),
                f"{_num(r['automatic']['value'])} {_ci(r['automatic'])}",
                diff(r["automatic"].get("vs_reference")),
                f"{_num(r['human']['value'])} {_ci(r['human'])}",
                diff(r["human"].get("vs_reference")),
                f"{_num(r['agreement']['value'])} {_ci(r['agreement'])}"
                if r.get("agreement")
                else "n/a",
                _num(r.get("spearman")),
                "<b>" + _e(", ".join(r["flags"])) + "</b>" if r["flags"] else "none",
            ]
            for r in rows
        ],
    )


def render_text_quality(doc: Mapping[str, Any]) -> str:
    """The standalone page of ``textmetrics.json``."""
    parts = ["<h1>equilens textmetrics</h1>"]
    settings = doc.get("settings", {})
    parts.append(
        f"<p>Systems {_e(', '.join(settings.get('hypothesis', [])))} against "
        f"{_e(settings.get('reference'))}; slices {_e(_join(settings.get('sensitive')))}."
        " Sentence-level metrics per group, with intervals and tests, are in the audit logs "
        f"({_e(', '.join(doc.get('logs', {}).values()))}).</p>"
    )
    if doc.get("verdicts"):
        parts.append("<h2>Verdict per slice: automatic metric, humans, agreement</h2>")
        parts.append(
            "<p>Flags: <b>weak</b> the metric barely tracks the human criterion here (upper "
            "bound of Spearman's rho below 0.3); <b>missed</b> humans see a significant "
            "difference from the reference group that the metric does not; <b>direction</b> "
            "the two disagree in sign.</p>"
        )
        parts.append(_verdicts(doc["verdicts"]))
    parts.append(corpus_tables_html(doc))
    for name, rows in (doc.get("perplexity") or {}).items():
        parts.append(f"<h3>Perplexity of {_e(name)} (exp of cross-entropy per token)</h3>")
        parts.append(
            _table(
                ["slice", "perplexity", "95% interval"],
                [
                    [
                        _e(", ".join(f"{k}={v}" for k, v in r["slice"].items()) or "overall"),
                        _num(r["perplexity"]),
                        _ci(r),
                    ]
                    for r in rows
                ],
            )
        )
    if doc.get("agreement"):
        parts.append("<h2>Agreement between raters</h2>")
        parts.append(
            _table(
                ["criterion", "slice", "coefficient", "value", "95% interval", "items", "raters"],
                [
                    [
                        _e(r["criterion"]),
                        _e(_slice(r)),
                        _e(_coef(r)),
                        _num(r.get("value"), 3),
                        _ci(r, 3),
                        _e(r["n_items"]),
                        _e(r["n_raters"]),
                    ]
                    for r in doc["agreement"]
                ],
            )
        )
    if doc.get("triangulation"):
        parts.append("<h2>Metric against humans (rank correlation, Fisher-z 95%)</h2>")
        parts.append(
            _table(
                [
                    "criterion",
                    "metric",
                    "slice",
                    "items",
                    "Spearman",
                    "interval",
                    "Kendall",
                    "interval",
                ],
                [
                    [
                        _e(r["criterion"]),
                        _e(r["metric"]),
                        _e(_slice(r)),
                        _e(r["n_items"]),
                        _num(r["spearman"]),
                        _pair(r["spearman_ci"]),
                        _num(r["kendall"]),
                        _pair(r["kendall_ci"]),
                    ]
                    for r in doc["triangulation"]
                ],
            )
        )
    style = (
        "body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
        "padding:.25em .5em;text-align:left}th{background:#f4f4f4}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>equilens textmetrics</title><style>{style}</style></head><body>"
        + "".join(parts)
        + "</body></html>\n"
    )


def text_quality_lines(section: Mapping[str, Any] | None) -> list[str]:
    """Markdown lines of a textmetrics log's corpus scores (none when the log has none)."""
    from equilens._text import md_escape

    if not section or not section.get("corpus"):
        return []
    lines = [
        f"## Corpus {md_escape(str(section.get('metric')))} per slice (95% intervals)",
        "",
        f"Intervals: {md_escape(_methods(section['corpus'], 'ci_method'))}.",
        "",
        "| system | slice | segments | clusters | score | 95% interval |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in section["corpus"]:
        clusters = r.get("n_clusters", "none")
        lines.append(
            f"| {md_escape(str(r['system']))} | {md_escape(_slice(r))} | {r['n_segments']} | "
            f"{clusters} | {_num(r['value'])} | {_ci(r)} |"
        )
    return [*lines, ""]
