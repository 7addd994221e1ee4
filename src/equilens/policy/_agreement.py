"""The gate over inter-rater agreement: a policy's ``agreement:`` rules on ``agreement.json``.

Each rule reads the rows of one coefficient (``equilens agreement`` writes one row per
criterion, slice and coefficient) and yields one :class:`RuleOutcome` per row, judged the way
``decide`` judges metric rows: an undefined coefficient or an unreported bound is
``insufficient_evidence`` (never a pass); otherwise the rule fires when ``on op threshold``
holds. The outcomes join the audit's in one decision, so exemptions, escalation, the verdict
and the JSON/Markdown/JUnit renderings treat them like any other. Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from equilens.agreement import check_agreement
from equilens.policy._decide import _interval_text, _label, _num, _threshold
from equilens.policy._decision import OutcomeStatus, RuleOutcome
from equilens.policy._model import AgreementRule, Condition, Policy, Severity

__all__ = ["agreement_outcomes"]

#: ``equilens agreement`` reports 95% intervals (bootstrap BCa, normal or F-based).
_LEVEL = "95% CI"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _group(row: Mapping[str, Any]) -> dict[str, str]:
    feature = row.get("feature")
    return {} if feature is None else {str(feature): str(row.get("group"))}


def _selected(rule: AgreementRule, row: Mapping[str, Any]) -> bool:
    if row.get("metric") != rule.metric:
        return False
    if rule.criterion is not None and str(row.get("criterion")) != rule.criterion:
        return False
    if rule.form is not None and row.get("form") != rule.form:
        return False
    if rule.slice == "overall":
        return row.get("slice") == "overall"
    if isinstance(rule.slice, dict):
        return _group(row) == rule.slice
    return True


def _rule_group(rule: AgreementRule) -> dict[str, str] | None:
    if isinstance(rule.slice, dict):
        return dict(rule.slice)
    return {} if rule.slice == "overall" else None


def _name(rule: AgreementRule, row: Mapping[str, Any] | None) -> str:
    criterion = rule.criterion if row is None else str(row.get("criterion"))
    params = [f"criterion={criterion}"] if criterion is not None else []
    form = rule.form if row is None else row.get("form")
    params += [f"form={form}"] if form else []
    return rule.metric + (f"[{', '.join(params)}]" if params else "")


def _outcome(
    rule: AgreementRule,
    row: Mapping[str, Any] | None,
    status: OutcomeStatus,
    severity: Severity,
    reason: str,
    observed: dict[str, float | None],
) -> RuleOutcome:
    group = _group(row) if row is not None else _rule_group(rule)
    return RuleOutcome(
        rule_id=rule.id,
        status=status,
        severity=severity,
        reason=reason,
        target="agreement",
        name=_name(rule, row),
        features=list(group) if group else None,
        group=group,
        on=rule.on,
        op=rule.op,
        threshold=rule.threshold,
        observed=observed,
    )


def _judge(rule: AgreementRule, policy: Policy, row: Mapping[str, Any]) -> RuleOutcome:
    observed = {k: _number(row.get(k)) for k in ("value", "ci_low", "ci_high")}
    label = _label(_group(row))
    shown = (
        f"{_name(rule, row)} for {label} (items={row.get('n_items')}, raters="
        f"{row.get('n_raters')}) = {_num(observed['value'])}"
        f"{_interval_text(observed['ci_low'], observed['ci_high'], _LEVEL)}"
    )
    weak = policy.insufficient_severity(rule)
    value = observed[rule.on]
    if value is None:
        why = str(row.get("note") or f"{rule.on} is not reported")
        return _outcome(
            rule,
            row,
            "insufficient_evidence",
            weak,
            f"{shown}: {why}; the rule cannot judge it (insufficient evidence, not a pass).",
            observed,
        )
    cond = Condition(on=rule.on, op=rule.op, threshold=rule.threshold)
    holds = cond.holds(value)
    verb = "fires" if holds else "passes"
    verb_op = rule.op if holds else f"is not {rule.op}"
    text = f"{rule.on} {_num(value)} {verb_op} {_threshold(rule.threshold)}"
    status: OutcomeStatus = rule.severity if holds else "pass"
    return _outcome(rule, row, status, rule.severity, f"{shown}; {verb}: {text}.", observed)


def _no_rows(rule: AgreementRule, policy: Policy) -> RuleOutcome:
    group = _rule_group(rule)
    where = "" if group is None else f" for {_label(group)}"
    base = f"the agreement document has no {_name(rule, None)} rows{where}"
    if rule.required:
        reason = f"{base}; the rule is required (insufficient evidence, not a pass)."
        return _outcome(
            rule, None, "insufficient_evidence", policy.insufficient_severity(rule), reason, {}
        )
    reason = f"{base}; the rule does not apply to these ratings."
    return _outcome(rule, None, "not_applicable", rule.severity, reason, {})


def agreement_outcomes(policy: Policy, document: Mapping[str, Any]) -> Iterator[RuleOutcome]:
    """One outcome per agreement rule and row it reads (rules in policy order)."""
    rows = list(check_agreement(document)["rows"])
    for rule in policy.agreement:
        chosen = [r for r in rows if _selected(rule, r)]
        if not chosen:
            yield _no_rows(rule, policy)
        for row in chosen:
            yield _judge(rule, policy, row)
