"""The comparison document: one versioned, JSON-serialisable record of champion vs challenger.

Like the audit log, every number is finite or ``null`` with a status and a reason; reports
(terminal, Markdown, HTML) are rendered from this document alone.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from equilens._version import __version__
from equilens.results import LogModel, Number, Status

#: Version of the comparison format written by this release.
COMPARISON_FORMAT_VERSION = "1.2"

Conclusion = Literal["change_detected", "no_change_detected", "insufficient_evidence", "undefined"]
Design = Literal["paired", "unpaired"]


class RunRef(LogModel):
    """Which run is compared: a label and what the audit log says about it."""

    label: str
    """Name shown in reports (e.g. ``champion`` / ``challenger``)."""
    run_id: str | None = None
    created: str | None = None
    n_rows: int | None = None
    data_digest: str | None = None
    """The audit log's data digest (row count and column hashes)."""
    model: dict[str, object] | None = None
    """The log's model record (adapter, file hash), when the model was run by equilens."""


class DataCheck(LogModel):
    """Whether the rows behind the comparison are the rows the audit logs describe."""

    status: Literal["match", "mismatch", "not_checked", "not_comparable"]
    columns: dict[str, Literal["match", "differ", "missing"]] = Field(default_factory=dict)
    """Per checked column (``y_true`` and the sensitive features): its hash in each log against
    the given data (paired) or against the other log (unpaired)."""
    message: str
    """One sentence for reports."""


class MetricChange(LogModel):
    """One metric on one slice: base, candidate and the change candidate - base."""

    metric: str
    slice: dict[str, str]
    """Feature -> value; the overall population is the empty mapping."""
    n_base: int
    n_candidate: int
    base: Number
    base_ci_low: Number
    base_ci_high: Number
    candidate: Number
    candidate_ci_low: Number
    candidate_ci_high: Number
    change: Number
    """Candidate minus base."""
    change_ci_low: Number
    change_ci_high: Number
    ci_method: str
    """How the change's interval was computed (e.g. ``paired-bootstrap-percentile``,
    ``newcombe (independent)``, ``mover (independent)``, ``delong-paired``)."""
    test: str
    """mcnemar-exact, mcnemar-chi-square, delong-paired-z, paired-bootstrap-z, chi-square,
    fisher-exact, z (from log intervals), or ``none``."""
    statistic: Number
    p_value: Number
    p_holm: Number
    """Holm-adjusted over the comparison's metric family (every metric change with a
    p-value); disparity changes form a second family."""
    p_bh: Number
    """Benjamini-Hochberg-adjusted over the same family."""
    adjusted_ci_low: Number = None
    """Lower limit of the change's family-adjusted (Bonferroni, level ``1 - alpha / m`` over
    the ``m`` tests of its family) interval; the ``no_change_detected`` verdict needs this
    interval inside ``[-underpowered_gap, underpowered_gap]`` (format 1.1)."""
    adjusted_ci_high: Number = None
    adjusted_ci_level: Number = None
    """Level of the adjusted interval (``1 - alpha / m``); None outside the family."""
    adjusted_ci_method: str | None = None
    discordant: dict[str, int] | None = None
    """McNemar only: rows right (in the metric's sense) under base only, and under candidate
    only."""
    greater_is_better: bool | None = None
    direction: Literal["better", "worse", "higher", "lower"] | None = None
    """For a detected change: better / worse for metrics with a direction, else higher /
    lower."""
    status: Status
    reason: str | None = None
    conclusion: Conclusion


