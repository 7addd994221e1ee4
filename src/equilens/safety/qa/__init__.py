"""Factual accuracy by slice: QA items scored per item, accuracy per subject, region, period.

::

    from equilens.safety.qa import load_questions, run_qa

    run = run_qa(load_questions("history"), model=adapter)
    run.log   # accuracy_score per slice (Wilson), tests, chance level in spec_resolved["qa"]
"""

from equilens.safety.qa._qa import (
    SHIPPED_QUESTIONS,
    QAItem,
    QARun,
    load_questions,
    normalise_answer,
    read_letter,
    read_qa_answers,
    run_qa,
    score_reply,
    subject_slices,
)

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
