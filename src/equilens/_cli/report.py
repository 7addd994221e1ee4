"""``equilens report``: render the HTML report and the Markdown summary of an audit log."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from equilens._cli._options import output_dir
from equilens.report import write_report
from equilens.results import read_log


def register(sub: Any) -> None:
    """Add the ``report`` subcommand."""
    p = sub.add_parser(
        "report",
        help="render report.html and summary.md from an audit log",
        description="Render a self-contained HTML report (opens offline) and a Markdown summary "
        "(for a pull-request comment) from an audit log alone. By default both are written "
        "beside the log.",
    )
    p.add_argument("log", metavar="AUDIT.json", help="the audit log written by equilens audit")
    p.add_argument(
        "--out",
        metavar="DIR",
        help="output directory (default: the log's directory); the log is copied there as "
        "audit.json when it is another directory",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run ``equilens report``."""
    source = Path(args.log)
    out_dir = output_dir(args.out, "--out") if args.out else source.parent
    log = read_log(source)
    copy_log = (out_dir / "audit.json").resolve() != source.resolve() and args.out is not None
    written = write_report(log, out_dir, include_log=copy_log)
    if not args.quiet:
        for kind, path in written.items():
            sys.stdout.write(f"{kind} written to {path}\n")
    return 0
