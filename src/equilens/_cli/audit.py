"""``equilens audit``: audit a prediction file from the command line."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from equilens._cli._options import (
    check_draws,
    output_dir,
    parse_bins,
    parse_pairs,
    split_list,
)
from equilens._cli._table import progress_printer
from equilens.audit import audit
from equilens.exceptions import InvalidParameterError
from equilens.report import SHOW_CHOICES
from equilens.results import AuditLog, write_log
from equilens.tasks import TASK_NAMES


def register(sub: Any) -> None:
    """Add the ``audit`` subcommand."""
    p = sub.add_parser(
        "audit",
        help="audit predictions from a spec file or a CSV/Parquet file",
        description="Audit predictions: metrics per group and intersection with intervals, "
        "tests, effect sizes and fairness criteria. Either give an audit spec (YAML) or the "
        "flags --data, --y-true, --y-pred, --sensitive and --out. Writes DIR/audit.json (and "
        "the report and summary the spec asks for). A spec with a policy: section also runs "
        "the release gate: exit 1 when the policy blocks, as `equilens gate`.",
    )
    p.add_argument("spec", nargs="?", help="audit spec (YAML); the flags below are a shortcut")
    p.add_argument("--data", help="CSV or Parquet file with one row per case")
    p.add_argument("--y-true", help="column of true labels")
    p.add_argument("--y-pred", help="column of predicted labels")
    p.add_argument("--y-score", help="column of scores in [0, 1] (enables ROC-AUC, calibration)")
    p.add_argument("--weight", help="column of sample weights")
    p.add_argument("--sensitive", help="sensitive feature columns: A,B[,C]")
    p.add_argument(
        "--task",
        choices=TASK_NAMES,
        default=None,
        help="what is audited (default binary; a spec file sets it with task:): multiclass "
        "(--y-score takes one column per class: A,B,...), regression, measure (--value, or "
        "--numerator and --denominator), ranking (--query, --item, --y-score or --rank, "
        "--relevance)",
    )
    tasks = p.add_argument_group("task columns (see --task)")
    tasks.add_argument("--value", help="measure: column of a number per row")
    tasks.add_argument("--numerator", help="measure: numerator column of a ratio of sums")
    tasks.add_argument("--denominator", help="measure: denominator column (e.g. reference words)")
    tasks.add_argument(
        "--cluster",
        help="measure, regression: column of the unit repeated rows share (prompt, speaker); "
        "intervals and tests then count clusters",
    )
    tasks.add_argument("--query", help="ranking: column of the query id")
    tasks.add_argument("--item", help="ranking: column of the item id")
    tasks.add_argument("--rank", help="ranking: column of the item's position (1 = top)")
    tasks.add_argument("--relevance", help="ranking: column of graded relevance (>= 0)")
    tasks.add_argument("--item-group", help="ranking: column of the item's provider group")
    tasks.add_argument("--k", help="ranking: cut-off(s) of NDCG@k etc.: K[,K...] (default 10)")
    tasks.add_argument("--top-k", type=int, help="multiclass: k of top-k accuracy")
    p.add_argument(
        "--engine",
        choices=("auto", "numpy", "duckdb", "spark"),
        default="auto",
        help="engine that reads the rows (default auto: by the input's type and size; a spec "
        "file sets it with engine:)",
    )
    add_audit_options(p)
    p.add_argument("--out", help="output directory (audit.json is written there)")
    add_output_options(p)
    p.set_defaults(handler=run)


def add_show_option(p: argparse.ArgumentParser) -> None:
    """``--show``: the long tables printed after the summary (``audit``, ``speech``, ...)."""
    p.add_argument(
        "--show",
        action="append",
        choices=SHOW_CHOICES,
        metavar="{" + ",".join(SHOW_CHOICES) + "}",
        help="after the summary, print these long tables, fitted to the terminal's width and "
        "paged on a terminal (repeatable; default: the summary only)",
    )


def add_output_options(p: argparse.ArgumentParser) -> None:
    """How the audit's result is printed (the files written do not change)."""
    add_show_option(p)
    p.add_argument(
        "--format",
        dest="output_format",
        choices=("text", "json"),
        default="text",
        help="text (default: the summary in words) or json (the summary as one JSON object "
        "with stable keys, for scripts; see docs/terminal.md)",
    )
    ml = p.add_argument_group("MLflow (pip install 'equilens[mlflow]')")
    ml.add_argument(
        "--mlflow",
        action="store_true",
        help="log the key metrics per group with their interval bounds, the gate verdict (tag) "
        "and audit.json, report.html, summary.md (artifacts) to an MLflow run",
    )
    ml.add_argument(
        "--mlflow-run",
        metavar="NAME|ID",
        help="the run: an existing run's id resumes it, a name starts a new run (default: "
        "the active run, else a new one); implies --mlflow",
    )
    ml.add_argument(
        "--mlflow-uri",
        metavar="URI",
        help="MLflow tracking URI (default $MLFLOW_TRACKING_URI); implies --mlflow",
    )


