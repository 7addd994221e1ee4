"""Per-utterance error counts with jiwer: the numerators and denominators of WER and CER.

The corpus word error rate is ``sum(S + D + I) / sum(N)`` over utterances (``N`` reference
words), which is exactly the ``measure`` task's ``ratio_of_sums`` of these columns; the same
holds for characters. Counting per utterance (not per corpus) is what lets the audit cluster
utterances by speaker and give each group its own interval.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["ERROR_COLUMNS", "utterance_errors"]

#: Columns of :func:`utterance_errors`.
ERROR_COLUMNS = (
    "substitutions",
    "deletions",
    "insertions",
    "word_errors",
    "reference_words",
    "char_errors",
    "reference_chars",
    "utterance_wer",
)


def utterance_errors(references: Sequence[str], hypotheses: Sequence[str]) -> pd.DataFrame:
    """Word and character edit counts of each (reference, hypothesis) pair.

    References must be non-empty after normalisation (the caller skips the others); an empty
    hypothesis is scored as every reference word deleted.
    """
    import jiwer

    rows = np.zeros((len(references), len(ERROR_COLUMNS)), dtype=np.float64)
    for i, (ref, hyp) in enumerate(zip(references, hypotheses, strict=True)):
        w = jiwer.process_words(ref, hyp)
        c = jiwer.process_characters(ref, hyp)
        n_words = w.hits + w.substitutions + w.deletions
        word_errors = w.substitutions + w.deletions + w.insertions
        char_errors = c.substitutions + c.deletions + c.insertions
        n_chars = c.hits + c.substitutions + c.deletions
        rows[i] = (
            w.substitutions,
            w.deletions,
            w.insertions,
            word_errors,
            n_words,
            char_errors,
            n_chars,
            word_errors / n_words,
        )
    return pd.DataFrame(rows, columns=list(ERROR_COLUMNS))
