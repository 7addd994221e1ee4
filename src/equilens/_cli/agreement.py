"""``equilens agreement``: agreement between raters per criterion and slice.

Writes ``DIR/agreement.json``: one row per criterion, slice and coefficient (Krippendorff's
alpha; Cohen's kappa with two raters; Fleiss' kappa for categories; ICC(2,1)/(2,k) for
numbers), the test of equal agreement across each sensitive column's groups, each rater's
bias and (with ``--time``) drift. Exit 0; 2 for bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from equilens._cli._options import check_draws, output_dir, split_list


def register(sub: Any) -> None:
    """Add the ``agreement`` subcommand."""
    p = sub.add_parser(
        "agreement",
        help="agreement between raters (Krippendorff's alpha, kappas, ICC) per slice",
        description="Agreement between raters from long-format ratings (one row per item, "
        "rater and criterion): Krippendorff's alpha with an item-bootstrap BCa interval, "
        "Cohen's kappa (two raters), Fleiss' kappa (categories), ICC(2,1)/(2,k) (numbers), per "
        "criterion and per group of each --sensitive column, a test of equal agreement "
        "across groups, per-rater bias and drift over --time. Writes DIR/agreement.json.",
    )
    p.add_argument("--ratings", required=True, metavar="FILE", help="CSV or Parquet ratings")
    p.add_argument("--item", required=True, metavar="COL", help="item (rated unit) column")
    p.add_argument("--rater", required=True, metavar="COL", help="rater column")
    p.add_argument("--score", required=True, metavar="COL", help="rating column")
    p.add_argument(
        "--level",
        required=True,
        choices=["nominal", "ordinal", "interval", "ratio"],
        help="level of measurement of the scores",
    )
    p.add_argument("--criterion", metavar="COL", help="criterion column (one result each)")
    p.add_argument(
        "--sensitive", metavar="A,B", help="item-level columns to slice by (comma-separated)"
    )
    p.add_argument("--time", metavar="COL", help="rating time (numbers or dates): rater drift")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap draws (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from equilens._files import ensure_dir, write_text_atomic
    from equilens._version import __version__
    from equilens.agreement import RatingColumns, agreement_tables, read_columns

    draws = check_draws(args.bootstrap)
    out = output_dir(args.out, "--out")
    cols = RatingColumns(
        item=args.item,
        rater=args.rater,
        score=args.score,
        criterion=args.criterion,
        sensitive=tuple(split_list(args.sensitive)),
        time=args.time,
    )
    wanted = [(args.item, "item"), (args.rater, "rater"), (args.score, "score")]
    wanted += [(args.criterion, "criterion")] if args.criterion else []
    wanted += [(c, "sensitive") for c in cols.sensitive]
    wanted += [(args.time, "time")] if args.time else []
    frame = read_columns(args.ratings, wanted)
    tables = agreement_tables(frame, cols, args.level, draws=draws, seed=args.seed)
    doc = {
        "kind": "agreement",
        "equilens_version": __version__,
        "settings": {
            "ratings": str(args.ratings),
            "level": args.level,
            "bootstrap": draws,
            "seed": args.seed,
            "columns": {
                "item": args.item,
                "rater": args.rater,
                "score": args.score,
                "criterion": args.criterion,
                "sensitive": list(cols.sensitive),
                "time": args.time,
            },
        },
        "rows": tables.rows,
        "slice_tests": tables.slice_tests,
        "rater_bias": tables.rater_bias,
        "rater_drift": tables.rater_drift,
    }
    ensure_dir(out, "--out folder")
    path = write_text_atomic(out / "agreement.json", json.dumps(doc, indent=2) + "\n")
    for row in tables.rows:
        if row["slice"] == "overall":
            lo, hi = row.get("ci_low"), row.get("ci_high")
            ci = f" [{lo:.3f}, {hi:.3f}]" if lo is not None and hi is not None else ""
            val = f"{row['value']:.3f}" if row.get("value") is not None else "undefined"
            name = row["metric"] + (f" {row['form']}" if row.get("form") else "")
            sys.stdout.write(f"{row['criterion']}: {name} = {val}{ci}\n")
    sys.stdout.write(f"wrote {path}\n")
    return 0