def add_audit_options(p: argparse.ArgumentParser) -> None:
    """Options shared by commands that run an audit."""
    p.add_argument(
        "--intersections", action="store_true", help="also audit every intersection of features"
    )
    p.add_argument("--positive-label", help="the positive (favourable) label value")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap draws (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--min-group-size",
        type=int,
        default=30,
        help="groups with fewer rows are insufficient_evidence (default 30)",
    )
    p.add_argument(
        "--reference",
        action="append",
        metavar="FEATURE=VALUE",
        help="reference group of a feature (repeatable; default: the largest group)",
    )
    p.add_argument(
        "--bins",
        action="append",
        metavar="FEATURE=E1,E2",
        help="cut a numeric feature into bands at these edges (repeatable)",
    )
    p.add_argument("--metrics", help="comma-separated metrics (default: all)")
    p.add_argument("--confidence", type=float, default=0.95, help="confidence level (default 0.95)")
    p.add_argument(
        "--store",
        metavar="URL",
        help="when the spec has a policy: run store for the audit and decision (default "
        "$EQUILENS_STORE, else .equilens/history.db)",
    )
    p.add_argument(
        "--no-store",
        action="store_true",
        help="when the spec has a policy: decide and report, but store nothing",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")


def audit_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of :func:`equilens.audit` from the shared options."""
    return {
        "intersections": bool(args.intersections),
        "positive_label": args.positive_label,
        "bootstrap": check_draws(args.bootstrap),
        "seed": args.seed,
        "min_group_size": args.min_group_size,
        "reference": parse_pairs(args.reference, "--reference") or None,
        "bins": parse_bins(args.bins) or None,
        "metrics": split_list(args.metrics) or None,
        "confidence_level": args.confidence,
    }


def task_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of :func:`equilens.audit` from the task column flags."""
    k: list[int] | None = None
    if args.k is not None:
        try:
            k = [int(v) for v in split_list(args.k)]
        except ValueError:
            raise InvalidParameterError(
                f"--k expects whole numbers K[,K...], got '{args.k}'"
            ) from None
    return {
        "value": args.value,
        "numerator": args.numerator,
        "denominator": args.denominator,
        "cluster": args.cluster,
        "query": args.query,
        "item": args.item,
        "rank": args.rank,
        "relevance": args.relevance,
        "item_group": args.item_group,
        "k": k,
        "top_k": args.top_k,
    }


def write_outputs(
    log: AuditLog,
    out: str,
    quiet: bool,
    formats: Sequence[str] = ("json",),
    option: str = "--out",
    *,
    show: Sequence[str] = (),
    output_format: str = "text",
) -> dict[str, Path]:
    """Write the log (and the requested reports) into ``out`` and print the summary (words,
    or JSON with ``output_format="json"``, nothing with ``"none"``), then the long tables
    ``show`` names."""
    out_dir = output_dir(out, option)
    written = {"json": write_log(log, out_dir / "audit.json")}
    if {"html", "markdown"} & set(formats):
        from equilens.report import write_report

        written.update(write_report(log, out_dir, include_log=False, formats=formats))
    if output_format == "json":
        _print_json(log, written)
    elif not quiet and output_format == "text":
        from equilens.report import print_brief, print_tables

        print_brief(log, files=written)
        if show:
            print_tables(log, show)
    return written


def run(args: argparse.Namespace) -> int:
    """Run ``equilens audit``."""
    # --format json: stdout holds the JSON object alone (the gate's lines are not printed).
    is_json = args.output_format == "json"
    quiet = args.quiet or is_json
    # --format json prints once, at the end, with the gate's verdict and the MLflow run.
    shown: dict[str, Any] = {
        "show": args.show or (),
        "output_format": "none" if is_json else "text",
    }
    to_mlflow = bool(args.mlflow or args.mlflow_run or args.mlflow_uri)
    if to_mlflow:  # before the audit: a missing extra is a usage error, not a lost run
        from equilens.integrations.mlflow import connect

        connect(args.mlflow_uri)
    if args.spec:
        from equilens.spec import execute_spec, load_spec, resolve_policy

        option = "--out" if args.out else "outputs.dir"
        first = load_spec(args.spec)[0]
        output_dir(args.out or first.outputs.dir, option)
        if first.text_only:
            from equilens._cli.textmetrics import run_text_only_spec

            return run_text_only_spec(args, Path(args.out or first.outputs.dir))
        with progress_printer(quiet) as progress:
            spec_run = execute_spec(args.spec, progress=progress)
        spec, log = spec_run.spec, spec_run.log
        out_dir = Path(args.out or spec.outputs.dir)
        written = write_outputs(
            log, str(out_dir), args.quiet, spec.outputs.formats, option, **shown
        )
        for name, write in spec_run.files.items():  # speech: / images: tables beside the log
            write(out_dir / name)
        slices_code = 0
        if spec.slices is not None:
            from equilens._cli.slices import run_spec_slices

            slices_code = run_spec_slices(spec, Path(args.spec), out_dir, quiet)
        if spec.text_metrics is not None:
            from equilens._cli.textmetrics import run_spec_text_metrics

            slices_code = max(
                slices_code, run_spec_text_metrics(spec, Path(args.spec), out_dir, quiet)
            )
        policy = resolve_policy(spec, Path(args.spec))
        if policy is None:
            return _finish(args, log, written, None, slices_code)
        from equilens._cli.gate import apply_policy

        if not quiet:
            sys.stdout.write("\n")
        # Under --format json the gate's verdict line goes to stderr: stdout is the JSON alone.
        with contextlib.redirect_stdout(sys.stderr) if is_json else contextlib.nullcontext():
            code = apply_policy(
                log,
                policy,
                junit=out_dir / "gate.junit.xml",
                markdown=out_dir / "gate.md",
                json_out=out_dir / "decision.json",
                store=None if args.no_store else (args.store or ""),
                quiet=quiet,
            )
        return _finish(args, log, written, out_dir / "decision.json", max(code, slices_code))
    task = args.task or "binary"
    needed = [("--data", args.data)]
    if task == "binary":
        needed += [("--y-true", args.y_true), ("--y-pred", args.y_pred)]
    needed += [("--sensitive", args.sensitive), ("--out", args.out)]
    missing = [flag for flag, value in needed if not value]
    if missing:
        raise InvalidParameterError(
            f"equilens audit needs a spec file or the options {', '.join(missing)}"
        )
    sensitive = split_list(args.sensitive)
    if not sensitive:
        raise InvalidParameterError("--sensitive needs at least one column name")
    output_dir(args.out, "--out")
    kwargs = audit_kwargs(args)
    with progress_printer(quiet) as progress:
        log = audit(
            args.data,
            task=task,
            y_true=args.y_true,
            y_pred=args.y_pred,
            y_score=(split_list(args.y_score) or None) if task == "multiclass" else args.y_score,
            sample_weight=args.weight,
            sensitive_features=sensitive,
            engine=args.engine,
            progress=progress,
            **task_kwargs(args),
            **kwargs,
        )
    written = write_outputs(log, args.out, args.quiet, **shown)
    return _finish(args, log, written, None, 0)


def _finish(
    args: argparse.Namespace,
    log: AuditLog,
    written: dict[str, Path],
    decision: Path | None,
    code: int,
) -> int:
    """Log to MLflow when asked, print the JSON summary under --format json; ``code``."""
    gate = None
    if decision is not None and decision.is_file():
        from equilens.policy import GateDecision

        gate = GateDecision.model_validate_json(decision.read_text(encoding="utf-8"))
        written = {**written, "decision": decision}
    run_id = None
    if args.mlflow or args.mlflow_run or args.mlflow_uri:
        from equilens.integrations.mlflow import log_audit

        run_id = log_audit(log, run=args.mlflow_run, tracking_uri=args.mlflow_uri, gate=gate)
        if not (args.quiet or args.output_format == "json"):
            sys.stdout.write(f"logged to MLflow run {run_id}\n")
    if args.output_format == "json":
        verdict = None
        if gate is not None:
            verdict = {"verdict": str(gate.verdict), "policy": gate.policy_name, "exit_code": code}
        _print_json(log, written, gate=verdict, mlflow_run=run_id)
    return code


def _print_json(log: AuditLog, written: dict[str, Path], **extra: Any) -> None:
    import json

    from equilens.report import summary_data

    sys.stdout.write(json.dumps(summary_data(log, written, **extra), indent=2) + "\n")
