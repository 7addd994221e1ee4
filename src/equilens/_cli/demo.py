"""``equilens demo``: audit the shipped ProPublica COMPAS data, offline."""

from __future__ import annotations

import argparse
from typing import Any

from equilens._cli._table import progress_printer
from equilens._cli.audit import write_outputs
from equilens.audit._run import audit
from equilens.data import load_compas


def register(sub: Any) -> None:
    """Add the ``demo`` subcommand."""
    p = sub.add_parser(
        "demo",
        help="audit the ProPublica COMPAS data (shipped, offline)",
        description="Audit COMPAS risk labels (Medium/High = high risk) against two-year "
        "recidivism by race, sex and age category and their intersections, on ProPublica's "
        "filtered two-year data (6,172 defendants).",
    )
    p.add_argument("--out", default="out/demo", help="output directory (default out/demo)")
    p.add_argument("--bootstrap", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the COMPAS demo audit."""
    data = load_compas()
    with progress_printer(args.quiet) as progress:
        log = audit(
            data,
            y_true="two_year_recid",
            y_pred="high_risk",
            y_score="risk_score",
            sensitive_features=["race", "sex", "age_cat"],
            intersections=True,
            reference={"race": "Caucasian", "sex": "Male", "age_cat": "25 - 45"},
            bootstrap=args.bootstrap,
            seed=args.seed,
            progress=progress,
        )
    write_outputs(log, args.out, args.quiet)
    return 0
