"""``equilens safety redteam`` and ``equilens safety qa``.

Contract::

    equilens safety redteam --suite FILE|financial (--model SPEC | --answers FILE) --out DIR
                            [--grader rules|classifier|judge] [--judge SPEC] [--classifier SPEC]
    equilens safety qa      --questions FILE|history (--model SPEC | --answers FILE) --out DIR
                            [--slices subject,region,period]

SPEC is a model-adapter spec file (YAML/JSON, ``{kind: openai, ...}``, optionally under a
``model:`` key) or ``smollm2`` (the shipped SmolLM2-135M-Instruct, chat template on). The
classifier SPEC may also be ``module:attr`` naming a callable ``texts -> scores``. Each run
writes ``DIR/audit.json`` (the log the gate, the report and the claim check read) and
``DIR/cases.jsonl`` (every case or item with its answer and grade), and prints a summary.
Exit codes: 0 done, 2 bad input or usage, 3 internal error.
"""

from __future__ import annotations

import argparse
import importlib
import json
from pathlib import Path
from typing import Any

from equilens._cli._options import output_dir
from equilens._files import ensure_dir, write_text_atomic
from equilens.exceptions import InvalidParameterError

__all__ = ["register_qa", "register_redteam"]


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=None, help="model-adapter spec file, or smollm2")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--max-new-tokens", type=int, default=64, help="tokens per answer (64)")
    p.add_argument("--confidence", type=float, default=0.95, help="confidence level (0.95)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--limit", type=int, default=None, help="first N requests/items only")


def register_redteam(sub: Any) -> None:
    """Add ``redteam`` to the ``safety`` subcommands."""
    p = sub.add_parser("redteam", help="red-team suite: harmful and refusal rates by persona")
    p.add_argument("--suite", required=True, help="suite file (.yaml/.jsonl) or 'financial'")
    p.add_argument(
        "--answers", default=None, help="precomputed answers (JSONL/CSV: case_id, answer)"
    )
    p.add_argument("--grader", choices=("rules", "classifier", "judge"), default="rules")
    p.add_argument("--judge", default=None, help="chat model spec of the judge (--grader judge)")
    p.add_argument("--classifier", default=None, help="classifier spec (--grader classifier)")
    p.add_argument("--threshold", type=float, default=0.5, help="classifier threshold (0.5)")
    p.add_argument("--min-pairs", type=int, default=10, help="paired requests below: no test")
    p.add_argument("--top-k", type=int, default=10, help="worst answers kept verbatim (10)")
    _common(p)
    p.set_defaults(handler=run_redteam_cmd)


def register_qa(sub: Any) -> None:
    """Add ``qa`` to the ``safety`` subcommands."""
    p = sub.add_parser("qa", help="factual accuracy by slice (subject, region, period)")
    p.add_argument("--questions", required=True, help="QA file (.jsonl) or 'history'")
    p.add_argument("--answers", default=None, help="precomputed answers (JSONL/CSV: id, answer)")
    p.add_argument("--slices", default=None, help="slice columns (default: those present)")
    _common(p)
    p.set_defaults(handler=run_qa_cmd)


def load_model(spec: str, what: str = "--model") -> Any:
    """A model adapter from a spec file, ``smollm2``, or (classifiers) ``module:attr``."""
    from equilens._cli._models import adapter_from_file, is_spec_file, smollm2_adapter

    if spec == "smollm2":
        return smollm2_adapter(what, chat=True)
    if is_spec_file(spec):
        return adapter_from_file(spec, what)
    if ":" in spec:
        module, _, attr = spec.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise InvalidParameterError(f"{what} '{spec}' cannot be imported: {exc}") from None
    raise InvalidParameterError(
        f"{what} '{spec}' is neither a model spec file (.yaml/.json), smollm2, nor module:attr"
    )


def _settings(args: argparse.Namespace) -> Any:
    from equilens.adapters import GenerationSettings

    return GenerationSettings(max_new_tokens=args.max_new_tokens, temperature=0.0, seed=args.seed)


