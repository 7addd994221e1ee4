"""Terminal rendering of stored records and of a model card's claim checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from equilens._text import plain

if TYPE_CHECKING:
    from rich.console import Console

    from equilens.cards import ClaimCheck
    from equilens.results import AuditLog
    from equilens.store import StoredRecord

__all__ = ["print_claim_checks", "print_history"]


def print_history(rows: Sequence[StoredRecord], where: str, console: Console) -> None:
    """The newest records of a run store, one line each."""
    from rich.table import Table

    table = Table(title=f"{where}: newest {len(rows)} record(s)", title_justify="left")
    for column in ("seq", "stored at (UTC)", "actor", "kind", "run", "policy", "verdict", "hash"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            str(r.seq),
            plain(r.stored_at[:19].replace("T", " ")),
            plain(r.actor),
            r.kind,
            plain(r.run_id[:12]),
            plain(r.policy_name or "-"),
            plain(r.verdict or "-"),
            r.record_hash[:12],
        )
    console.print(table)


def print_claim_checks(
    checks: Sequence[ClaimCheck], log: AuditLog, card: str, console: Console
) -> None:
    """Each claim beside what the audit measured, its verdict, and why where not supported."""
    from rich.table import Table

    from equilens.cards import claimed_text, measured_text, p_text

    style = {
        "supported": "green",
        "consistent": "cyan",
        "contradicted": "bold red",
        "insufficient_evidence": "magenta",
        "not_measured": "dim",
    }
    level = round(log.confidence_level * 100)
    t = Table(title=f"Claims in {card}", title_justify="left")
    cols = ("#", "metric", "slice", "claimed", f"measured ({level}% CI)", "raw", "p raw / Holm")
    for col in (*cols, "verdict"):
        t.add_column(col)
    for i, c in enumerate(checks, 1):
        t.add_row(
            str(i),
            plain(c.claim.metric),
            plain(c.claim.slice_text),
            plain(claimed_text(c)),
            plain(measured_text(c)),
            plain(c.raw_verdict.replace("_", " ")),
            plain(p_text(c)),
            plain(c.verdict.replace("_", " "), style=style[c.verdict]),
        )
    console.print(t)
    for i, c in enumerate(checks, 1):
        if c.verdict != "supported" or c.raw_verdict != c.verdict:
            console.print(plain(f"{i}. {c.verdict.replace('_', ' ')}: {c.reason}"))
