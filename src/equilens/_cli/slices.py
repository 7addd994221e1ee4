"""``equilens slices``: find slices (conjunctions of features) worse than the rest."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from equilens._cli._options import output_dir, split_list
from equilens.exceptions import InvalidParameterError
from equilens.tasks import TASK_NAMES

#: Discovered slices printed on the terminal (slices.json and slices.html list them all).
_PRINTED = 10


def register(sub: Any) -> None:
    """Add the ``slices`` subcommand."""
    p = sub.add_parser(
        "slices",
        help="discover slices (feature conjunctions) whose metric is worse than the rest",
        description="Search every conjunction of up to --max-order features (numeric ones cut "
        "into named quantile bins) for slices whose metric is worse than the rest of the data, "
        "with the false discovery rate controlled over every slice searched. Writes "
        "DIR/slices.json and DIR/slices.html; with --policy, exit 1 when a discovered_slices "
        "rule blocks.",
    )
    p.add_argument("--data", required=True, help="CSV or Parquet file with one row per case")
    p.add_argument("--features", required=True, help="columns to slice by: A,B,C,...")
    p.add_argument("--task", choices=[t for t in TASK_NAMES if t != "ranking"], default="binary")
    p.add_argument("--metric", help="metric to search on (default: the task's error metric)")
    p.add_argument("--y-true", help="column of true labels (or targets)")
    p.add_argument("--y-pred", help="column of predictions")
    p.add_argument("--y-score", help="binary: column of scores in [0, 1] (brier_score)")
    p.add_argument("--value", help="measure: column of a number per row")
    p.add_argument("--numerator", help="measure: numerator column of a ratio of sums")
    p.add_argument("--denominator", help="measure: denominator column")
    p.add_argument(
        "--cluster", help="column of the unit rows share (features must be constant within it)"
    )
    p.add_argument("--positive-label", help="binary: the positive label value")
    p.add_argument(
        "--higher-is-better", action="store_true", help="measure: a lower value is worse"
    )
    p.add_argument("--max-order", type=int, default=3, help="most features in a slice (default 3)")
    p.add_argument(
        "--min-support", type=int, default=50, help="fewest rows in a slice (default 50)"
    )
    p.add_argument("--fdr", type=float, default=0.05, help="false discovery rate (default 0.05)")
    p.add_argument(
        "--fdr-method",
        choices=("bh", "by"),
        default="bh",
        help="bh: Benjamini-Hochberg (default); by: Benjamini-Yekutieli, valid under any "
        "dependence between slices",
    )
    p.add_argument("--bins", type=int, default=4, help="quantile bins of a numeric feature (4)")
    p.add_argument(
        "--max-levels",
        type=int,
        default=20,
        help="most values of a categorical feature (default 20); numeric features with more "
        "values are binned",
    )
    p.add_argument(
        "--confirm-split",
        type=float,
        help="share of rows held out to confirm the discovered slices (e.g. 0.5)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the confirmation split")
    p.add_argument("--policy", help="policy (YAML) whose discovered_slices: rules gate the result")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(handler=run)


def _print(doc: dict[str, Any]) -> None:
    from equilens.report import slices_label as slice_text

    found = [r for r in doc["slices"] if r["status"] == "discovered"]
    sys.stdout.write(
        f"{doc['n_hypotheses']:,} slices searched ({doc['method']}, FDR {doc['fdr']:g}): "
        f"{doc['n_significant']:,} significant, {len(found):,} discovered\n"
    )
    for r in found[:_PRINTED]:
        sys.stdout.write(
            f"  {slice_text(r['slice'])}  n={r['n']:,}  {doc['metric']} {r['value']:.4g} vs "
            f"{r['complement_value']:.4g}  q={r['q_value']:.2g}\n"
        )
    if len(found) > _PRINTED:
        sys.stdout.write(f"  ... {len(found) - _PRINTED} more in slices.json\n")


def run(args: argparse.Namespace) -> int:
    """Run ``equilens slices``."""
    features = split_list(args.features)
    if not features:
        raise InvalidParameterError("--features needs at least one column name")
    out = output_dir(args.out, "--out")
    policy = None
    if args.policy:
        from equilens.policy import load_policy

        policy = load_policy(args.policy)
        if not policy.discovered_slices:
            raise InvalidParameterError(
                f"--policy {args.policy} has no discovered_slices: rules to judge slices with"
            )
    search = {
        "features": features,
        "task": args.task,
        "metric": args.metric,
        "y_true": args.y_true,
        "y_pred": args.y_pred,
        "y_score": args.y_score,
        "value": args.value,
        "numerator": args.numerator,
        "denominator": args.denominator,
        "cluster": args.cluster,
        "positive_label": args.positive_label,
        "higher_is_better": args.higher_is_better,
        "max_order": args.max_order,
        "min_support": args.min_support,
        "fdr": args.fdr,
        "fdr_method": args.fdr_method,
        "bins": args.bins,
        "max_levels": args.max_levels,
        "confirm_split": args.confirm_split,
        "seed": args.seed,
    }
    return search_and_write(args.data, search, out, policy, args.quiet)


def run_spec_slices(spec: Any, spec_path: Path, out: Path, quiet: bool) -> int:
    """The ``slices:`` section of an audit spec: search, write, and gate on the spec's policy."""
    from equilens.spec import resolve_data, resolve_policy

    if spec.model is not None:
        raise InvalidParameterError(
            f"{spec_path}: slices: needs the predictions as columns of the data (not a model:)"
        )
    data, _ = resolve_data(spec, spec_path.parent)
    cols = spec.columns
    search = {
        **spec.slices.model_dump(),
        "task": spec.task,
        "y_true": cols.y_true,
        "y_pred": cols.y_pred,
        "y_score": cols.y_score if spec.task == "binary" else None,
        "value": cols.value,
        "numerator": cols.numerator,
        "denominator": cols.denominator,
        "cluster": cols.cluster,
        "positive_label": None if spec.positive_label is None else str(spec.positive_label),
    }
    policy = resolve_policy(spec, spec_path)
    if policy is not None and not policy.discovered_slices:
        policy = None
    return search_and_write(data, search, out, policy, quiet)


def search_and_write(
    data: object, search: dict[str, Any], out: Path, policy: Any, quiet: bool
) -> int:
    """Search, write slices.json and slices.html into ``out``, and apply the policy's
    discovered_slices rules (exit code 1 when one blocks)."""
    from equilens.discovery import discover_slices
    from equilens.report import render_slices_html

    doc = discover_slices(data, **search)
    out.mkdir(parents=True, exist_ok=True)
    (out / "slices.json").write_text(
        json.dumps(doc, indent=1, allow_nan=False) + "\n", encoding="utf-8"
    )
    (out / "slices.html").write_text(render_slices_html(doc), encoding="utf-8")
    if not quiet:
        _print(doc)
        sys.stdout.write(f"\nwritten to {out / 'slices.json'} and {out / 'slices.html'}\n")
    if policy is None:
        return 0
    from equilens.policy import decide_slices

    decision = decide_slices(doc, policy)
    (out / "slices_decision.json").write_text(
        json.dumps(decision.to_dict(), indent=1) + "\n", encoding="utf-8"
    )
    if not quiet:
        sys.stdout.write(f"gate ({policy.name}): {decision.verdict}\n")
        for o in decision.outcomes:
            sys.stdout.write(f"  {o['rule_id']}: {o['status']}: {o['reason']}\n")
    return 1 if decision.verdict == "block" else 0
