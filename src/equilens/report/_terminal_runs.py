"""Terminal rendering of run comparisons and gate decisions (rich): what the CLI prints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from equilens._pvalue import fmt_p
from equilens._text import plain

if TYPE_CHECKING:
    from rich.console import Console

    from equilens.compare import RunComparison
    from equilens.policy import GateDecision

__all__ = ["print_comparison", "print_decision"]

_CHANGE_STYLE = {"widened": "bold red", "worse": "red", "narrowed": "green", "better": "green"}
_STYLE = {
    "block": "bold red",
    "warn": "yellow",
    "info": "cyan",
    "insufficient_evidence": "magenta",
    "exempted": "blue",
    "pass": "green",
    "not_applicable": "dim",
}
_SHOWN = 15


def print_comparison(result: RunComparison, console: Console, quiet: bool = False) -> None:
    """The headline, then the criteria and key metrics of a run comparison with their tests."""
    from rich.table import Table

    from equilens.compare import (
        change_text,
        conclusion_text,
        group_label,
        intervals_note,
        shown_disparities,
        shown_metrics,
        value_text,
    )

    b, c = result.base.label, result.candidate.label
    console.print(plain(f"{c} vs {b} ({result.design})", style="bold"))
    for line in result.headline:
        console.print(plain(f"  {line}"))
    if result.data_check.status == "mismatch":
        console.print(plain(f"DATA MISMATCH: {result.data_check.message}", style="bold red"))
    if quiet:
        return
    level = round(result.confidence_level * 100)
    disp = Table(title=f"Fairness criteria ({level}% CI; change = {c} - {b})", title_justify="left")
    for col in ("criterion", "groups", b, c, "change", "p (Holm)", "conclusion"):
        disp.add_column(col)
    for d in shown_disparities(result):
        disp.add_row(
            plain(d.criterion if d.method == "between_groups" else f"{d.criterion} ({d.method})"),
            plain(" x ".join(d.features)),
            plain(value_text(d.base, d.base_ci_low, d.base_ci_high)),
            plain(value_text(d.candidate, d.candidate_ci_low, d.candidate_ci_high)),
            plain(change_text(d)),
            plain(fmt_p(d.p_holm)),
            plain(conclusion_text(d), style=_CHANGE_STYLE.get(d.direction or "", "")),
        )
    console.print(disp)
    met = Table(title=f"Key metrics by group ({level}% CI)", title_justify="left")
    for col in ("metric", "group", "n", b, c, "change", "test", "p (Holm)", "conclusion"):
        met.add_column(col)
    for m in shown_metrics(result):
        met.add_row(
            plain(m.metric),
            plain(group_label(m.slice)),
            plain(str(m.n_base)),
            plain(value_text(m.base, m.base_ci_low, m.base_ci_high)),
            plain(value_text(m.candidate, m.candidate_ci_low, m.candidate_ci_high)),
            plain(change_text(m)),
            plain(m.test),
            plain(fmt_p(m.p_holm)),
            plain(conclusion_text(m), style=_CHANGE_STYLE.get(m.direction or "", "")),
        )
    console.print(met)
    console.print(plain(result.design_note, style="dim"))
    console.print(plain(intervals_note(result), style="dim"))
    for w in result.warnings:
        console.print(plain(f"warning: {w}", style="yellow"))


def print_decision(decision: GateDecision, console: Console, *, quiet: bool = False) -> None:
    """The verdict, a table of rules and the outcomes that need attention (no markup from
    data: every string is printed as plain text)."""
    from rich.padding import Padding
    from rich.table import Table

    from equilens.policy import outcome_rank

    verdict = plain(f"{decision.verdict.upper()}: ", style=_STYLE[decision.verdict])
    verdict.append(decision.summary, style="bold")
    console.print(verdict)
    if quiet:
        return
    table = Table(title=f"Policy {decision.policy_name}: rules", title_justify="left")
    for column in ("rule", "status", "outcomes"):
        table.add_column(column)
    for rule_id in decision.rule_ids():
        outcomes = decision.outcomes_for(rule_id)
        status = decision.rule_status(rule_id)
        counts: dict[str, int] = {}
        for o in outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in counts.items())
        table.add_row(plain(rule_id), plain(status, style=_STYLE[status]), plain(summary))
    console.print(table)
    ranked = sorted(
        (o for o in decision.rule_outcomes if o.status not in ("pass", "not_applicable")),
        key=lambda o: -outcome_rank(o, decision.block_on_warn),
    )
    if ranked:
        console.print(plain("Outcomes that need attention", style="italic"))
        for o in ranked[:_SHOWN]:
            line = plain(o.status.upper().replace("_", " "), style=_STYLE[o.status])
            line.append(f"  {o.rule_id}: {o.group_label}", style="bold")
            console.print(line)
            console.print(Padding(plain(o.reason), (0, 0, 0, 4)))
        if len(ranked) > _SHOWN:
            console.print(plain(f"... and {len(ranked) - _SHOWN} more (see --json or --junit)"))
    if decision.retrain_required:
        console.print(
            plain(f"Retraining required: {len(decision.retrain_reasons)} trigger(s).", "bold")
        )
    for esc in decision.escalations:
        line = plain(f"Escalate ({esc.severity}): ", style=_STYLE[esc.severity])
        line.append(
            f"owners {', '.join(esc.owners) or 'none'}; contacts "
            f"{', '.join(esc.contacts) or 'none'}; {len(esc.messages)} notice(s)"
        )
        console.print(line)
    for expired in decision.expired_exemptions:
        console.print(plain(f"Expired (no longer applied): {expired}", style="yellow"))
