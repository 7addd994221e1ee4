"""``equilens textmetrics``: quality of generated text per group, with evidence.

Writes one audit log per system and sentence-level metric (``DIR/<system>.<metric>.json``,
task ``measure``: per-group means with intervals, tests, Holm/BH, readable by report, gate
and card), ``DIR/textmetrics.json`` (corpus BLEU/chrF/TER per slice with bootstrap intervals,
system and group comparisons, sacrebleu signatures, perplexity per slice) and
``DIR/segments.csv`` (every per-segment value). Exit 0; 2 for bad input.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from pathlib import Path
from typing import Any

from equilens._cli._options import check_draws, output_dir, split_list
from equilens.exceptions import InvalidParameterError


def register(sub: Any) -> None:
    """Add the ``textmetrics`` subcommand."""
    p = sub.add_parser(
        "textmetrics",
        help="generation quality per group (BLEU, chrF, TER, ROUGE, BERTScore, perplexity)",
        description="Quality of generated text per group: sentence-level BLEU/chrF/TER "
        "(sacrebleu), ROUGE-1/2/L (rouge-score), BERTScore (a local model; the shipped "
        "all-MiniLM-L6-v2 by default, not comparable with published roberta-large numbers) "
        "and perplexity (SmolLM2 by default) as per-segment measures audited per group; corpus "
        "BLEU/chrF/TER per group with segment-bootstrap intervals and approximate-"
        "randomisation comparisons (with --cluster: clusters resampled and permuted). Several "
        "--hypothesis columns are systems compared with the first.",
    )
    p.add_argument("--data", required=True, metavar="FILE", help="CSV or Parquet file")
    p.add_argument(
        "--hypothesis", required=True, metavar="COL[,COL]", help="generated text column(s)"
    )
    p.add_argument("--reference", metavar="COL", help="reference text column")
    p.add_argument("--sensitive", metavar="A,B", help="columns to slice by (comma-separated)")
    p.add_argument(
        "--metrics",
        default="bleu,chrf,ter,rouge",
        metavar="LIST",
        help="bleu,chrf,ter,rouge,bertscore,perplexity (default bleu,chrf,ter,rouge)",
    )
    p.add_argument(
        "--cluster",
        metavar="COL",
        help="segments of one cluster are one unit (sentence audits, corpus bootstrap and tests)",
    )
    p.add_argument("--bertscore-model", metavar="DIR", help="local model folder for BERTScore")
    p.add_argument("--lm", metavar="DIR", help="local causal LM folder for perplexity")
    p.add_argument("--lm-gguf", metavar="FILE", help="GGUF file inside --lm")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap draws (default 1000)")
    p.add_argument("--trials", type=int, default=1000, help="randomisation trials (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    p.add_argument("--min-group-size", type=int, default=30, help="as in audit (default 30)")
    h = p.add_argument_group("human ratings (agreement, triangulation, verdicts)")
    h.add_argument("--ratings", metavar="FILE", help="long-format ratings (CSV or Parquet)")
    h.add_argument("--rubric", metavar="FILE", help="rubric YAML (criteria, scales, metrics)")
    h.add_argument("--id", dest="id_column", metavar="COL", help="segment id column of --data")
    h.add_argument("--rated-system", metavar="COL", help="hypothesis column that was rated")
    h.add_argument("--rating-item", default="item", metavar="COL", help="(default item)")
    h.add_argument("--rating-rater", default="rater", metavar="COL", help="(default rater)")
    h.add_argument("--rating-criterion", default="criterion", metavar="COL")
    h.add_argument("--rating-score", default="score", metavar="COL", help="(default score)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from equilens._files import ensure_dir, write_text_atomic
    from equilens.agreement import read_columns
    from equilens.report import render_text_quality
    from equilens.results import write_log
    from equilens.textquality import check_metrics, language_model, perplexity_rows, text_metrics

    draws = check_draws(args.bootstrap)
    trials = check_draws(args.trials, "--trials")
    out = output_dir(args.out, "--out")
    systems = split_list(args.hypothesis)
    sensitive = split_list(args.sensitive)
    metrics = check_metrics(split_list(args.metrics))
    wanted = [(c, "hypothesis") for c in systems]
    wanted += [(args.reference, "reference")] if args.reference else []
    wanted += [(c, "sensitive") for c in sensitive]
    wanted += [(args.cluster, "cluster")] if args.cluster else []
    if bool(args.ratings) != bool(args.rubric) or (args.ratings and not args.id_column):
        raise InvalidParameterError("--ratings, --rubric and --id go together")
    wanted += [(args.id_column, "id")] if args.id_column else []
    frame = read_columns(args.data, wanted)
    rated = args.rated_system or systems[0]
    if rated not in systems:
        raise InvalidParameterError(f"--rated-system {rated} is not a --hypothesis column")
    lm = None
    if "perplexity" in metrics and args.lm:
        lm = language_model(args.lm, args.lm_gguf)
    result = text_metrics(
        frame,
        hypotheses=systems,
        reference=args.reference,
        sensitive=sensitive,
        metrics=metrics,
        cluster=args.cluster,
        bootstrap=draws,
        trials=trials,
        seed=args.seed,
        bertscore_model=args.bertscore_model,
        lm=lm,
        min_group_size=args.min_group_size,
    )
    human: dict[str, Any] = {}
    if args.ratings:
        human = _human(args, frame, result, rated, sensitive, draws)
    ensure_dir(out, "--out folder")
    logs: dict[str, str] = {}
    for criterion, log in human.pop("human_logs", {}).items():
        path = write_log(log, Path(out) / f"human.{_safe(criterion)}.json")
        logs[f"human.{criterion}"] = str(path.name)
    for (system, metric), log in result.logs.items():
        path = write_log(log, Path(out) / f"{_safe(system)}.{metric}.json")
        logs[f"{system}.{metric}"] = str(path.name)
    perplexity = {
        system: perplexity_rows(log)
        for (system, metric), log in result.logs.items()
        if metric == "nll_per_token"
    }
    doc = {
        "kind": "textmetrics",
        "settings": {
            "data": str(args.data),
            "hypothesis": systems,
            "reference": args.reference,
            "sensitive": sensitive,
            "metrics": metrics,
            "bootstrap": draws,
            "trials": trials,
            "seed": args.seed,
            "cluster": args.cluster,
            "n_clusters": result.clusters["n_clusters"] if result.clusters else None,
        },
        "signatures": result.signatures,
        "models": result.models,
        "logs": logs,
        **result.corpus,
        "perplexity": perplexity,
        **human,
    }
    write_text_atomic(Path(out) / "textmetrics.json", json.dumps(doc, indent=2) + "\n")
    result.segments.to_csv(Path(out) / "segments.csv", index=False)
    write_text_atomic(Path(out) / "text_quality.html", render_text_quality(doc))
    for row in result.corpus.get("corpus", []):
        if row["feature"] is None:
            ci = ""
            if row["ci_low"] is not None:
                ci = f" [{row['ci_low']:.2f}, {row['ci_high']:.2f}]"
            sys.stdout.write(f"{row['system']}: corpus {row['metric']} = {row['value']:.2f}{ci}\n")
    corpus = result.corpus.get("corpus", [])
    if corpus:
        counted = f" over {result.clusters['n_clusters']} clusters" if result.clusters else ""
        sys.stdout.write(f"corpus intervals: {corpus[0]['ci_method']}{counted}\n")
    sys.stdout.write(f"wrote {len(logs)} audit logs and textmetrics.json to {out}\n")
    return 0


def run_spec_text_metrics(spec: Any, spec_path: Path, out: Path, quiet: bool) -> int:
    """The ``text_metrics:`` section of an audit spec: ``equilens textmetrics`` on its data.

    The section is turned into this command's options (so defaults, checks and outputs are
    this command's), resolved against the spec's folder; it writes into ``out``/``out``.
    """
    from equilens.spec import resolve_data, text_metrics_path

    tm = spec.text_metrics
    data, _ = resolve_data(spec, spec_path.parent)
    options: dict[str, Any] = {
        "--data": data,
        "--hypothesis": ",".join(tm.systems),
        "--reference": tm.reference,
        "--sensitive": ",".join(
            tm.sensitive if tm.sensitive is not None else spec.sensitive_features
        ),
        "--metrics": ",".join(tm.metrics),
        "--cluster": tm.cluster,
        "--bertscore-model": tm.bertscore_model
        and text_metrics_path(spec_path, tm.bertscore_model),
        "--lm": tm.lm and text_metrics_path(spec_path, tm.lm),
        "--lm-gguf": tm.lm_gguf,
        "--bootstrap": tm.bootstrap if tm.bootstrap is not None else spec.bootstrap.draws,
        "--trials": tm.trials,
        "--seed": tm.seed if tm.seed is not None else spec.bootstrap.seed,
        "--min-group-size": tm.min_group_size or spec.min_group_size,
        "--ratings": tm.ratings and text_metrics_path(spec_path, tm.ratings),
        "--rubric": tm.rubric and text_metrics_path(spec_path, tm.rubric),
        "--id": tm.id,
        "--rated-system": tm.rated_system,
        "--rating-item": tm.rating_item,
        "--rating-rater": tm.rating_rater,
        "--rating-criterion": tm.rating_criterion,
        "--rating-score": tm.rating_score,
        "--out": out / tm.out,
    }
    argv = ["textmetrics"]
    for flag, value in options.items():
        if value is not None and value != "":
            argv += [flag, str(value)]
    parser = argparse.ArgumentParser(prog="equilens")
    register(parser.add_subparsers())
    args = parser.parse_args(argv)
    if not quiet:
        sys.stdout.write(f"\ntext_metrics: equilens textmetrics into {out / tm.out}\n")
    with contextlib.redirect_stdout(io.StringIO()) if quiet else contextlib.nullcontext():
        return run(args)


def run_text_only_spec(args: argparse.Namespace, out: Path) -> int:
    """``equilens audit SPEC`` for a spec with ``text_metrics:`` and no ``columns:``."""
    from equilens.spec import validate_spec

    if args.mlflow or args.mlflow_run or args.mlflow_uri:
        raise InvalidParameterError(
            f"--mlflow: {args.spec} only runs text_metrics: (no audit log to log)"
        )
    spec = validate_spec(args.spec)
    is_json = args.output_format == "json"
    code = run_spec_text_metrics(spec, Path(args.spec), out, args.quiet or is_json)
    if is_json:
        where = str(out / spec.text_metrics.out) if spec.text_metrics is not None else str(out)
        sys.stdout.write(json.dumps({"text_metrics": where, "exit_code": code}, indent=2) + "\n")
    return code


def _human(
    args: argparse.Namespace,
    frame: Any,
    result: Any,
    rated: str,
    sensitive: list[str],
    draws: int,
) -> dict[str, Any]:
    from equilens.agreement import read_columns
    from equilens.textquality import combined_tables, load_rubric, prepare_ratings

    rubric = load_rubric(args.rubric)
    names = {
        "item": args.rating_item,
        "rater": args.rating_rater,
        "criterion": args.rating_criterion,
        "score": args.rating_score,
    }
    ratings = read_columns(args.ratings, [(c, role) for role, c in names.items()])
    ratings = ratings.rename(columns={c: role for role, c in names.items()})
    ratings = prepare_ratings(
        ratings, rubric, result.segments, frame[args.id_column], sensitive, str(args.ratings)
    )
    return combined_tables(
        ratings,
        rubric,
        result.segments,
        result.logs,
        rated_system=rated,
        sensitive=sensitive,
        bootstrap=draws,
        seed=args.seed,
        min_group_size=args.min_group_size,
    )


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name) or "system"
