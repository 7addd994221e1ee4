"""Terminal rendering of audit and probe logs (rich): what the CLI prints.

Every string from data is printed as plain text (never markup), and :func:`terminal` shows
any control or bidi character as U+FFFD, whatever renderable carries it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from equilens._pvalue import fmt_p
from equilens._text import clean_text, plain
from equilens.report._log_labels import with_log_labels
from equilens.results import AuditLog, Comparison, MetricResult, base_name

if TYPE_CHECKING:  # rich is imported when something is printed (not by `audit --quiet`)
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

__all__ = ["KEY_CRITERIA", "KEY_METRICS", "print_probe_summary", "print_summary", "terminal"]

KEY_METRICS = {
    "selection_rate": "selection rate",
    "base_rate": "base rate",
    "true_positive_rate": "TPR",
    "false_positive_rate": "FPR",
    "precision_score": "precision",
    "accuracy_score": "accuracy",
    "roc_auc_score": "ROC-AUC",
}
KEY_CRITERIA = (
    "demographic_parity_difference",
    "disparate_impact_ratio",
    "equal_opportunity_difference",
    "equalized_odds_difference",
    "predictive_parity_difference",
)


def _fmt(row: MetricResult) -> str:
    if row.value is None:
        return "undefined"
    text = f"{row.value:.3f}"
    if row.ci_low is not None and row.ci_high is not None:
        text += f" [{row.ci_low:.3f}, {row.ci_high:.3f}]"
    if row.status == "insufficient_evidence":
        text += " (small)"
    return text


def _num(x: float | None, spec: str = ".3f") -> str:
    return "-" if x is None else format(x, spec)


def _label(mapping: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in mapping.items()) or "overall"


def _reference_label(c: Comparison) -> str:
    from equilens.report._content import against_parity, reference_values

    return reference_values(c) if against_parity(c) else _label(c.reference)


def terminal(*, stderr: bool = False, width: int | None = None, highlight: bool = False) -> Console:
    """The console every subcommand prints with: strings are never markup, and no control or
    bidi character from data reaches the terminal (each is shown as U+FFFD, after
    :func:`equilens._text.clean_text`), whatever renderable carries it.
    """
    from rich.console import Console, ConsoleOptions, RenderableType
    from rich.segment import Segment

    class _Clean(Console):
        def render(
            self, renderable: RenderableType, options: ConsoleOptions | None = None
        ) -> Iterator[Segment]:
            for seg in super().render(renderable, options):
                if seg.control or (seg.text.isascii() and seg.text.isprintable()):
                    yield seg
                else:
                    yield Segment(clean_text(seg.text, keep_newlines=True), seg.style)

    return _Clean(stderr=stderr, width=width, highlight=highlight, markup=False, emoji=False)


@with_log_labels
def print_summary(log: AuditLog, console: Console | None = None) -> None:
    """Per-group key metrics with intervals, disparities and detected differences."""
    from rich.table import Table

    if console is None:
        # Logs and CI output are not terminals: give tables all the room they need (a table
        # is only as wide as its content) instead of squashing columns into 80.
        console = terminal(highlight=True, width=None if sys.stdout.isatty() else 1000)
    level = round(log.confidence_level * 100)
    if log.task != "binary":
        _print_task_summary(log, console, level)
        return
    by_slice: dict[str, dict[str, MetricResult]] = {}
    counts: dict[str, int] = {}
    for row in log.results:
        key = _label(row.slice)
        by_slice.setdefault(key, {})[row.metric] = row
        counts[key] = row.n
    shown = [m for m in KEY_METRICS if any(m in v for v in by_slice.values())]
    table = Table(title=f"Metrics by group (point estimate [{level}% CI])", show_lines=False)
    table.add_column("group", no_wrap=True, min_width=12)
    table.add_column("n", justify="right", no_wrap=True)
    for m in shown:
        table.add_column(KEY_METRICS[m], justify="right", no_wrap=True)
    for key, rows in by_slice.items():
        table.add_row(
            plain(key), str(counts[key]), *[_fmt(rows[m]) if m in rows else "" for m in shown]
        )
    console.print(table)

    disp = Table(title="Key fairness criteria (between groups; all criteria are in the log)")
    for col in ("criterion", "features", "value", f"{level}% CI", "note"):
        disp.add_column(col)
    for d in log.disparities:
        if d.method != "between_groups" or d.criterion not in KEY_CRITERIA:
            continue
        ci = f"[{d.ci_low:.3f}, {d.ci_high:.3f}]" if d.ci_low is not None else "-"
        value = f"{d.value:.3f}" if d.value is not None else "undefined"
        note = d.reason or ""
        if d.four_fifths_rule:
            note = f"four-fifths rule: {d.four_fifths_rule}"
        disp.add_row(plain(d.criterion), plain(" x ".join(d.features)), value, ci, plain(note))
    console.print(disp)

    # A derived row (FNR from TPR) repeats its source's test: list each test once.
    console.print(
        _detected_table(log, level, order=lambda c: -abs(c.difference or 0.0), with_tests=False)
    )
    _print_warnings(log, console)


def _print_task_summary(log: AuditLog, console: Console, level: int) -> None:
    """The summary of a non-binary log: its headline metrics, criteria and comparisons."""
    from rich.table import Table

    from equilens.report._task_content import (
        headline_table,
    )

    headers, rows = headline_table(log, _fmt)
    table = Table(
        title=f"Metrics by group, {log.task} task (point estimate [{level}% CI])", show_lines=False
    )
    for i, head in enumerate(headers):
        table.add_column(head, justify="left" if i == 0 else "right", no_wrap=True)
    for cells in rows:
        table.add_row(*(plain(c) for c in cells))
    console.print(table)

    shown = [
        d
        for d in log.disparities
        if d.method == "between_groups" and base_name(d.criterion) in KEY_CRITERIA
    ]
    if shown:
        disp = Table(title="Key fairness criteria (between groups; all criteria are in the log)")
        for col in ("criterion", "features", "value", f"{level}% CI", "note"):
            disp.add_column(col)
        for d in shown[:20]:
            ci = f"[{d.ci_low:.3f}, {d.ci_high:.3f}]" if d.ci_low is not None else "-"
            value = f"{d.value:.3f}" if d.value is not None else "undefined"
            disp.add_row(
                plain(d.criterion), plain(" x ".join(d.features)), value, ci, plain(d.reason or "")
            )
        console.print(disp)

    console.print(
        _detected_table(
            log,
            level,
            order=lambda c: c.p_holm if c.p_holm is not None else 1.0,
            with_tests=True,
        )
    )
    _print_warnings(log, console)


def _detected_table(
    log: AuditLog, level: int, *, order: Callable[[Comparison], float], with_tests: bool
) -> Table:
    """The comparisons whose difference was detected, each test once (derived rows repeat
    their source's), in ``order``; ``with_tests`` adds the test and effect-size columns."""
    from rich.table import Table

    from equilens.report._task_content import comparison_test_text, effect_size_text

    tests = [c for c in log.comparisons if c.derived_from is None]
    detected = sorted((c for c in tests if c.conclusion == "difference_detected"), key=order)
    comp = Table(
        title=f"Differences detected (Holm-adjusted p < {1 - log.confidence_level:.2g}), "
        f"{len(detected)} of {len(tests)} comparisons"
    )
    columns = ["metric", "group", "reference", "difference", f"{level}% CI"]
    columns += ["test", "effect size"] if with_tests else []
    for col in (*columns, "p (Holm)"):
        comp.add_column(col)
    for c in detected[:15]:
        ci = (
            f"[{c.difference_ci_low:+.3f}, {c.difference_ci_high:+.3f}]"
            if c.difference_ci_low is not None and c.difference_ci_high is not None
            else "-"
        )
        cells: list[Text | str] = [
            plain(c.metric),
            plain(_label(c.slice)),
            plain(_reference_label(c)),
            f"{c.difference:+.3f}" if c.difference is not None else "-",
            ci,
        ]
        if with_tests:
            cells += [plain(comparison_test_text(c)), effect_size_text(c)]
        comp.add_row(*cells, fmt_p(c.p_holm, "-"))
    return comp


def _print_warnings(log: AuditLog, console: Console) -> None:
    for w in log.warnings:
        line = plain("warning: ", style="yellow")
        line.append_text(plain(w))
        console.print(line, highlight=False)


def print_probe_summary(
    log: AuditLog,
    pairs: list[Any],
    failures: list[Any],
    show: int,
    console: Console | None = None,
) -> None:
    """Comparisons with adjusted p-values, then the most-changed pairs verbatim (escaped)."""
    from rich.table import Table

    if console is None:
        console = terminal(highlight=True, width=None if sys.stdout.isatty() else 200)
    level = round(log.confidence_level * 100)
    table = Table(title=f"Paired comparisons (difference [{level}% CI], Holm-adjusted p)")
    for col in (
        "metric",
        "group",
        "reference",
        "n",
        "value",
        "ref",
        "difference",
        "test",
        "p_holm",
        "conclusion",
    ):
        table.add_column(col)
    for c in log.comparisons:
        ci = (
            f"{_num(c.difference, '+.3f')} [{_num(c.difference_ci_low, '+.3f')}, "
            f"{_num(c.difference_ci_high, '+.3f')}]"
        )
        table.add_row(
            c.metric,
            plain(_label(c.slice)),
            plain(_reference_label(c)),
            str(c.n),
            _num(c.value),
            _num(c.reference_value),
            ci,
            c.test,
            fmt_p(c.p_holm, "-"),
            c.conclusion,
        )
    console.print(table)
    extra = [r for r in log.results if r.metric not in ("mean_score", "positive_rate")]
    if extra:
        t2 = Table(title=f"Per-group metrics (value [{level}% CI])")
        for col in ("metric", "group", "n", "value"):
            t2.add_column(col)
        for r in extra:
            t2.add_row(
                r.metric,
                plain(_label(r.slice)),
                str(r.n),
                f"{_num(r.value)} [{_num(r.ci_low)}, {_num(r.ci_high)}]",
            )
        console.print(t2)
    if pairs and show > 0:
        top = sorted(pairs, key=lambda p: abs(p.shift), reverse=True)[:show]
        t3 = Table(title=f"Most-changed pairs (top {len(top)} of {len(pairs)} by |shift|)")
        for col in ("reference text", "text", "ref score", "score", "shift"):
            t3.add_column(col, overflow="fold")
        for p in top:
            t3.add_row(
                plain(p.reference_text),
                plain(p.text),
                f"{p.reference_score:.3f}",
                f"{p.score:.3f}",
                f"{p.shift:+.3f}",
            )
        console.print(t3)
    if failures:
        console.print(f"The model failed on {len(failures)} inputs (see failures.jsonl); first:")
        for f in failures[:5]:
            console.print(plain(f"  {f}"))
