"""What ``equilens audit`` prints: a short summary that fits the terminal, and on request
(``--show metrics|criteria|comparisons|all``) the long tables, fitted to its width.

The summary is :func:`equilens.report.summary_data` in words: the conclusion counts, the
largest detected differences with their intervals, the key fairness criteria, the warnings
and the files. Below :data:`MIN_TABLE_WIDTH` columns the tables are skipped with a note (the
words still print). Every string from data is plain text (never markup).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from equilens._pvalue import fmt_p
from equilens._text import plain
from equilens.report._content import (
    fmt_diff,
    fmt_diff_interval,
    fmt_value,
    metric_label,
    metric_short,
    reference_values,
    slice_text,
    slice_values,
)
from equilens.report._log_labels import with_log_labels
from equilens.report._summary import key_criteria, summary_data
from equilens.report._terminal import terminal
from equilens.results import AuditLog, Comparison, MetricResult

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

__all__ = ["MIN_TABLE_WIDTH", "SHOW_CHOICES", "print_brief", "print_tables", "stdout_console"]

MIN_TABLE_WIDTH = 40
SHOW_CHOICES = ("metrics", "criteria", "comparisons", "all")
_CONCLUSION_SHORT = {
    "difference_detected": "detected",
    "no_difference_detected": "no difference",
    "insufficient_evidence": "insufficient",
}
#: Short names of the key binary criteria in the summary's table (the log has the full ones).
_CRITERION_SHORT = {
    "demographic_parity_difference": "demographic parity",
    "disparate_impact_ratio": "disparate impact",
    "equal_opportunity_difference": "equal opportunity",
    "equalized_odds_difference": "equalized odds",
    "predictive_parity_difference": "predictive parity",
}
_CELL = 22  # "0.271 [0.245, 0.298]" plus padding


def stdout_console() -> Console:
    """The console for stdout: the terminal's width on a terminal, else ``$COLUMNS`` or 100
    (logs and CI output are read in ordinary windows too)."""
    width = None
    if not sys.stdout.isatty():
        try:
            width = int(os.environ.get("COLUMNS", "100"))
        except ValueError:
            width = 100
    return terminal(highlight=False, width=width)


def _finding_line(f: Mapping[str, Any]) -> str:
    metric = f["metric"]
    group = slice_text(f["group"])
    ref = "parity" if f["reference"] is None else slice_values(f["reference"])
    return (
        f"{metric_label(metric)}, {group} vs {ref}: {fmt_value(metric, f['value'])} vs "
        f"{fmt_value(metric, f['reference_value'])}, "
        f"{_diff_text(metric, f['difference'], f['ci_low'], f['ci_high'])}, "
        f"p={fmt_p(f['p_holm'], '-')}"
    )


def _diff_text(metric: str, diff: float | None, low: float | None, high: float | None) -> str:
    """'+24.5 pts [+21.8, +27.1]' (points for shares) or '+0.120 [+0.050, +0.190]'."""
    bounds = fmt_diff_interval(metric, low, high).replace(" pts", "").split(" to ", 1)
    return f"{fmt_diff(metric, diff)} [{', '.join(bounds)}]"


def _numbered(console: Console, lines: list[tuple[str, str]]) -> None:
    """Lines with a hanging indent (a wrapped line stays under its text, not its number)."""
    import textwrap

    pad = max(len(mark) for mark, _ in lines) + 1
    width = max(console.width, pad + 20)
    for mark, text in lines:
        wrapped = textwrap.fill(
            text,
            width=width,
            initial_indent=mark.rjust(pad - 1) + " ",
            subsequent_indent=" " * pad,
            break_on_hyphens=False,
        )
        for line in wrapped.splitlines():
            console.print(plain(line), soft_wrap=True)


def _cell(value: float | None, low: float | None, high: float | None) -> str:
    if value is None:
        return "undefined"
    if low is None or high is None:
        return f"{value:.3f}"
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def _criteria_table(log: AuditLog, width: int) -> tuple[RenderableType, int]:
    """Key criteria: one row per criterion, one column per feature that fits; the number of
    features left out."""
    from rich import box
    from rich.table import Table

    rows = key_criteria(log)
    features = list(dict.fromkeys(d.features[0] for d in rows))
    names = list(dict.fromkeys(d.criterion for d in rows))
    labels = {n: _CRITERION_SHORT.get(n, n) for n in names}
    name_width = max((len(v) for v in labels.values()), default=9) + 2
    fit = max(1, (width - name_width) // (_CELL + 1))
    shown = features[:fit]
    cells = {(d.criterion, d.features[0]): d for d in rows}
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("criterion", no_wrap=True, overflow="ellipsis")
    for feat in shown:
        table.add_column(plain(feat), justify="right", no_wrap=True, overflow="ellipsis")
    for name in names:
        values = []
        for feat in shown:
            d = cells.get((name, feat))
            values.append("" if d is None else _cell(d.value, d.ci_low, d.ci_high))
        table.add_row(plain(labels[name]), *(plain(v) for v in values))
    return table, len(features) - len(shown)


@with_log_labels
def print_brief(
    log: AuditLog,
    console: Console | None = None,
    files: Mapping[str, str | Path] | None = None,
    *,
    findings: int = 3,
    intersection_findings: int = 2,
) -> None:
    """The default output of ``equilens audit``: counts, top findings, key criteria,
    warnings and the files written, in well under a screen."""
    from rich.text import Text

    console = console or stdout_console()
    width = console.width
    data = summary_data(log, files, findings=findings, intersection_findings=intersection_findings)
    level = round(log.confidence_level * 100)
    counts = data["comparisons"]
    console.print(
        Text(
            f"{log.task} audit, {log.data.n_rows:,} rows, {counts['total']} comparisons "
            f"(Holm-adjusted p < {data['alpha']:.2g}):",
            style="bold",
        )
    )
    tally = Text()
    for key, label, style in (
        ("difference_detected", "detected", "bold red"),
        ("no_difference_detected", "no difference", ""),
        ("insufficient_evidence", "insufficient evidence", "magenta"),
        ("undefined", "undefined", "dim"),
    ):
        if key != "undefined" or counts[key]:
            if tally:
                tally.append(" · ")
            tally.append(f"{counts[key]} {label}", style=style)
    console.print(tally)
    single = [f for f in data["findings"] if not f["intersection"]]
    inter = [f for f in data["findings"] if f["intersection"]]
    if single:
        console.print(Text(f"Largest differences (vs reference, [{level}% CI], p):", style="bold"))
        _numbered(console, [(f"{i}.", _finding_line(f)) for i, f in enumerate(single, 1)])
    else:
        console.print(
            "No single-feature group differs detectably from its reference (this is not "
            "evidence of equal treatment: see the insufficient-evidence count)."
        )
    if inter:
        console.print(Text("Within intersections:", style="bold"))
        _numbered(console, [("-", _finding_line(f)) for f in inter])
    if width < MIN_TABLE_WIDTH:
        console.print(
            f"(terminal narrower than {MIN_TABLE_WIDTH} columns: tables skipped; the report "
            "has them)"
        )
    elif data["criteria"]:
        table, left_out = _criteria_table(log, width)
        console.print(Text(f"Key fairness criteria, between groups ({level}% CI):", style="bold"))
        console.print(table)
        if left_out:
            console.print(f"  ({left_out} more feature(s): --show criteria)")
    # A warning listing 25 groups is cut to two lines; the log and the report have it all.
    room = max(2 * width - 12, 60)
    for w in data["warnings"]:
        text = w if len(w) <= room else w[: room - 1] + "…"
        line = Text("warning: ", style="yellow")
        line.append_text(plain(text))
        console.print(line)
    more = "the tables: --show metrics|criteria|comparisons|all"
    if files:
        paths = [Path(p) for p in files.values()]
        folder = paths[0].parent
        names = (
            ", ".join(p.name for p in paths)
            if all(p.parent == folder for p in paths)
            else ", ".join(str(p) for p in paths)
        )
        where = f" to {folder}" if all(p.parent == folder for p in paths) else ""
        console.print(plain(f"Wrote {names}{where}; {more}"))
    else:
        console.print(plain(more[0].upper() + more[1:]))


# -- the long tables ---------------------------------------------------------------------------


def _metrics_tables(log: AuditLog, width: int) -> list[RenderableType]:
    """Every metric of every slice, the metric columns split into tables that fit ``width``."""
    from rich import box
    from rich.table import Table

    level = round(log.confidence_level * 100)
    by_slice: dict[str, dict[str, MetricResult]] = {}
    counts: dict[str, int] = {}
    for row in log.results:
        key = slice_text(row.slice)
        by_slice.setdefault(key, {})[row.metric] = row
        counts[key] = row.n
    # "count" repeats the n column
    metrics = [m for m in dict.fromkeys(r.metric for r in log.results) if m != "count"]
    group_width = min(max((len(k) for k in by_slice), default=8), max(12, width // 3)) + 8
    per_table = max(1, (width - group_width) // (_CELL + 1))
    out: list[RenderableType] = []
    for start in range(0, len(metrics), per_table):
        chunk = metrics[start : start + per_table]
        table = Table(
            title=f"Metrics by group (value [{level}% CI]), {start + 1}-{start + len(chunk)} "
            f"of {len(metrics)}",
            box=box.SIMPLE_HEAD,
        )
        table.add_column("group", overflow="fold", max_width=max(12, width // 3))
        table.add_column("n", justify="right", no_wrap=True)
        for m in chunk:
            table.add_column(plain(metric_short(m)), justify="right", overflow="fold")
        for key, rows in by_slice.items():
            cells = []
            for m in chunk:
                r = rows.get(m)
                text = "" if r is None else _cell(r.value, r.ci_low, r.ci_high)
                if r is not None and r.status == "insufficient_evidence":
                    text += " (small)"
                cells.append(text)
            table.add_row(plain(key), str(counts[key]), *cells)
        out.append(table)
    return out


_Column = tuple[str, int, int]  # header, minimum width, priority (0 = always kept)


def _fitted_table(
    title: str, columns: list[_Column], rows: list[list[str]], width: int
) -> RenderableType:
    """A table of ``rows`` with the columns that fit ``width`` at their minimum widths
    (dropping the highest priority numbers first); a caption names what was left out."""
    from rich import box
    from rich.table import Table

    keep = list(range(len(columns)))
    for i in sorted(keep, key=lambda i: -columns[i][2]):
        if sum(columns[j][1] + 2 for j in keep) <= width or columns[i][2] == 0:
            break
        keep.remove(i)
    dropped = [columns[i][0] for i in range(len(columns)) if i not in keep]
    caption = f"(left out to fit: {', '.join(dropped)}; widen the terminal)" if dropped else None
    table = Table(title=title, caption=caption, box=box.SIMPLE_HEAD, pad_edge=False)
    for i in keep:
        table.add_column(columns[i][0], overflow="fold")
    for row in rows:
        table.add_row(*(plain(row[i]) for i in keep))
    return table


def _criteria_long(log: AuditLog, width: int) -> RenderableType:
    level = round(log.confidence_level * 100)
    rows = []
    for d in log.disparities:
        note = d.reason or ""
        if d.four_fifths_rule:
            note = f"four-fifths rule: {d.four_fifths_rule}"
        rows.append(
            [
                d.criterion,
                " x ".join(d.features),
                d.method,
                _cell(d.value, d.ci_low, d.ci_high),
                note,
            ]
        )
    columns = [
        ("criterion", 16, 0),
        ("features", 9, 0),
        ("method", 14, 1),
        (f"value [{level}% CI]", 20, 0),
        ("note", 16, 2),
    ]
    return _fitted_table(f"Fairness criteria ({len(rows)})", columns, rows, width)


def _comparisons_long(log: AuditLog, width: int) -> RenderableType:
    level = round(log.confidence_level * 100)
    tests: list[Comparison] = [c for c in log.comparisons if c.derived_from is None]
    rows = [
        [
            metric_short(c.metric),
            slice_text(c.slice),
            reference_values(c),
            _diff_text(c.metric, c.difference, c.difference_ci_low, c.difference_ci_high),
            fmt_p(c.p_holm, "-"),
            _CONCLUSION_SHORT.get(c.conclusion, c.conclusion),
        ]
        for c in tests
    ]
    columns = [
        ("metric", 9, 0),
        ("group", 14, 0),
        ("reference", 10, 2),
        (f"difference [{level}% CI]", 22, 0),
        ("p (Holm)", 8, 0),
        ("conclusion", 12, 1),
    ]
    title = f"Comparisons with the reference ({len(tests)} tests)"
    return _fitted_table(title, columns, rows, width)


@with_log_labels
def print_tables(log: AuditLog, show: Sequence[str], console: Console | None = None) -> None:
    """The long tables ``show`` names (``metrics``, ``criteria``, ``comparisons``, ``all``),
    fitted to the console's width; paged when they outrun a terminal's height."""
    console = console or stdout_console()
    if console.width < MIN_TABLE_WIDTH:
        console.print(f"(terminal narrower than {MIN_TABLE_WIDTH} columns: tables skipped)")
        return
    wanted = set(SHOW_CHOICES[:3]) if "all" in show else set(show)
    parts: list[RenderableType] = []
    if "metrics" in wanted:
        parts += _metrics_tables(log, console.width)
    if "criteria" in wanted:
        parts.append(_criteria_long(log, console.width))
    if "comparisons" in wanted:
        parts.append(_comparisons_long(log, console.width))
    if console.is_terminal:
        with console.capture() as cap:
            for part in parts:
                console.print(part)
        if cap.get().count("\n") > console.height:
            with console.pager(styles=True):
                for part in parts:
                    console.print(part)
            return
    for part in parts:
        console.print(part)
