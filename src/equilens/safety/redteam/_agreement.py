"""How far to trust a grader: agreement with a labelled sample of answers.

The shipped sample (``equilens/safety/data/judge_sample.jsonl``) holds 32 answers to requests
of the financial suite, written and labelled by hand by the equilens authors (harmful 12,
refusal 13, neither 7). It is **illustrative**: one labeller, no adjudication, and answers
written to be clear-cut, so agreement on real answers is usually lower. Use your own labelled
answers (same JSONL fields) for a figure you can cite.

Figures: percent agreement with its Wilson interval over the graded items, and Cohen's kappa
(agreement beyond chance) with the large-sample standard error of Fleiss, Cohen & Everitt
(1969), giving a normal interval; items the grader left ungraded (off-format) are counted and
left out of both.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats as sps

from equilens.exceptions import InvalidInputError
from equilens.safety.redteam._graders import OUTCOMES, Grader
from equilens.safety.redteam._suite import Case
from equilens.stats import wilson_interval

__all__ = ["Agreement", "cohens_kappa", "judge_agreement", "load_judge_sample"]


@dataclass(frozen=True)
class Agreement:
    """A grader's agreement with labels."""

    items: int
    graded: int
    off_format: int
    agree: int
    percent: float | None
    ci_low: float | None
    ci_high: float | None
    kappa: float | None
    kappa_ci_low: float | None
    kappa_ci_high: float | None
    ci_method: str = "wilson (percent); normal with Fleiss-Cohen-Everitt SE (kappa)"
    sample: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_judge_sample(path: str | Path | None = None) -> list[dict[str, str]]:
    """Labelled answers (``id``, ``category``, ``prompt``, ``answer``, ``label``); the shipped
    sample when ``path`` is None."""
    where = (
        Path(str(resources.files("equilens.safety").joinpath("data", "judge_sample.jsonl")))
        if path is None
        else Path(path)
    )
    rows: list[dict[str, str]] = []
    try:
        lines = where.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InvalidInputError(f"labelled sample file not found: {where}") from None
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"{where}:{i}: invalid JSON: {exc.msg}") from None
        for key in ("category", "prompt", "answer", "label"):
            if not isinstance(row, dict) or not isinstance(row.get(key), str):
                raise InvalidInputError(f"{where}:{i}: missing text field '{key}'")
        if row["label"] not in OUTCOMES:
            raise InvalidInputError(
                f"{where}:{i}: label: {row['label']!r} is not harmful, refusal or neither"
            )
        rows.append(row)
    if not rows:
        raise InvalidInputError(f"{where}: the labelled sample is empty")
    return rows


def cohens_kappa(a: list[str], b: list[str]) -> tuple[float | None, float | None]:
    """Cohen's kappa of two labelings and its large-sample standard error (None: undefined)."""
    n = len(a)
    if n == 0:
        return None, None
    cats = sorted(set(a) | set(b))
    idx = {c: i for i, c in enumerate(cats)}
    table = np.zeros((len(cats), len(cats)))
    for x, y in zip(a, b, strict=True):
        table[idx[x], idx[y]] += 1
    p = table / n
    po = float(np.trace(p))
    r, c = p.sum(axis=1), p.sum(axis=0)
    pe = float(r @ c)
    if pe >= 1.0:
        return None, None
    kappa = (po - pe) / (1 - pe)
    # Fleiss, Cohen & Everitt (1969), the standard error of kappa (not under the null).
    diag = float(np.sum(np.diag(p) * (1 - (r + c) * (1 - kappa)) ** 2))
    off = (1 - kappa) ** 2 * float(
        np.sum(p * (r[:, None] + c[None, :]) ** 2) - np.sum(np.diag(p) * (r + c) ** 2)
    )
    last = (kappa - pe * (1 - kappa)) ** 2
    var = (diag + off - last) / (n * (1 - pe) ** 2)
    return float(kappa), float(np.sqrt(max(var, 0.0)))


def judge_agreement(
    grader: Grader, sample: list[dict[str, str]] | None = None, *, confidence: float = 0.95
) -> Agreement:
    """Grade the labelled ``sample`` (the shipped one by default) and compare with its labels."""
    rows = load_judge_sample() if sample is None else sample
    cases = [
        Case(
            case_id=r.get("id", str(i)),
            request_id=r.get("request_id", str(i)),
            category=r["category"],
            benign=r["category"] == "benign_control",
            persona="none",
            name="",
            prompt=r["prompt"],
        )
        for i, r in enumerate(rows)
    ]
    grades = grader.grade(cases, [r["answer"] for r in rows])
    pairs = [(o, r["label"]) for o, r in zip(grades.outcomes, rows, strict=True) if o is not None]
    n = len(pairs)
    agree = sum(o == lab for o, lab in pairs)
    alpha = 1 - confidence
    lo, hi = wilson_interval(agree, n, alpha) if n else (np.nan, np.nan)
    kappa, se = cohens_kappa([o for o, _ in pairs], [lab for _, lab in pairs])
    z = float(sps.norm.ppf(1 - alpha / 2))
    k_lo = max(-1.0, kappa - z * se) if kappa is not None and se is not None else None
    k_hi = min(1.0, kappa + z * se) if kappa is not None and se is not None else None
    return Agreement(
        items=len(rows),
        graded=n,
        off_format=len(rows) - n,
        agree=agree,
        percent=agree / n if n else None,
        ci_low=float(lo) if n else None,
        ci_high=float(hi) if n else None,
        kappa=kappa,
        kappa_ci_low=k_lo,
        kappa_ci_high=k_hi,
    )
