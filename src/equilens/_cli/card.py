"""``equilens card``, ``equilens datasheet`` and ``equilens check-claims``.

* ``card`` writes model_card.md and model_card.html from an audit log (exit 0).
* ``datasheet`` writes datasheet.md and datasheet.html from a data file or shipped data set
  (exit 0).
* ``check-claims`` sets a card's claims beside the audit's measurements: exit 1 when any
  claim is contradicted after Holm's correction over the card's claims, 0 otherwise.

Bad input (unreadable log, malformed YAML, unknown column, bad option) exits 2 with one line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from equilens._cli._options import output_dir, split_list
from equilens._text import clean_text
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.report import print_claim_checks, terminal


def register(sub: Any) -> None:
    """Add the ``card``, ``datasheet`` and ``check-claims`` subcommands."""
    c = sub.add_parser(
        "card",
        help="write a model card (Markdown and HTML) from an audit log",
        description="Write model_card.md (with Hugging Face model-index front matter) and a "
        "self-contained model_card.html from an audit log: model details, intended use, "
        "factors, metrics per group and intersection with intervals, evaluation data, "
        "fairness findings, caveats and the gate decision.",
    )
    c.add_argument("audit", metavar="AUDIT.json", help="audit log written by equilens audit")
    gate = c.add_mutually_exclusive_group()
    gate.add_argument("--decision", metavar="DECISION.json", help="gate decision (gate --json)")
    gate.add_argument("--policy", metavar="POLICY.yaml", help="decide with this policy now")
    c.add_argument("--meta", metavar="CARD.yaml", help="owners, licence, intended use, ...")
    c.add_argument("--compare", metavar="OTHER.json", help="a second model's audit log")
    c.add_argument("--compare-name", metavar="NAME", help="name of the second model")
    c.add_argument(
        "--agreement",
        metavar="FILE",
        help="agreement.json of equilens agreement: a Rater agreement section (and the input "
        "of the policy's agreement: rules with --policy)",
    )
    c.add_argument(
        "--front-matter-groups",
        choices=("none", "single", "all"),
        default="single",
        help="groups whose metrics go into the model-index front matter (default single)",
    )
    c.add_argument("--out", required=True, metavar="DIR", help="output directory")
    c.add_argument("--quiet", action="store_true", help="print nothing but errors")
    c.set_defaults(handler=run_card)

    d = sub.add_parser(
        "datasheet",
        help="write a datasheet (Markdown and HTML) for a data set",
        description="Write datasheet.md and datasheet.html: composition by group and "
        "intersection with Wilson intervals, missing values per column overall and by group, "
        "label balance by group, small-group warnings and a fingerprint.",
    )
    d.add_argument(
        "data",
        metavar="DATA",
        help="CSV/Parquet file or a shipped data set (compas, german_credit, adult)",
    )
    d.add_argument("--sensitive", required=True, help="sensitive columns: A,B[,C]")
    d.add_argument("--y-true", help="label column (for base rates by group)")
    d.add_argument("--positive-label", help="the positive label value (default 1 for 0/1)")
    d.add_argument("--no-intersections", action="store_true", help="single features only")
    d.add_argument("--min-group-size", type=int, default=30, help="flag smaller groups (30)")
    d.add_argument("--out", required=True, metavar="DIR", help="output directory")
    d.add_argument("--quiet", action="store_true", help="print nothing but errors")
    d.set_defaults(handler=run_datasheet)

    k = sub.add_parser(
        "check-claims",
        help="check a model card's claims against an audit (exit 1 if any is contradicted)",
        description="Read claims from a model card (README.md with Hugging Face model-index "
        "front matter) or a claims table (.yaml or .csv: metric, slice, value, comparator, "
        "tolerance) and set them beside the audit's measurements. Verdicts: supported (the "
        "interval lies inside the claimed region), consistent (it overlaps it), contradicted "
        "(it misses it, and the claim's test survives Holm's correction over all claims), "
        "insufficient_evidence, not_measured; the table shows the raw and the corrected "
        "verdict. Exit 1 when any claim is contradicted after correction, 0 otherwise, 2 for "
        "bad input.",
    )
    k.add_argument("card", metavar="CARD", help="README.md, claims.yaml or claims.csv")
    k.add_argument("audit", metavar="AUDIT.json", help="audit log written by equilens audit")
    k.add_argument(
        "--max-ci-width",
        type=float,
        default=None,
        help="widest interval that can be consistent with a claim it only overlaps; a wider "
        "one is insufficient evidence (default 0.10)",
    )
    k.add_argument("--out", metavar="DIR", help="write claims.md, claims.html, claims.json")
    k.add_argument("--quiet", action="store_true", help="print only the summary line")
    k.set_defaults(handler=run_check_claims)


def _read_decision(path: str) -> Any:
    from equilens.policy import GateDecision

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInputError(f"Decision file not found: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"Cannot read decision file {p}: {exc}") from None
    try:
        return GateDecision.model_validate_json(text)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"]) or "(top level)"
        raise InvalidInputError(f"{p} is not a gate decision: {where}: {err['msg']}") from None


def run_card(args: argparse.Namespace) -> int:
    """Run ``equilens card``."""
    from equilens.cards import load_meta, write_model_card
    from equilens.results import read_log

    output_dir(args.out, "--out")
    log = read_log(args.audit)
    meta = load_meta(args.meta)
    decision = None
    if args.decision:
        decision = _read_decision(args.decision)
        if decision.run_id != log.run_id:
            raise InvalidInputError(
                f"{args.decision} decides run {decision.run_id}, not run {log.run_id} of "
                f"{args.audit}"
            )
    agreement = None
    if args.agreement:
        from equilens.agreement import read_agreement

        agreement = read_agreement(args.agreement)
    if decision is None and args.policy:
        from equilens._cli.gate import agreement_document
        from equilens.policy import decide, load_policy

        policy = load_policy(args.policy)
        given = (
            agreement if agreement is not None else agreement_document(None, policy, args.policy)
        )
        decision = decide(log, policy, agreement=given)
    compare = read_log(args.compare) if args.compare else None
    paths = write_model_card(
        log,
        args.out,
        meta,
        decision=decision,
        compare=compare,
        compare_name=args.compare_name,
        front_matter_groups=args.front_matter_groups,
        agreement=agreement,
    )
    if not args.quiet:
        for kind, path in paths.items():
            sys.stdout.write(f"{kind} written to {path}\n")
    return 0


def run_datasheet(args: argparse.Namespace) -> int:
    """Run ``equilens datasheet``."""
    from equilens.cards import build_datasheet, load_table, write_datasheet

    sensitive = split_list(args.sensitive)
    if not sensitive:
        raise InvalidParameterError("--sensitive expects one or more column names: A,B")
    if args.min_group_size < 1:
        raise InvalidParameterError(
            f"--min-group-size must be at least 1, got {args.min_group_size}"
        )
    output_dir(args.out, "--out")
    data, name = load_table(args.data)
    ds = build_datasheet(
        data,
        sensitive=sensitive,
        y_true=args.y_true,
        positive_label=args.positive_label,
        intersections=not args.no_intersections,
        min_group_size=args.min_group_size,
        name=name,
    )
    paths = write_datasheet(ds, args.out)
    if not args.quiet:
        for kind, path in paths.items():
            sys.stdout.write(f"{kind} written to {path}\n")
    return 0


def run_check_claims(args: argparse.Namespace) -> int:
    """Run ``equilens check-claims``; exit 1 when a claim is contradicted."""
    from equilens.cards import (
        MAX_CI_WIDTH,
        check_claims,
        load_claims,
        summary_line,
        write_claims,
    )
    from equilens.results import read_log

    width = MAX_CI_WIDTH if args.max_ci_width is None else args.max_ci_width
    if not width > 0:
        raise InvalidParameterError(f"--max-ci-width must be above 0, got {args.max_ci_width}")
    if args.out:
        output_dir(args.out, "--out")
    claims = load_claims(args.card)
    log = read_log(args.audit)
    checks = check_claims(log, claims, max_ci_width=width)
    console = terminal()
    if not args.quiet:
        print_claim_checks(checks, log, str(args.card), console)
    sys.stdout.write(clean_text(summary_line(checks)) + "\n")
    if args.out:
        paths = write_claims(checks, log, str(args.card), args.out)
        if not args.quiet:
            for kind, path in paths.items():
                sys.stdout.write(f"{kind} written to {path}\n")
    return 1 if any(c.verdict == "contradicted" for c in checks) else 0
