"""The gate's decision: a verdict, one outcome per rule and row, escalations, retraining."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from equilens.policy._model import Severity

Verdict = Literal["pass", "warn", "block"]
"""``pass``: no outcome counts at warn or block; ``warn``: some count at warn (the gate still
exits 0 unless the policy sets ``block_on_warn``); ``block``: some count at block."""

OutcomeStatus = Literal[
    "pass", "info", "warn", "block", "insufficient_evidence", "exempted", "not_applicable"
]
"""``pass``: the rule did not fire; ``info``/``warn``/``block``: it fired, at that severity;
``insufficient_evidence``: the row is too small, undefined or underpowered to judge (counts at
the policy's insufficient-evidence level); ``exempted``: a valid exemption covers it;
``not_applicable``: the log has no row the rule reads (and the rule is not required)."""

#: Version of the decision document's format.
DECISION_FORMAT_VERSION = "1.0"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AppliedExemption(_Frozen):
    """An exemption that matched an outcome (applied, or expired and so not applied)."""

    justification: str
    approver: str
    expires: str
    """Last day it applies, ISO date."""
    ticket: str | None = None
    expired: bool
    """True when it had expired on the decision date and so did not apply."""


class RuleOutcome(_Frozen):
    """What one rule found on one row of the audit log."""

    rule_id: str
    status: OutcomeStatus
    severity: Severity
    """The level of this outcome: the rule's severity, or for ``insufficient_evidence`` the
    policy's level for missing evidence. Whether it counts toward the verdict depends on the
    status (see :attr:`counts_as`)."""
    reason: str
    """Human-readable: the number, its interval, the threshold and why the status follows."""
    target: Literal["metric", "criterion", "comparison", "agreement"]
    name: str
    """The metric or criterion read (agreement rules: the coefficient with its criterion, e.g.
    ``krippendorff_alpha[criterion=fluency]``)."""
    features: list[str] | None = None
    """The family (criterion and comparison rows, and grouped metric rows)."""
    method: str | None = None
    """The criterion's method (criterion rows)."""
    group: dict[str, str] | None = None
    """The group judged; ``{}`` is the overall population; None for a criterion's family."""
    on: str
    op: str
    threshold: float
    observed: dict[str, float | None] = Field(default_factory=dict)
    """The row's fields the rule read, with the point estimate and its interval."""
    exemption: AppliedExemption | None = None

    @property
    def counts_as(self) -> Severity | None:
        """The level this outcome contributes to the verdict (None: it does not count)."""
        if self.status in ("info", "warn", "block"):
            return self.status
        if self.status == "insufficient_evidence":
            return self.severity
        return None

    @property
    def group_label(self) -> str:
        """``feature=value, ...``; ``overall``; or the family for a criterion."""
        if self.group is not None:
            return ", ".join(f"{k}={v}" for k, v in self.group.items()) or "overall"
        if self.features:
            label = " x ".join(self.features)
            return f"{label} ({self.method})" if self.method else label
        return "-"


class Escalation(_Frozen):
    """Who to notify about the outcomes at one severity, and the rendered notices."""

    severity: Severity
    owners: list[str]
    contacts: list[str]
    rule_ids: list[str]
    messages: list[str]
    """One rendered notice per counted outcome at this severity."""


class ReviewRequirement(_Frozen):
    """A review the policy requires because rules naming it blocked."""

    kind: Literal["mitigation"]
    rule_ids: list[str]
    """The blocking rules that require it."""
    attached: bool
    """Whether the document the review needs (a mitigation report) was given to the gate."""
    report: str | None = None
    """Which document was attached (a file name), when one was."""
    message: str
    """One sentence for the gate's output."""


class GateDecision(_Frozen):
    """The decision of ``decide(log, policy)``: recomputable from the log and the policy."""

    format_version: str = DECISION_FORMAT_VERSION
    verdict: Verdict
    summary: str
    """One sentence: whether the audit passes the policy and what set the verdict."""
    policy_name: str
    policy_version: str | None
    policy_hash: str
    """SHA-256 of the policy's canonical JSON."""
    log_hash: str
    """SHA-256 of the audit log's canonical JSON."""
    run_id: str
    evaluated_on: str
    """The date exemptions were checked against (ISO)."""
    block_on_warn: bool
    rule_outcomes: list[RuleOutcome]
    escalations: list[Escalation]
    retrain_required: bool
    retrain_reasons: list[str]
    expired_exemptions: list[str]
    """Every exemption of the policy that had expired on ``evaluated_on`` (they no longer
    apply)."""
    counts: dict[str, int]
    """Outcomes per status."""
    reviews_required: list[ReviewRequirement] = Field(default_factory=list)
    """Reviews required by blocking rules (``require_review``); omitted from the JSON when
    empty, so decisions of policies without such rules are unchanged."""

    agreement_hash: str | None = None
    """SHA-256 of the agreement document's canonical JSON when agreement rules read one;
    omitted from the JSON otherwise."""

    @model_serializer(mode="wrap")
    def _drop_no_reviews(self, handler: SerializerFunctionWrapHandler) -> Any:
        out = handler(self)
        if isinstance(out, dict):
            for key in ("reviews_required", "agreement_hash"):
                if not out.get(key):
                    out.pop(key, None)
        return out

    def to_json(self) -> str:
        """The decision as indented JSON."""
        return self.model_dump_json(indent=2)

    def _repr_html_(self) -> str:
        """The verdict and each rule's outcome in Jupyter (CSS scoped to the output)."""
        from equilens.report import decision_html

        return decision_html(self)

    def outcomes_for(self, rule_id: str) -> list[RuleOutcome]:
        """The outcomes of one rule, in order."""
        return [o for o in self.rule_outcomes if o.rule_id == rule_id]

    def rule_ids(self) -> list[str]:
        """Rule ids in policy order (each once)."""
        return list(dict.fromkeys(o.rule_id for o in self.rule_outcomes))

    def rule_status(self, rule_id: str) -> OutcomeStatus:
        """The most serious status among one rule's outcomes.

        Counted outcomes rank by level (block > warn > info, insufficient evidence at its
        level ranking just after a firing of the same level); then exempted, pass and
        not_applicable.
        """
        return worst_status(self.outcomes_for(rule_id), self.block_on_warn)


_RANK = {"not_applicable": 0, "pass": 1, "exempted": 2}


def outcome_rank(outcome: RuleOutcome, block_on_warn: bool = False) -> int:
    """A sort key: higher is more serious."""
    level = outcome.counts_as
    if level is None:
        return _RANK[outcome.status]
    if block_on_warn and level == "warn":
        level = "block"
    base = {"info": 10, "warn": 20, "block": 30}[level]
    return base + (1 if outcome.status != "insufficient_evidence" else 0)


def worst_status(outcomes: list[RuleOutcome], block_on_warn: bool = False) -> OutcomeStatus:
    """The status of the most serious outcome (``not_applicable`` when there are none)."""
    if not outcomes:
        return "not_applicable"
    return max(outcomes, key=lambda o: outcome_rank(o, block_on_warn)).status
