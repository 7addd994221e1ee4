"""BLEU, chrF, TER, ROUGE equal sacrebleu and rouge-score; the AR test agrees with sacrebleu's."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rouge_score import rouge_scorer
from sacrebleu.metrics import BLEU, CHRF, TER

from _text_words import WORDS as _WORDS
from equilens.agreement import resampled_unit_totals
from equilens.textquality import (
    SCORERS,
    approximate_randomisation,
    rouge_scores,
    segment_statistics,
    sentence_scores,
)

WORDS = [*_WORDS, ",", "."]
CLASSES = {"bleu": BLEU, "chrf": CHRF, "ter": TER}


def _corpus(seed: int, n: int = 120) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    refs = [" ".join(rng.choice(WORDS, rng.integers(1, 16))) for _ in range(n)]
    hyps = []
    for r in refs:
        kept = r.split()[: rng.integers(0, 16)]
        hyps.append(" ".join(kept + list(rng.choice(WORDS, rng.integers(0, 4)))).strip())
    hyps[0] = ""
    return hyps, refs


@pytest.mark.parametrize("metric", ["bleu", "chrf", "ter"])
def test_corpus_scores_equal_sacrebleu(metric: str) -> None:
    hyps, refs = _corpus(0)
    seg = segment_statistics(metric, hyps, refs)
    scorer = CLASSES[metric]()
    assert seg.corpus() == pytest.approx(scorer.corpus_score(hyps, [refs]).score)
    assert seg.signature == str(scorer.get_signature())


@pytest.mark.parametrize("metric", ["bleu", "chrf", "ter"])
def test_vectorised_scorer_equals_sacrebleu_on_resampled_totals(metric: str) -> None:
    # Small resamples reach the edge cases: orders without n-grams, zero matches, empty text.
    hyps, refs = _corpus(1, 40)
    seg = segment_statistics(metric, hyps, refs)
    rng = np.random.default_rng(2)
    for size in (1, 2, 5, 40):
        totals = resampled_unit_totals(seg.stats[:size], 30, rng)
        ours = SCORERS[metric](totals)
        theirs = [CLASSES[metric]()._compute_score_from_stats(list(t)).score for t in totals]
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.text("abc .", max_size=20), st.text("abc .", max_size=20)),
        min_size=1,
        max_size=6,
    )
)
def test_bleu_and_chrf_equal_sacrebleu_on_any_text(pairs: list[tuple[str, str]]) -> None:
    hyps, refs = [h for h, _ in pairs], [r for _, r in pairs]
    for metric in ("bleu", "chrf"):
        ours = segment_statistics(metric, hyps, refs).corpus()
        assert ours == pytest.approx(CLASSES[metric]().corpus_score(hyps, [refs]).score, abs=1e-9)


@pytest.mark.parametrize("metric", ["bleu", "chrf", "ter"])
def test_sentence_scores_equal_sacrebleu(metric: str) -> None:
    hyps, refs = _corpus(3, 30)
    ours, _ = sentence_scores(metric, hyps, refs)
    scorer = BLEU(effective_order=True) if metric == "bleu" else CLASSES[metric]()
    theirs = [scorer.sentence_score(h, [r]).score for h, r in zip(hyps, refs, strict=True)]
    np.testing.assert_allclose(ours, theirs)


def test_rouge_equals_rouge_score_with_reference_as_target() -> None:
    hyps, refs = _corpus(4, 20)
    ours = rouge_scores(hyps, refs)
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    for i, (h, r) in enumerate(zip(hyps, refs, strict=True)):
        s = scorer.score(r, h)
        for t in ("rouge1", "rouge2", "rougeL"):
            assert ours[t][i] == pytest.approx(s[t].fmeasure)


def test_approximate_randomisation_agrees_with_sacrebleu_paired_ar() -> None:
    from sacrebleu.significance import PairedTest

    hyps, refs = _corpus(5, 150)
    rng = np.random.default_rng(6)
    other = [" ".join(h.split()[:-1]) if rng.random() < 0.3 else h for h in hyps]
    trials = 2000
    a = segment_statistics("bleu", other, refs).stats
    b = segment_statistics("bleu", hyps, refs).stats
    ours = approximate_randomisation(a, b, "bleu", trials, rng)
    test = PairedTest(
        [("base", hyps), ("other", other)],
        {"BLEU": BLEU(references=[refs])},
        references=None,
        test_type="ar",
        n_samples=trials,
    )
    _, scores = test()
    theirs = scores["BLEU"][1].p_value
    sd = np.sqrt(2 * max(theirs, 0.01) * (1 - theirs) / trials)
    assert abs(ours - theirs) < 4 * sd + 0.002, (ours, theirs)
