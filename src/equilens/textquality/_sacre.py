"""BLEU, chrF and TER from sacrebleu's own per-segment statistics, scored vectorised.

sacrebleu reduces each segment to sufficient statistics (BLEU: hypothesis and reference
length, matched and total n-grams for n = 1..4; chrF: hypothesis, reference and matched
n-gram counts per character and word order; TER: edits and reference length) and scores a
corpus from their sums. The scoring functions below are those formulas over many totals at
once (one row per bootstrap draw), equal to sacrebleu's ``_compute_score_from_stats`` with its
default settings (tested), so a paired bootstrap of 100,000 segments costs matrix products.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilens.exceptions import InvalidInputError

FloatArray = NDArray[np.float64]

CORPUS_METRICS: tuple[str, ...] = ("bleu", "chrf", "ter")


def _metric(name: str) -> Any:
    from sacrebleu.metrics.bleu import BLEU
    from sacrebleu.metrics.chrf import CHRF
    from sacrebleu.metrics.ter import TER

    return {"bleu": BLEU, "chrf": CHRF, "ter": TER}[name]()


def bleu_from_totals(t: FloatArray, order: int = 4) -> FloatArray:
    """Corpus BLEU (sacrebleu defaults: 'exp' smoothing, no effective order) of totals rows."""
    t = np.atleast_2d(t)
    sys_len, ref_len = t[:, 0], t[:, 1]
    correct, total = t[:, 2 : 2 + order], t[:, 2 + order : 2 + 2 * order]
    with np.errstate(divide="ignore", invalid="ignore"):
        bp = np.where(sys_len < ref_len, np.where(sys_len > 0, np.exp(1 - ref_len / sys_len), 0), 1)
        zero = correct == 0
        smooth = 2.0 ** np.cumsum(zero, axis=1)  # 'exp': halves for each zero-match order
        prec = np.where(zero, 100.0 / (smooth * total), 100.0 * correct / total)
        # An order with no n-grams ends the loop: it and higher orders keep precision 0.
        ended = np.cumsum(total == 0, axis=1) > 0
        prec = np.where(ended, 0.0, prec)
        logs = np.where(prec > 0, np.log(np.where(prec > 0, prec, 1.0)), -9999999999.0)
        score = bp * np.exp(logs.sum(axis=1) / order)
    score = np.where(correct.sum(axis=1) == 0, 0.0, score)
    return np.asarray(score, dtype=np.float64)


def chrf_from_totals(t: FloatArray, beta: float = 2.0) -> FloatArray:
    """Corpus chrF (sacrebleu defaults: effective-order averaging) of totals rows."""
    t = np.atleast_2d(t)
    hyp, ref, match = t[:, 0::3], t[:, 1::3], t[:, 2::3]
    eps = 1e-16
    with np.errstate(divide="ignore", invalid="ignore"):
        prec = np.where(hyp > 0, match / hyp, eps)
        rec = np.where(ref > 0, match / ref, eps)
    used = (hyp > 0) & (ref > 0)
    n_used = used.sum(axis=1)
    avg_p = np.where(n_used > 0, np.where(used, prec, 0).sum(axis=1) / np.maximum(n_used, 1), 0)
    avg_r = np.where(n_used > 0, np.where(used, rec, 0).sum(axis=1) / np.maximum(n_used, 1), 0)
    f = beta * beta
    with np.errstate(divide="ignore", invalid="ignore"):
        score = 100 * (1 + f) * avg_p * avg_r / (f * avg_p + avg_r)
    return np.asarray(np.where(avg_p + avg_r > 0, score, 0.0), dtype=np.float64)


def ter_from_totals(t: FloatArray) -> FloatArray:
    """Corpus TER (edits / reference words, x100) of totals rows."""
    t = np.atleast_2d(t)
    edits, ref = t[:, 0], t[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(ref > 0, edits / ref, np.where(edits > 0, 1.0, 0.0))
    return np.asarray(100 * score, dtype=np.float64)


SCORERS: dict[str, Callable[[FloatArray], FloatArray]] = {
    "bleu": bleu_from_totals,
    "chrf": chrf_from_totals,
    "ter": ter_from_totals,
}


@dataclass(frozen=True)
class SegmentStatistics:
    """sacrebleu's per-segment statistics of one metric (``N x q``) and its signature."""

    metric: str
    stats: FloatArray
    signature: str

    def corpus(self, rows: NDArray[np.bool_] | None = None) -> float:
        part = self.stats if rows is None else self.stats[rows]
        return float(SCORERS[self.metric](part.sum(axis=0)[None, :])[0])


def segment_statistics(
    metric: str, hypotheses: Sequence[str], references: Sequence[str]
) -> SegmentStatistics:
    """sacrebleu's statistics of each (hypothesis, reference) segment for ``metric``."""
    check_lengths(hypotheses, references)
    scorer = _metric(metric)
    stats = scorer._extract_corpus_statistics(list(hypotheses), [list(references)])
    arr = np.asarray(stats, dtype=np.float64).reshape(len(hypotheses), -1)
    return SegmentStatistics(metric, arr, str(scorer.get_signature()))


def check_lengths(hypotheses: Sequence[str], references: Sequence[str]) -> None:
    if len(hypotheses) != len(references):
        raise InvalidInputError(
            f"Got {len(hypotheses)} hypotheses and {len(references)} references; "
            "each hypothesis needs its reference"
        )


def sentence_scores(
    metric: str, hypotheses: Sequence[str], references: Sequence[str]
) -> tuple[FloatArray, str]:
    """Sentence-level scores (BLEU with effective order, as sacrebleu recommends)."""
    check_lengths(hypotheses, references)
    from sacrebleu.metrics.bleu import BLEU

    scorer = BLEU(effective_order=True) if metric == "bleu" else _metric(metric)
    scores = [
        scorer.sentence_score(h, [r]).score for h, r in zip(hypotheses, references, strict=True)
    ]
    return np.asarray(scores, dtype=np.float64), str(scorer.get_signature())
