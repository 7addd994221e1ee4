"""Names a log gives its own rows: a ratio of sums is named after what it divides.

The measure task's ``ratio_of_sums`` is one metric whatever it divides, so its registry name
says nothing of what was measured. A log records the numerator and denominator columns
(``task_numerator_column`` and ``task_denominator_column`` in ``spec_resolved``); while a
report, the terminal summary or a card renders that log, the row is named after them:
"Word error rate" for the speech audit's columns, "Ratio of sums (errors / words)" for any
other pair. Rendering functions take the names from the log they were given
(:func:`with_log_labels`), so nothing global changes and the metric names in the log, in
policies and in scripts stay ``ratio_of_sums``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple, ParamSpec, TypeVar

from equilens.results import AuditLog

__all__ = ["LogLabel", "current_label", "labels_of", "log_labels", "with_log_labels"]


class LogLabel(NamedTuple):
    """How one log names one metric row: in sentences, in table headers, and what it is."""

    label: str
    short: str
    meaning: str


#: Ratios of sums whose columns the speech audit writes (``equilens.speech``).
_KNOWN: dict[tuple[str, str], LogLabel] = {
    ("word_errors", "reference_words"): LogLabel(
        "Word error rate",
        "WER",
        "word errors (substitutions, deletions, insertions) over reference words",
    ),
    ("char_errors", "reference_chars"): LogLabel(
        "Character error rate", "CER", "character errors over reference characters"
    ),
}

_CURRENT: ContextVar[Mapping[str, LogLabel] | None] = ContextVar(
    "equilens_log_labels", default=None
)

P = ParamSpec("P")
R = TypeVar("R")


def labels_of(log: AuditLog | None) -> dict[str, LogLabel]:
    """The row names ``log`` gives its metrics (empty when it names none of its own)."""
    if log is None or log.task != "measure":
        return {}
    spec = log.spec_resolved or {}
    num, den = spec.get("task_numerator_column"), spec.get("task_denominator_column")
    if spec.get("task_measure") != "ratio_of_sums" or not (
        isinstance(num, str) and isinstance(den, str)
    ):
        return {}
    known = _KNOWN.get((num, den))
    if known is None:
        known = LogLabel(
            f"Ratio of sums ({num} / {den})",
            "Ratio",
            f"sum of {num} over the sum of {den}, per group",
        )
    return {"ratio_of_sums": known}


def current_label(metric: str) -> LogLabel | None:
    """How the log being rendered names ``metric`` (None: use the registry's name)."""
    names = _CURRENT.get()
    return names.get(metric) if names is not None else None


@contextmanager
def log_labels(log: AuditLog | None) -> Iterator[None]:
    """Name the rows after ``log`` while rendering it (nested calls restore the outer names)."""
    token = _CURRENT.set(labels_of(log))
    try:
        yield
    finally:
        _CURRENT.reset(token)


def with_log_labels(fn: Callable[P, R]) -> Callable[P, R]:
    """Render with the row names of the :class:`AuditLog` passed first (or as ``log=``)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        first: Any = args[0] if args else kwargs.get("log")
        if not isinstance(first, AuditLog):
            return fn(*args, **kwargs)
        with log_labels(first):
            return fn(*args, **kwargs)

    return wrapper