class DisparityChange(LogModel):
    """One fairness criterion on one family: base, candidate and the change."""

    criterion: str
    features: list[str]
    method: Literal["between_groups", "to_overall", "to_reference"]
    statistic: Literal["difference", "ratio"]
    """``difference``: 0 is parity, larger is a wider gap; ``ratio``: 1 is parity, smaller is a
    wider gap."""
    base: Number
    base_ci_low: Number
    base_ci_high: Number
    candidate: Number
    candidate_ci_low: Number
    candidate_ci_high: Number
    change: Number
    change_ci_low: Number
    change_ci_high: Number
    ci_method: str
    test: str
    statistic_value: Number
    p_value: Number
    p_holm: Number
    p_bh: Number
    adjusted_ci_low: Number = None
    """Lower limit of the change's family-adjusted (Bonferroni, level ``1 - alpha / m`` over
    the ``m`` tests of its family) interval; the ``no_change_detected`` verdict needs this
    interval inside ``[-underpowered_gap, underpowered_gap]`` (format 1.1)."""
    adjusted_ci_high: Number = None
    adjusted_ci_level: Number = None
    """Level of the adjusted interval (``1 - alpha / m``); None outside the family."""
    adjusted_ci_method: str | None = None
    base_groups: list[dict[str, str]] = Field(default_factory=list)
    """The groups that set the base value."""
    candidate_groups: list[dict[str, str]] = Field(default_factory=list)
    excluded_groups: list[dict[str, str]] = Field(default_factory=list)
    reference_correction: str | None = None
    """How ``p_value`` was corrected because the reference group was chosen from the same
    data (``most_favoured``, ``to_reference`` only): Bonferroni over the candidate
    references, with the intervals at level ``1 - alpha / c``; null otherwise (format 1.2)."""
    direction: Literal["widened", "narrowed"] | None = None
    """For a detected change: whether the gap widened (worse) or narrowed (better)."""
    status: Status
    reason: str | None = None
    conclusion: Conclusion


class RunComparison(LogModel):
    """Champion (base) against challenger (candidate): changes with intervals and tests."""

    format_version: str = COMPARISON_FORMAT_VERSION
    kind: Literal["equilens-comparison"] = "equilens-comparison"
    equilens_version: str = __version__
    created: str
    """UTC time the comparison was made, ISO 8601."""
    base: RunRef
    candidate: RunRef
    design: Design
    """``paired``: both models' predictions on the same rows were given (McNemar, paired
    DeLong, paired bootstrap); ``unpaired``: only the two logs (independent samples)."""
    design_note: str
    """Why this design, and what it assumes."""
    data_check: DataCheck
    confidence_level: float
    seed: int | None = None
    bootstrap_draws: int | None = None
    """Paired bootstrap draws (paired design only)."""
    min_group_size: int
    underpowered_gap: float
    metrics: list[MetricChange]
    disparities: list[DisparityChange]
    multiple_comparisons: dict[str, object]
    """The family adjusted together, its size and the methods."""
    headline: list[str]
    """The business framing: performance gain against change in disparity, with intervals."""
    regressions: list[str]
    """Disparities that widened with Holm-adjusted p below alpha (``--fail-on-regression``)."""
    warnings: list[str] = Field(default_factory=list)

    def to_json(self) -> str:
        """The comparison as indented JSON."""
        return self.model_dump_json(indent=2)

    def metric(self, metric: str, slice: dict[str, str] | None = None) -> MetricChange:
        """The change of ``metric`` on ``slice`` (overall when omitted)."""
        want = slice or {}
        for row in self.metrics:
            if row.metric == metric and row.slice == want:
                return row
        raise KeyError(f"no change for metric '{metric}' on slice {want}")

    def disparity(
        self, criterion: str, features: list[str], method: str = "between_groups"
    ) -> DisparityChange:
        """The change of ``criterion`` over the family ``features``."""
        for row in self.disparities:
            if row.criterion == criterion and row.features == features and row.method == method:
                return row
        raise KeyError(f"no change for criterion '{criterion}' on {features} ({method})")

    def _repr_html_(self) -> str:
        """The comparison's HTML in Jupyter, its CSS scoped to the output."""
        from equilens.compare._render import render_html
        from equilens.report import scoped_html

        return scoped_html(render_html(self))
