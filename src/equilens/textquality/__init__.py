"""Quality of generated text by group: BLEU/chrF/TER, ROUGE, BERTScore, perplexity."""

from equilens.textquality._corpus import approximate_randomisation, corpus_tables
from equilens.textquality._run import (
    METRICS,
    TextMetricsRun,
    check_metrics,
    perplexity_rows,
    text_metrics,
)
from equilens.textquality._sacre import (
    SCORERS,
    SegmentStatistics,
    bleu_from_totals,
    chrf_from_totals,
    segment_statistics,
    sentence_scores,
    ter_from_totals,
)
from equilens.textquality._segment_metrics import (
    bertscore,
    language_model,
    log_likelihoods,
    rouge_scores,
)

__all__ = [
    "METRICS",
    "SCORERS",
    "SegmentStatistics",
    "TextMetricsRun",
    "approximate_randomisation",
    "bertscore",
    "bleu_from_totals",
    "check_metrics",
    "chrf_from_totals",
    "corpus_tables",
    "language_model",
    "log_likelihoods",
    "perplexity_rows",
    "rouge_scores",
    "segment_statistics",
    "sentence_scores",
    "ter_from_totals",
    "text_metrics",
]