def _check(args: argparse.Namespace) -> Path:
    if not 0.0 < args.confidence < 1.0:
        raise InvalidParameterError(f"--confidence must be in (0, 1); got {args.confidence}")
    if args.limit is not None and args.limit < 1:
        raise InvalidParameterError(f"--limit must be at least 1; got {args.limit}")
    if (args.model is None) == (args.answers is None):
        raise InvalidParameterError("give exactly one of --model and --answers")
    return output_dir(args.out, "--out")


def _model_record(model: Any, spec: str | None) -> dict[str, Any] | None:
    if model is None:
        return None
    describe = getattr(model, "describe", None)
    return {"spec": spec, **(describe() if callable(describe) else {})}


def _write(out: Path, log: Any, frame: Any) -> None:
    from equilens.results import write_log

    ensure_dir(out, "--out")
    write_log(log, out / "audit.json")
    lines = (json.dumps(r, ensure_ascii=False, default=str) for r in frame.to_dict("records"))
    write_text_atomic(out / "cases.jsonl", "\n".join(lines) + "\n")


def run_redteam_cmd(args: argparse.Namespace) -> int:
    from equilens.report import redteam_lines, terminal
    from equilens.safety.redteam import (
        ClassifierGrader,
        JudgeGrader,
        RulesGrader,
        load_suite,
        read_answers,
        run_redteam,
    )

    out = _check(args)
    if args.min_pairs < 1 or args.top_k < 0:
        raise InvalidParameterError("--min-pairs must be at least 1 and --top-k at least 0")
    suite, path = load_suite(args.suite)
    if args.limit is not None:
        suite = suite.model_copy(update={"requests": suite.requests[: args.limit]})
    grader: Any
    if args.grader == "judge":
        if args.judge is None:
            raise InvalidParameterError("--grader judge needs --judge SPEC (a chat model)")
        grader = JudgeGrader(load_model(args.judge, "--judge"))
    elif args.grader == "classifier":
        if args.classifier is None:
            raise InvalidParameterError("--grader classifier needs --classifier SPEC")
        grader = ClassifierGrader(
            suite, load_model(args.classifier, "--classifier"), threshold=args.threshold,
            description=args.classifier,
        )  # fmt: skip
    else:
        grader = RulesGrader(suite)
    answers = read_answers(args.answers) if args.answers else None
    if answers is not None and args.limit is not None:
        keep = {r.id for r in suite.requests}
        answers = {k: v for k, v in answers.items() if k.split("/")[0] in keep}
    model = load_model(args.model) if args.model else None
    run = run_redteam(
        suite,
        path,
        grader=grader,
        model=model,
        answers=answers,
        settings=_settings(args),
        model_record=_model_record(model, args.model),
        confidence_level=args.confidence,
        min_pairs=args.min_pairs,
        top_k=args.top_k,
        seed=args.seed,
    )
    _write(out, run.log, run.cases)
    console = terminal(width=160)
    for line in redteam_lines(run.log):
        console.print(line, markup=False, highlight=False)
    console.print(f"Wrote {out / 'audit.json'} and {out / 'cases.jsonl'}", markup=False)
    return 0


def run_qa_cmd(args: argparse.Namespace) -> int:
    from equilens.report import qa_lines, terminal
    from equilens.safety.qa import load_questions, read_qa_answers, run_qa

    out = _check(args)
    items = load_questions(args.questions)
    if args.limit is not None:
        items = items[: args.limit]
    answers = read_qa_answers(args.answers) if args.answers else None
    model = load_model(args.model) if args.model else None
    slices = [s.strip() for s in args.slices.split(",") if s.strip()] if args.slices else None
    run = run_qa(
        items,
        model=model,
        answers=answers,
        slices=slices,
        settings=_settings(args),
        model_record=_model_record(model, args.model),
        confidence_level=args.confidence,
        seed=args.seed,
    )
    _write(out, run.log, run.items)
    console = terminal(width=160)
    for line in qa_lines(run.log):
        console.print(line, markup=False, highlight=False)
    console.print(f"Wrote {out / 'audit.json'} and {out / 'cases.jsonl'}", markup=False)
    return 0
