"""``equilens history`` (list stored runs) and ``equilens verify-history`` (check the chain).

``verify-history`` exits 0 when every record and stored document matches its hash, 1 when
the history was tampered with (the first broken record is named), 2 when the store cannot be
opened.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from equilens.exceptions import InvalidParameterError
from equilens.report import print_history, terminal

_STORE_HELP = (
    "run store: sqlite:///PATH, postgresql+psycopg://..., or a file path (default "
    "$EQUILENS_STORE, else .equilens/history.db in the project root)"
)


def register(sub: Any) -> None:
    """Add the ``history`` and ``verify-history`` subcommands."""
    h = sub.add_parser(
        "history",
        help="list stored audits and gate decisions",
        description="List the newest records of the run store: when, who, which run, which "
        "policy and the verdict.",
    )
    h.add_argument("--store", metavar="URL", help=_STORE_HELP)
    h.add_argument("--limit", type=int, default=20, help="newest N records (default 20)")
    h.add_argument("--json", action="store_true", help="print the records as JSON")
    h.set_defaults(handler=run_history)

    v = sub.add_parser(
        "verify-history",
        help="check the run store's hash chain (exit 0 intact, 1 tampered)",
        description="Rehash every record of the run store and every stored audit log, policy "
        "and decision. Exit 0 when all match, 1 naming the first broken record when not, 2 "
        "when the store cannot be opened.",
    )
    v.add_argument("--store", metavar="URL", help=_STORE_HELP)
    v.add_argument(
        "--head",
        metavar="HASH",
        help="a record hash kept from an earlier run: fail when the chain no longer has it "
        "(detects removal of the newest records)",
    )
    v.set_defaults(handler=run_verify)


def run_history(args: argparse.Namespace) -> int:
    """Run ``equilens history``."""
    from equilens.store import RunStore

    if args.limit < 1:
        raise InvalidParameterError(f"--limit must be at least 1, got {args.limit}")
    with RunStore(args.store, create=False) as store:
        rows = store.records(limit=args.limit)
        where = repr(store)
    if args.json:
        sys.stdout.write(json.dumps([r.model_dump() for r in rows], indent=2) + "\n")
        return 0
    print_history(rows, where, terminal())
    return 0


def run_verify(args: argparse.Namespace) -> int:
    """Run ``equilens verify-history``."""
    from equilens.store import RunStore

    with RunStore(args.store, create=False) as store:
        report = store.verify(head=args.head)
        where = repr(store)
    if report.ok:
        head = report.head_hash or "none"
        sys.stdout.write(f"history intact: {report.records} record(s) in {where}; head {head}\n")
        return 0
    sys.stdout.write(
        f"history broken at record {report.first_broken}: {report.problem} "
        f"({report.records} record(s) before it verified)\n"
    )
    return 1
