"""A red-team run: cases from a suite, answers from a model or a file, grades, the log."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from equilens.exceptions import InvalidInputError
from equilens.results import AuditLog
from equilens.safety.redteam._agreement import judge_agreement
from equilens.safety.redteam._graders import Grader, Grades
from equilens.safety.redteam._stats import redteam_log
from equilens.safety.redteam._suite import Case, PersonaList, Suite, expand_cases, load_personas

__all__ = ["RedteamRun", "read_answers", "run_redteam"]

#: Characters of an answer kept verbatim in the log's examples.
MAX_EXAMPLE = 2000
BATCH = 8


@dataclass(frozen=True)
class RedteamRun:
    """The log and every case with its answer and grade."""

    log: AuditLog
    cases: pd.DataFrame


def read_answers(path: str | Path) -> dict[str, str]:
    """Precomputed answers: JSONL (or CSV) rows with ``case_id`` and ``answer``."""
    path = Path(path)
    if not path.exists():
        raise InvalidInputError(f"answers file not found: {path}")
    out: dict[str, str] = {}
    if path.suffix.lower() == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in ("case_id", "answer"):
            if col not in frame.columns:
                raise InvalidInputError(f"{path}: no column '{col}'")
        rows = list(enumerate(frame[["case_id", "answer"]].to_dict("records"), start=2))
    else:
        rows = []
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                try:
                    rows.append((i, json.loads(line)))
                except json.JSONDecodeError as exc:
                    raise InvalidInputError(f"{path}:{i}: invalid JSON: {exc.msg}") from None
    for i, row in rows:
        if not isinstance(row, dict) or not all(
            isinstance(row.get(k), str) for k in ("case_id", "answer")
        ):
            raise InvalidInputError(f"{path}:{i}: a row needs text fields 'case_id' and 'answer'")
        if row["case_id"] in out:
            raise InvalidInputError(f"{path}:{i}: duplicate case_id '{row['case_id']}'")
        out[row["case_id"]] = row["answer"]
    if not out:
        raise InvalidInputError(f"{path}: the answers file is empty")
    return out


def _generate(model: Any, cases: Sequence[Case], settings: Any) -> list[str | None]:
    from equilens.adapters import PartialBatchError

    answers: list[str | None] = []
    for start in range(0, len(cases), BATCH):
        prompts = [c.prompt for c in cases[start : start + BATCH]]
        try:
            got: Sequence[Any] = model.generate(prompts, settings)
        except PartialBatchError as exc:
            got = [None if j in exc.errors else o for j, o in enumerate(exc.outputs)]
        answers.extend(None if a is None else str(a) for a in got)
    return answers


def _examples(frame: pd.DataFrame, reference: str, top_k: int) -> list[dict[str, Any]]:
    """Harmful answers, persona-specific ones (the reference was not harmful) first."""
    ref = frame[frame["persona"] == reference].set_index("request_id")["outcome"].to_dict()
    harmful = frame[frame["outcome"] == "harmful"].copy()
    harmful["ref_outcome"] = harmful["request_id"].map(ref)
    harmful["rank"] = (harmful["ref_outcome"] == "harmful").astype(int)
    harmful = harmful.sort_values(["rank", "case_id"], kind="stable").head(top_k)
    return [
        {
            "case_id": r.case_id,
            "category": r.category,
            "persona": r.persona,
            "prompt": r.prompt,
            "answer": str(r.answer)[:MAX_EXAMPLE],
            "outcome": r.outcome,
            "reference_outcome": r.ref_outcome if isinstance(r.ref_outcome, str) else None,
        }
        for r in harmful.itertuples()
    ]


def run_redteam(
    suite: Suite,
    suite_path: Path | None,
    *,
    grader: Grader,
    model: Any = None,
    answers: dict[str, str] | None = None,
    personas: PersonaList | None = None,
    settings: Any = None,
    model_record: dict[str, Any] | None = None,
    agreement: bool | None = None,
    confidence_level: float = 0.95,
    min_pairs: int = 10,
    top_k: int = 10,
    seed: int = 0,
) -> RedteamRun:
    """Expand the suite, get an answer per case (``model.generate`` or ``answers`` by
    ``case_id``), grade them and build the log.

    ``agreement`` (default: when the grader is the judge) grades the shipped labelled sample
    too and records the agreement figure.
    """
    plist = personas or load_personas(
        suite.personas, suite_path.parent if suite_path is not None else None
    )
    cases = expand_cases(suite, plist)
    if answers is not None:
        known = {c.case_id for c in cases}
        extra = next((k for k in answers if k not in known), None)
        if extra is not None:
            raise InvalidInputError(
                f"answers: case_id '{extra}' is not a case of suite '{suite.suite}' (cases "
                "are REQUEST_ID/PERSONA, e.g. " + cases[0].case_id + ")"
            )
        missing = next((c.case_id for c in cases if c.case_id not in answers), None)
        if missing is not None:
            raise InvalidInputError(f"answers: no answer for case '{missing}'")
        got: list[str | None] = [answers[c.case_id] for c in cases]
    elif model is not None:
        got = _generate(model, cases, settings)
    else:
        raise InvalidInputError("A red-team run needs a model or a file of answers")
    ok = [i for i, a in enumerate(got) if a is not None]
    if not ok:
        raise InvalidInputError(f"Every model call failed ({len(cases)} cases): no answer")
    grades: Grades = grader.grade([cases[i] for i in ok], [str(got[i]) for i in ok])
    outcomes: list[str | None] = [None] * len(cases)
    for i, o in zip(ok, grades.outcomes, strict=True):
        outcomes[i] = o
    frame = pd.DataFrame(
        {
            "case_id": [c.case_id for c in cases],
            "request_id": [c.request_id for c in cases],
            "category": [c.category for c in cases],
            "benign": [c.benign for c in cases],
            "persona": [c.persona for c in cases],
            "name": [c.name for c in cases],
            "prompt": [c.prompt for c in cases],
            "answer": got,
            "outcome": outcomes,
        }
    )
    want_agreement = agreement if agreement is not None else grader.name == "judge"
    record: dict[str, Any] = {
        "suite": suite.suite,
        "suite_version": suite.version,
        "grader": {**grades.grader, "retried": grades.retried},
        "reference_persona": plist.reference,
        "personas": list(plist.personas),
        "categories": list(suite.categories),
        "benign_categories": [k for k, c in suite.categories.items() if c.benign],
        "off_format": grades.off_format,
        "failed": len(cases) - len(ok),
        "judge_agreement": judge_agreement(grader).to_dict() if want_agreement else None,
        "examples": _examples(frame, plist.reference, top_k),
    }
    log = redteam_log(
        frame,
        record=record,
        reference=plist.reference,
        confidence_level=confidence_level,
        min_pairs=min_pairs,
        seed=seed,
    )
    if model_record is not None:
        log = log.model_copy(update={"model": model_record})
    return RedteamRun(log=log, cases=frame)
