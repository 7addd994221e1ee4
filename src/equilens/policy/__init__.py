"""Release policies as code and the pure gate ``decide(log, policy) -> GateDecision``.

A policy (YAML) holds ordered rules over an audit log's metric, criterion and comparison rows,
with thresholds on point estimates, interval bounds or adjusted p-values; severities (info <
warn < block); escalation routes; retraining triggers; and exemptions that expire. The gate
reports whether an audit passes the policy; it does not certify a model as fair.
"""

from equilens._hash import canonical_json, content_hash
from equilens._text import md_escape
from equilens.policy._decide import decide, missing_section
from equilens.policy._decision import (
    AppliedExemption,
    Escalation,
    GateDecision,
    ReviewRequirement,
    RuleOutcome,
    outcome_rank,
)
from equilens.policy._load import is_policy_document, is_policy_file, load_policy, parse_policy
from equilens.policy._model import (
    FIELDS,
    SEVERITY_ORDER,
    AgreementRule,
    Condition,
    EscalationRoute,
    Exemption,
    Policy,
    Rule,
    Severity,
    SliceRule,
)
from equilens.policy._render import to_junit, to_markdown
from equilens.policy._slices import SliceDecision, decide_slices
from equilens.policy._template import DEFAULT_MESSAGE, PLACEHOLDERS, render_template

__all__ = [
    "DEFAULT_MESSAGE",
    "FIELDS",
    "PLACEHOLDERS",
    "SEVERITY_ORDER",
    "AgreementRule",
    "AppliedExemption",
    "Condition",
    "Escalation",
    "EscalationRoute",
    "Exemption",
    "GateDecision",
    "Policy",
    "ReviewRequirement",
    "Rule",
    "RuleOutcome",
    "Severity",
    "SliceDecision",
    "SliceRule",
    "canonical_json",
    "content_hash",
    "decide",
    "decide_slices",
    "is_policy_document",
    "is_policy_file",
    "load_policy",
    "md_escape",
    "missing_section",
    "outcome_rank",
    "parse_policy",
    "render_template",
    "to_junit",
    "to_markdown",
]
