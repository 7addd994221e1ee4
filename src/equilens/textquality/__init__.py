"""Quality of generated text by group: BLEU/chrF/TER, ROUGE, BERTScore, perplexity."""

from equilens.textquality._combined import combined_tables, prepare_ratings
from equilens.textquality._corpus import approximate_randomisation, corpus_tables
from equilens.textquality._ratings import (
    Criterion,
    Rubric,
    check_rubric_scores,
    human_rows,
    load_rubric,
    two_way_mean_interval,
)
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
from equilens.textquality._triangulate import flags, rank_correlations

__all__ = [
    "METRICS",
    "SCORERS",
    "Criterion",
    "Rubric",
    "SegmentStatistics",
    "TextMetricsRun",
    "approximate_randomisation",
    "bertscore",
    "bleu_from_totals",
    "check_metrics",
    "check_rubric_scores",
    "chrf_from_totals",
    "combined_tables",
    "corpus_tables",
    "flags",
    "human_rows",
    "language_model",
    "load_rubric",
    "log_likelihoods",
    "perplexity_rows",
    "prepare_ratings",
    "rank_correlations",
    "rouge_scores",
    "segment_statistics",
    "sentence_scores",
    "ter_from_totals",
    "text_metrics",
    "two_way_mean_interval",
]
