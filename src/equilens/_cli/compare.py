"""``equilens compare``: champion (BASE) against challenger (CANDIDATE), with evidence.

Exit 0 normally; 1 with ``--fail-on-regression`` when a disparity widens significantly
(Holm-adjusted p below alpha); 2 for bad input.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from equilens._cli._options import check_draws, output_file, split_list
from equilens._files import write_text_atomic
from equilens.exceptions import InvalidParameterError
from equilens.report import print_comparison, terminal


def register(sub: Any) -> None:
    """Add the ``compare`` subcommand."""
    p = sub.add_parser(
        "compare",
        help="compare two audit runs (champion vs challenger), paired where rows match",
        description="Compare a base (champion) and a candidate (challenger) audit log: for "
        "each metric, group and fairness criterion the change candidate - base with an "
        "interval and a test, adjusted over the comparison (Holm, Benjamini-Hochberg). With "
        "--data holding both models' predictions on the audited rows the comparison is paired "
        "(McNemar, paired DeLong, paired bootstrap); otherwise the runs are compared as "
        "independent samples. Exit 0; 1 with --fail-on-regression when a disparity widens "
        "significantly; 2 for bad input.",
    )
    p.add_argument("base", metavar="BASE.json", help="audit log of the base (champion) model")
    p.add_argument("candidate", metavar="CANDIDATE.json", help="audit log of the candidate")
    g = p.add_argument_group("paired comparison (row-level predictions)")
    g.add_argument("--data", metavar="FILE", help="CSV or Parquet with both models' predictions")
    g.add_argument(
        "--candidate-data",
        metavar="FILE",
        help="the candidate's predictions in a second file, joined to --data on --id",
    )
    g.add_argument("--id", dest="id_column", metavar="COL", help="row-id column (unique)")
    g.add_argument("--y-true", metavar="COL", help="true labels (default: the base log's)")
    g.add_argument("--base-pred", metavar="COL", help="base model's predicted labels")
    g.add_argument("--candidate-pred", metavar="COL", help="candidate's predicted labels")
    g.add_argument("--base-score", metavar="COL", help="base model's scores (adds ROC-AUC)")
    g.add_argument("--candidate-score", metavar="COL", help="candidate's scores")
    g.add_argument("--bootstrap", type=int, help="paired bootstrap draws (default: base log's)")
    g.add_argument("--seed", type=int, help="bootstrap seed (default: the base log's)")
    g.add_argument(
        "--allow-data-mismatch",
        action="store_true",
        help="compare even when the data's labels or groups do not hash as in the logs",
    )
    p.add_argument(
        "--names",
        default="base,candidate",
        metavar="BASE,CANDIDATE",
        help="names in reports (default base,candidate; e.g. champion,challenger)",
    )
    p.add_argument("--metrics", metavar="LIST", help="comma-separated metrics to compare")
    p.add_argument(
        "--methods",
        default="between_groups",
        metavar="LIST",
        help="criterion summaries to compare: between_groups, to_overall, to_reference",
    )
    p.add_argument("--json", dest="json_out", metavar="FILE", help="write the comparison JSON")
    p.add_argument("--markdown", metavar="FILE", help="write Markdown for a PR comment")
    p.add_argument("--html", metavar="FILE", help="write a self-contained HTML page")
    p.add_argument(
        "--fail-on-regression",
        action="store_true",
        help="exit 1 when a fairness criterion widens significantly (Holm-adjusted)",
    )
    p.add_argument("--quiet", action="store_true", help="print only the headline")
    p.set_defaults(handler=run)


def _joined(args: argparse.Namespace) -> Any:
    """--data with --candidate-data joined on --id (one row per id in each, same ids)."""
    from equilens.compare import check_ids, read_frame

    base = read_frame(args.data)
    cand = read_frame(args.candidate_data)
    key = args.id_column
    for frame, option in ((base, "--data"), (cand, "--candidate-data")):
        if key not in frame.columns:
            raise InvalidParameterError(f"id column '{key}' not found in {option} file")
        check_ids(frame, key)
    keep = [key] + [c for c in (args.candidate_pred, args.candidate_score) if c]
    missing = [c for c in keep if c not in cand.columns]
    if missing:
        raise InvalidParameterError(
            f"column '{missing[0]}' not found in --candidate-data {args.candidate_data}"
        )
    clash = [c for c in keep[1:] if c in base.columns]
    if clash:
        raise InvalidParameterError(
            f"column '{clash[0]}' is in both files; rename the candidate's prediction column"
        )
    only_base = set(base[key]) - set(cand[key])
    only_cand = set(cand[key]) - set(base[key])
    if only_base or only_cand:
        raise InvalidParameterError(
            f"the two files hold different ids ({len(only_base)} only in --data, "
            f"{len(only_cand)} only in --candidate-data); a paired comparison needs the same rows"
        )
    return base.merge(cand[keep], on=key, how="left", validate="one_to_one")


def run(args: argparse.Namespace) -> int:
    """Run ``equilens compare``."""
    from equilens.compare import compare, render_html, render_markdown

    for value, option in (
        (args.json_out, "--json"),
        (args.markdown, "--markdown"),
        (args.html, "--html"),
    ):
        output_file(value, option)
    if args.bootstrap is not None:
        check_draws(args.bootstrap)
    names = split_list(args.names)
    if len(names) != 2:
        raise InvalidParameterError(f"--names expects two names BASE,CANDIDATE, got '{args.names}'")
    methods = split_list(args.methods)
    metrics = split_list(args.metrics) or None
    paired_opts = [
        args.candidate_data,
        args.base_pred,
        args.candidate_pred,
        args.base_score,
        args.candidate_score,
        args.id_column,
    ]
    if args.data is None and any(paired_opts):
        raise InvalidParameterError(
            "--base-pred, --candidate-pred, --id and the score options need --data"
        )
    if args.candidate_data and not args.id_column:
        raise InvalidParameterError("--candidate-data needs --id to join the rows")
    data: Any = args.data
    if args.candidate_data:
        data = _joined(args)
    elif args.data is not None and args.id_column:
        from equilens.compare import read_frame

        data = read_frame(args.data)
    result = compare(
        args.base,
        args.candidate,
        data=data,
        base_pred=args.base_pred,
        candidate_pred=args.candidate_pred,
        base_score=args.base_score,
        candidate_score=args.candidate_score,
        y_true=args.y_true,
        ids=args.id_column,
        metrics=metrics,
        disparity_methods=methods,
        bootstrap=args.bootstrap,
        seed=args.seed,
        labels=names,
        allow_data_mismatch=args.allow_data_mismatch,
    )
    console = terminal(width=None if sys.stdout.isatty() else 200)
    print_comparison(result, console, args.quiet)
    if args.json_out:
        write_text_atomic(args.json_out, result.to_json() + "\n")
    if args.markdown:
        write_text_atomic(args.markdown, render_markdown(result))
    if args.html:
        write_text_atomic(args.html, render_html(result))
    if args.fail_on_regression and result.regressions:
        sys.stderr.write(
            f"equilens: {len(result.regressions)} disparity change(s) widened significantly "
            "(--fail-on-regression)\n"
        )
        return 1
    return 0
