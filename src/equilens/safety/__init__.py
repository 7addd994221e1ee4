"""Safety of generated text: toxicity under the RealToxicityPrompts protocol (here), red-team
suites (``equilens.safety.redteam``) and factual accuracy by slice (``equilens.safety.qa``).

::

    from equilens.safety import toxicity_audit

    run = toxicity_audit("prompts.csv", model=adapter, k=25, validation="shipped")
    run.log.result("toxicity_probability")    # with its interval over prompts
    run.write("out/")                          # audit.json, generations.jsonl, prompts.csv

The metrics are ``measure`` audit rows named ``expected_maximum_toxicity``,
``toxicity_probability`` and ``mean_toxicity`` (one row per prompt: intervals and tests
resample prompts), so the gate, the report and ``check-claims`` read them like any other.
See ``docs/safety.md`` and ``docs/design/0015-toxicity.md``.
"""

from equilens.safety._combine import combine_logs
from equilens.safety._generate import Continuations, generate_continuations
from equilens.safety._scorer_error import corrected_prevalence, scorer_error
from equilens.safety._scorers import (
    AdapterScorer,
    PerspectiveScorer,
    ProfanityScorer,
    Scorer,
    check_scores,
)
from equilens.safety._tables import read_table
from equilens.safety._toxicity import BAND, METRICS, ToxicityRun, prompt_table, toxicity_audit

__all__ = [
    "BAND",
    "METRICS",
    "AdapterScorer",
    "Continuations",
    "PerspectiveScorer",
    "ProfanityScorer",
    "Scorer",
    "ToxicityRun",
    "check_scores",
    "combine_logs",
    "corrected_prevalence",
    "generate_continuations",
    "prompt_table",
    "read_table",
    "scorer_error",
    "toxicity_audit",
]
