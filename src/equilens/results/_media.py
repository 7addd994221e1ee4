"""Audit-log records of media audits (speech, images): skipped files, examples, summaries.

A speech or image audit reduces each file to numbers (word errors, correctness) that the
ordinary audit pipeline measures; this record keeps what the numbers cannot: which files were
left out and why, the settings that turned files into numbers (text normalisation, condition
bands), the worst examples verbatim and the secondary measures' per-group intervals.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from equilens._redact import redact, redact_text

__all__ = ["MediaExample", "MediaRecord", "MediaSkip", "MediaSummary"]

_Text = Annotated[str, AfterValidator(redact_text)]
_NoSecrets = Annotated[dict[str, Any], AfterValidator(redact)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MediaSkip(_Model):
    """One input file left out of the audit, with the reason."""

    row: int
    """Row of the manifest (0-based)."""
    file: _Text
    """The path as written in the manifest."""
    reason: _Text
    """Why it was left out (no reference transcript, unreadable audio, silent audio, ...)."""


class MediaExample(_Model):
    """One example shown in the report (a worst utterance, a misclassified image)."""

    id: _Text
    slice: dict[str, str] = Field(default_factory=dict)
    """The example's group values."""
    reference: _Text | None = None
    """Reference transcript (normalised) or true label."""
    hypothesis: _Text | None = None
    """Model transcript (normalised) or predicted label."""
    value: float | None = None
    """The example's own error (word error rate of one utterance; 1 - correctness)."""
    detail: _Text | None = None
    """Error counts or the condition bands of an image."""
    image: str | None = None
    """An inline ``data:image/png;base64,...`` thumbnail (images only; size-capped)."""


class MediaSummary(_Model):
    """A secondary measure per group (e.g. the character error rate), with its interval."""

    measure: str
    slice: dict[str, str] = Field(default_factory=dict)
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    units: int | None = None
    """Independent units behind the interval (speakers with clustering)."""
    p_value_adjusted: float | None = None
    """Holm-adjusted p value of the comparison with the reference group, where tested."""
    detail: _Text | None = None
    """What the row compares (perturbation probes: accuracy before and after, flip counts)."""


class MediaRecord(_Model):
    """What a media audit read, left out and showed (``AuditLog.media``)."""

    kind: str
    """``speech`` or ``images``."""
    inputs: int
    """Rows in the manifest."""
    scored: int
    """Rows that reached the audit."""
    max_skip: float
    """Largest share of rows that may be skipped before the run fails."""
    skipped: list[MediaSkip] = Field(default_factory=list)
    skipped_by_reason: dict[str, int] = Field(default_factory=dict)
    settings: _NoSecrets = Field(default_factory=dict)
    """How files became numbers (normalisation, backend, condition bands)."""
    notes: list[_Text] = Field(default_factory=list)
    """Plain statements the report must carry (e.g. what synthetic accents measure)."""
    examples: list[MediaExample] = Field(default_factory=list)
    summaries: list[MediaSummary] = Field(default_factory=list)
