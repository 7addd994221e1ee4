"""``equilens mitigate``: fit mitigations on one split, evaluate them on the held-out split.

Writes ``mitigation.json`` (the options, their held-out audits' headline numbers, the paired
changes against the original), ``tradeoff.json`` (the curves), one audit log per option and
one paired comparison per mitigation; ``--report`` adds the decision memo ``memo.html``.
With ``--log`` instead of data, ``equal_fpr`` / ``equal_tpr`` thresholds are chosen from the
audit log's ROC curves (no model, no evaluation). Exit 0; 2 for bad input.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Literal

from equilens._cli._options import check_draws, output_dir, parse_bins, split_list
from equilens._files import write_text_atomic
from equilens.exceptions import InvalidParameterError


def register(sub: Any) -> None:
    """Add the ``mitigate`` subcommand."""
    p = sub.add_parser(
        "mitigate",
        help="propose and evaluate mitigations (thresholds, reweighing, reductions) held out",
        description="Fit each mitigation on one split of the data and evaluate it, with the "
        "original model, on the held-out split: the full audit of each option, the paired "
        "comparison with the original (McNemar, paired DeLong), and trade-off curves with "
        "intervals on both axes. Says which options decide with the sensitive feature. Exit 0; "
        "2 for bad input.",
    )
    p.add_argument("data", metavar="DATA", nargs="?", help="CSV or Parquet with the rows")
    p.add_argument(
        "--log",
        metavar="RUN.json",
        help="choose equal_fpr / equal_tpr thresholds "
        "from this audit log's ROC curves (no data needed)",
    )
    p.add_argument("--y-true", metavar="COL", help="true labels")
    p.add_argument("--positive-label", metavar="VALUE", help="the favourable label")
    p.add_argument("--sensitive", metavar="LIST", required=True, help="sensitive feature(s)")
    p.add_argument("--bins", action="append", metavar="FEATURE=EDGES", help="bin a numeric feature")
    p.add_argument(
        "--method",
        metavar="LIST",
        required=True,
        help="comma-separated: equal_fpr, equal_tpr, threshold_optimizer, reweighing, "
        "correlation_remover, exponentiated_gradient, grid_search",
    )
    p.add_argument(
        "--constraint",
        default="demographic_parity",
        help="demographic_parity, equal_opportunity, equalized_odds, false_positive_rate_parity",
    )
    p.add_argument("--score", metavar="COL", help="score column (scores-only methods)")
    p.add_argument(
        "--estimator",
        metavar="MODEL",
        help="'logistic' (standardised logistic regression) or a .skops model file, "
        "refitted on the fitting rows",
    )
    p.add_argument("--trust", metavar="LIST", help="skops types to trust in --estimator")
    p.add_argument("--features", metavar="LIST", help="the model's feature columns")
    p.add_argument("--threshold", type=float, default=0.5, help="original operating point")
    p.add_argument("--eval-fraction", type=float, default=0.3, help="held-out share (0.3)")
    p.add_argument("--split", metavar="COL", help="column of 'fit' / 'eval' per row")
    p.add_argument(
        "--folds",
        type=int,
        metavar="K",
        help="cross-fit over K folds instead of one split (every row evaluated)",
    )
    p.add_argument("--eps", type=float, default=0.05, help="ExponentiatedGradient slack")
    p.add_argument(
        "--slacks",
        metavar="LIST",
        help="further ExponentiatedGradient slacks, one fit each, for a slack trade-off curve",
    )
    p.add_argument("--grid-size", type=int, default=10, help="GridSearch grid size")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap draws")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", metavar="DIR", help="output folder")
    p.add_argument("--report", action="store_true", help="write the decision memo memo.html")
    p.set_defaults(handler=run)


def _estimator(value: str | None, trust: str | None) -> Any:
    if value is None:
        return None
    if value == "logistic":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    from equilens.adapters import SklearnAdapter

    return SklearnAdapter(path=value, trust=split_list(trust)).estimator


def _numbers(value: str | None, option: str) -> list[float]:
    try:
        return [float(v) for v in split_list(value)]
    except ValueError:
        raise InvalidParameterError(
            f"{option} expects numbers separated by commas, got '{value}'"
        ) from None


def _from_log(args: argparse.Namespace) -> int:
    from equilens.mitigate import thresholds_from_curves
    from equilens.results import read_log

    methods = split_list(args.method)
    bad = [m for m in methods if m not in ("equal_fpr", "equal_tpr")]
    if bad:
        raise InvalidParameterError(
            f"--log chooses thresholds for equal_fpr / equal_tpr only, not '{bad[0]}'; pass DATA "
            "to fit other methods"
        )
    sens = split_list(args.sensitive)
    if len(sens) != 1:
        raise InvalidParameterError("--log chooses thresholds for one --sensitive feature")
    log = read_log(args.log)
    out = {}
    for m in methods:
        rate: Literal["fpr", "tpr"] = "fpr" if m == "equal_fpr" else "tpr"
        thr, ach, target = thresholds_from_curves(log.curves, sens[0], rate=rate)
        out[m] = {"target": target, "thresholds": thr, "achieved": ach}
        print(f"{m}: target {rate.upper()} {target:.3f} (overall, audited operating point)")
        for g, t in thr.items():
            print(f"  {sens[0]}={g}: score >= {t:.4g} ({rate.upper()} {ach[g]:.3f})")
    print(
        "Chosen on the audited rows (in-sample): evaluate them on held-out rows before use. "
        "Group-specific thresholds decide with the sensitive feature."
    )
    if args.out:
        folder = output_dir(args.out, "--out")
        folder.mkdir(parents=True, exist_ok=True)
        write_text_atomic(folder / "thresholds.json", json.dumps(out, indent=2) + "\n")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run ``equilens mitigate``."""
    check_draws(args.bootstrap)
    if args.log is not None:
        if args.data is not None:
            raise InvalidParameterError("pass DATA or --log, not both")
        return _from_log(args)
    if args.data is None:
        raise InvalidParameterError("pass DATA (rows to fit and evaluate on) or --log")
    if args.y_true is None:
        raise InvalidParameterError("--y-true is required with DATA")
    if args.out is None:
        raise InvalidParameterError("--out is required with DATA")
    folder = output_dir(args.out, "--out")
    from equilens.mitigate import mitigate
    from equilens.report import option_sentences, render_mitigation_html
    from equilens.results import write_log

    pos: Any = args.positive_label
    if pos is not None and pos.lstrip("-").isdigit():
        pos = int(pos)
    run_ = mitigate(
        args.data,
        y_true=args.y_true,
        sensitive_features=split_list(args.sensitive),
        methods=split_list(args.method),
        constraint=args.constraint,
        estimator=_estimator(args.estimator, args.trust),
        features=split_list(args.features) or None,
        y_score=args.score,
        positive_label=pos,
        threshold=args.threshold,
        bins=parse_bins(args.bins),
        eval_fraction=args.eval_fraction,
        split=args.split,
        folds=args.folds,
        eps=args.eps,
        slacks=_numbers(args.slacks, "--slacks"),
        grid_size=args.grid_size,
        bootstrap=args.bootstrap,
        seed=args.seed,
    )
    folder.mkdir(parents=True, exist_ok=True)
    result = run_.result
    write_text_atomic(folder / "mitigation.json", result.to_json() + "\n")
    names = ("tradeoff", "grid_curve", "slack_curve", "options_curve")
    curves = {c: getattr(result, c) for c in names}
    write_text_atomic(
        folder / "tradeoff.json",
        json.dumps({k: v.model_dump(mode="json") for k, v in curves.items() if v}, indent=2) + "\n",
    )
    for name, log in run_.logs.items():
        write_log(log, folder / f"audit_{name}.json")
    for name, comp in run_.comparisons.items():
        write_text_atomic(folder / f"compare_original_{name}.json", comp.to_json() + "\n")
    for o in result.options:
        flag = " [decides with the sensitive feature]" if o.uses_sensitive_at_decision else ""
        feas = "" if o.feasible else " [INFEASIBLE]"
        print(f"{o.name}{flag}{feas}: {o.note}")
    print()
    print("\n".join(option_sentences(result)))
    if args.report:
        write_text_atomic(folder / "memo.html", render_mitigation_html(result))
    print(
        f"written to {folder}/ (mitigation.json, tradeoff.json, audit_*.json, compare_*.json"
        + (", memo.html)" if args.report else ")")
    )
    return 0
