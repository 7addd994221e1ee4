"""The mitigation documents: trade-off curves and the result of ``mitigate``.

Both are versioned, JSON-serialisable and written next to the audit logs (``tradeoff.json``,
``mitigation.json``): the audit log format is unchanged. Every number is finite or ``null``
with the share of bootstrap draws in which it was undefined.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from equilens._version import __version__
from equilens.exceptions import InvalidInputError
from equilens.results import LogModel, Number

#: Version of the mitigation and trade-off formats written by this release.
MITIGATION_FORMAT_VERSION = "1.0"

Stage = Literal["post-processing", "pre-processing", "in-processing"]


def _num(x: Any) -> float | None:
    value = float(x)
    return value if math.isfinite(value) else None


class Estimate(LogModel):
    """A point estimate with its interval (null when undefined)."""

    value: Number
    ci_low: Number
    ci_high: Number
    undefined_draws: Number = None
    """Share of bootstrap draws in which the quantity was undefined (a zero denominator)."""

    @classmethod
    def of(cls, value: Any, low: Any, high: Any, undefined: Any = 0.0) -> Estimate:
        """From numbers that may be NaN (written as null)."""
        return cls(
            value=_num(value), ci_low=_num(low), ci_high=_num(high), undefined_draws=_num(undefined)
        )


class Change(LogModel):
    """A paired change against the original (option minus original) with its test."""

    value: Number
    ci_low: Number
    ci_high: Number
    p_holm: Number = None
    """Holm-adjusted p-value over the comparison's family."""
    conclusion: str
    """``change_detected``, ``no_change_detected``, ``insufficient_evidence`` or ``undefined``."""


class TradeoffCurve(LogModel):
    """Performance against disparity for a family of settings, with intervals on both axes."""

    format_version: str = MITIGATION_FORMAT_VERSION
    family: str
    """``threshold`` (one score, a grid of thresholds), ``grid`` (a reductions grid's models),
    ``slack`` (a constraint's slack) or ``options`` (the mitigation options)."""
    settings: list[str]
    """A label per point (the threshold, the grid model, the slack, the option)."""
    original: int | None = None
    """Index of the original model's point."""
    groups: list[str]
    n_rows: int
    draws: int
    seed: int
    confidence_level: float
    estimates: dict[str, list[Estimate]]
    """Per axis (``accuracy_score``, ``selection_rate`` (approval rate), ``roc_auc_score``;
    ``demographic_parity_difference``, ``equal_opportunity_difference``,
    ``false_positive_rate_difference``, ``equalized_odds_difference``), one estimate per point.
    Disparities are largest minus smallest over the groups, bounded by simultaneous pairwise
    intervals (Bonferroni over the pairs), valid at parity."""
    pareto: dict[str, list[bool]]
    """Per ``performance|disparity`` pair: whether each point is on the Pareto front (no point
    is better on one axis and at least as good on the other), on the point estimates."""
    method: str = (
        "Stratified count-level bootstrap: each group's evaluation rows resampled with "
        "replacement (multinomial over cells of label, decisions and score bin); "
        "performance intervals are percentile intervals; each disparity is bounded by "
        "percentile intervals of every pairwise group difference at level 1 - alpha / pairs."
    )

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)


class Option(LogModel):
    """One mitigation option evaluated on the held-out rows."""

    name: str
    """``original`` or the method's name."""
    method: str
    stage: Stage | Literal["original"]
    uses_sensitive_at_decision: bool
    """Whether deciding a row needs its sensitive feature (group-specific thresholds, a model
    that reads it): disparate treatment is a legal question in many settings (e.g. US credit)."""
    uses_sensitive_in_fitting: bool
    feasible: bool = True
    """False when the method could not meet its constraint on the fitting rows."""
    note: str = ""
    """What the option did (thresholds, weights, constraint reached, best achievable point)."""
    parameters: dict[str, Any] = Field(default_factory=dict)
    """Fitted settings shown to reviewers (e.g. per-group thresholds)."""
    accuracy: Estimate | None = None
    roc_auc: Estimate | None = None
    approval_rate: Estimate | None = None
    disparities: dict[str, Estimate] = Field(default_factory=dict)
    """Between-groups criteria of the option's audit (its simultaneous intervals)."""
    changes: list[str] = Field(default_factory=list)
    """Every change the paired comparison against the original detected, one line each."""
    versus_original: dict[str, Change] = Field(default_factory=dict)
    """Paired changes of the overall accuracy, approval rate and ROC-AUC, and of each family's
    between-groups criterion of the constraint (``criterion[features]``)."""


class MitigationResult(LogModel):
    """What ``mitigate`` did: the split, each option's held-out evaluation and the curves."""

    format_version: str = MITIGATION_FORMAT_VERSION
    equilens_version: str = __version__
    created: str
    sensitive_features: list[str]
    constraint: str
    split: dict[str, Any]
    """How rows were split: ``fit_rows``, ``eval_rows``, ``seed``, ``eval_fraction`` and the
    statement that no evaluation row was used in fitting."""
    options: list[Option]
    tradeoff: TradeoffCurve | None = None
    """Threshold-grid trade-off curve of the original score on the evaluation rows."""
    grid_curve: TradeoffCurve | None = None
    """GridSearch's models as points (when ``grid_search`` ran)."""
    slack_curve: TradeoffCurve | None = None
    """ExponentiatedGradient fitted at each of ``slacks`` (when given)."""
    options_curve: TradeoffCurve | None = None
    """The options (original and each mitigation) as points with joint intervals."""
    warnings: list[str] = Field(default_factory=list)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)


def check_mitigation_report(path: str | Path) -> str:
    """The file name of a mitigation report (``mitigation.json`` or the memo's HTML), checked.

    A JSON file must be a ``MitigationResult``; an HTML file must be the decision memo.
    """
    p = Path(path)
    if not p.is_file():
        raise InvalidInputError(f"Mitigation report not found: {p}")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise InvalidInputError(f"Mitigation report {p} is not a readable text file") from None
    if p.suffix.lower() == ".json":
        try:
            MitigationResult.model_validate_json(text)
        except ValueError:
            raise InvalidInputError(
                f"Mitigation report {p} is not a mitigation.json of equilens mitigate"
            ) from None
    elif MEMO_MARKER not in text:
        raise InvalidInputError(
            f"Mitigation report {p} is not a decision memo of equilens mitigate --report"
        )
    return p.name


#: A comment the decision memo carries, so the gate can recognise it.
MEMO_MARKER = "<!-- equilens mitigation memo -->"
