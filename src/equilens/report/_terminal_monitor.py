"""Terminal rendering of the monitor: a look's drift and alarms, the status of every stream."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from equilens._pvalue import fmt_p
from equilens._text import plain

if TYPE_CHECKING:
    from rich.console import Console

    from equilens.monitor import IngestResult, MonitorState

__all__ = ["print_look", "print_monitor_status"]

_SEVERITY_STYLE = {"block": "bold red", "warn": "yellow", "info": "cyan"}


def _num(x: float | None, digits: int = 3) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.{digits}f}"


def print_look(result: IngestResult, console: Console, *, quiet: bool = False) -> None:
    """One ingested batch: its drift against the reference (unless quiet) and new alarms."""
    from rich.table import Table

    look = result.look
    if not quiet:
        console.print(plain(f"look {look.look} ({look.batch}): {look.n_rows} rows", style="bold"))
        table = Table(title="Drift against the reference (descriptive)", title_justify="left")
        for col in ("subject", "statistic", "value", "95% interval / p", "n ref", "n batch"):
            table.add_column(col)
        for row in look.drift:
            extra = (
                f"{_num(row.ci_low)}-{_num(row.ci_high)}"
                if row.ci_low is not None
                else (f"p={fmt_p(row.p_value)}" if row.p_value is not None else row.note)
            )
            table.add_row(
                plain(row.subject),
                plain(row.statistic),
                plain(_num(row.value, 4)),
                plain(extra),
                plain(str(row.n_reference)),
                plain(str(row.n_batch)),
            )
        console.print(table)
        if look.new_groups:
            console.print(
                plain(f"Not monitored (not in the reference): {', '.join(look.new_groups)}")
            )
    for alarm in result.new_alarms:
        line = plain(f"ALARM ({alarm.severity}) ", style=_SEVERITY_STYLE[alarm.severity])
        line.append(alarm.reason)
        console.print(line)
        if alarm.rule_ids:
            console.print(plain(f"    policy rules: {', '.join(alarm.rule_ids)}"))
        if alarm.retrain:
            console.print(plain("    retraining triggered", style="bold"))
        for message in alarm.messages:
            console.print(
                plain(
                    f"    notice to {', '.join(alarm.owners + alarm.contacts) or 'none'}: {message}"
                )
            )
    if not result.new_alarms and not quiet:
        console.print(plain("no new alarm", style="green"))


def print_monitor_status(state: MonitorState, looks: int, console: Console) -> None:
    """Each stream's rate over the last ``looks`` looks, its null interval and its state."""
    from rich.table import Table

    from equilens.monitor import BatchStats, GroupRef, stream_counts, wilson_interval

    c = state.config
    shown = state.looks[-looks:]
    stats = [BatchStats.from_dict(lk.stats) for lk in shown]
    alarmed = {a.stream_id: a for lk in state.looks for a in lk.alarms}
    console.print(
        plain(
            f"monitor {state.monitor_id}: {len(state.looks)} of {c.horizon} looks; family-wise "
            f"false alarm probability <= {c.alpha}",
            style="bold",
        )
    )
    table = Table(
        title="Rate per look with 95% Wilson interval; reference with its null interval",
        title_justify="left",
    )
    table.add_column("rate | group")
    table.add_column("reference")
    for lk in shown:
        table.add_column(f"look {lk.look}")
    table.add_column("log R / threshold")
    table.add_column("state")
    for s in state.streams:
        cells = []
        for b in stats:
            x, n = stream_counts(b, GroupRef(s.feature, s.group), s.metric)
            if n == 0:
                cells.append(plain("n=0"))
            else:
                lo, hi = wilson_interval(x, n)
                cells.append(plain(f"{x / n:.3f} ({lo:.3f}-{hi:.3f})"))
        last = state.looks[-1].log_statistics.get(s.id) if state.looks else None
        alarm = alarmed.get(s.id)
        status = (
            plain(f"ALARM {alarm.severity} (look {alarm.look})", _SEVERITY_STYLE[alarm.severity])
            if alarm
            else plain("ok", "green")
        )
        table.add_row(
            plain(s.id),
            plain(f"{s.reference_rate:.3f} ({s.null_low:.3f}-{s.null_high:.3f})"),
            *cells,
            plain(f"{_num(last, 2)} / {s.log_threshold:.2f}"),
            status,
        )
    console.print(table)
    for u in state.unmonitored:
        group = "overall" if u.feature is None else f"{u.feature}={u.group}"
        console.print(plain(f"not monitored: {u.metric} | {group}: {u.reason}", style="dim"))
