"""The gate: ``decide(log, policy) -> GateDecision``, a pure function.

``decide`` reads only its arguments: no files, no network, no environment, no clock when
``today`` is given. The same log, policy and date always give the same decision, which is
what lets the run store recompute and check it later.

Semantics, rule by rule, in policy order:

1. The rule selects rows of one kind (metric, criterion or comparison rows) by name, family
   (``features``, ``intersections``), group and (criteria) method.
2. No row: ``not_applicable``, or ``insufficient_evidence`` when the rule is ``required``.
3. Each row: status ``insufficient_evidence`` or ``undefined`` in the log, or a compared field
   that is not reported, gives ``insufficient_evidence`` (never a silent pass). Otherwise the
   rule *fires* when all its conditions hold: the outcome's status is the rule's severity.
   Otherwise it passes, except that a rule reading a p-value cannot pass a comparison the log
   concludes is underpowered (``insufficient_evidence``: no difference was detected, but the
   test could not have detected one).
4. A criterion row that left groups out (too small or undefined) also yields one
   ``insufficient_evidence`` outcome per excluded group: the criterion says nothing about them.
5. Exemptions (matched by rule id, optionally group and family) turn counted outcomes into
   ``exempted`` until they expire; an expired exemption no longer applies, and the outcome's
   reason and the decision's ``expired_exemptions`` say so.
6. The verdict is the most severe level counted: ``block`` > ``warn`` > ``pass``; with
   ``block_on_warn`` a warning blocks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from equilens._hash import canonical_json, content_hash, sha256_hex
from equilens._pvalue import fmt_p
from equilens.exceptions import LogFormatError
from equilens.policy._decision import (
    AppliedExemption,
    Escalation,
    GateDecision,
    OutcomeStatus,
    RuleOutcome,
    Verdict,
)
from equilens.policy._model import (
    P_VALUE_FIELDS,
    SEVERITY_ORDER,
    AgreementRule,
    Condition,
    Exemption,
    Policy,
    Rule,
    Severity,
)
from equilens.policy._review import required_reviews
from equilens.policy._template import DEFAULT_MESSAGE, render_template
from equilens.results import AuditLog, Comparison, Disparity, MetricResult, task_of_metric

_STATUSES: tuple[OutcomeStatus, ...] = (
    "block",
    "warn",
    "info",
    "insufficient_evidence",
    "exempted",
    "pass",
    "not_applicable",
)


@dataclass(frozen=True)
class _Row:
    """One row of the log, seen the same way whatever its kind."""

    subject: str
    """What the row is about, e.g. 'roc_auc_score for race=Asian (n=31)'."""
    status: str
    reason: str | None
    fields: dict[str, float | None]
    interval: tuple[float | None, float | None]
    features: list[str] | None
    group: dict[str, str] | None
    method: str | None = None
    underpowered: bool = False
    excluded: list[dict[str, str]] = field(default_factory=list)


def _label(mapping: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in mapping.items()) or "overall"


def _num(value: float | None, name: str = "") -> str:
    if value is None:
        return "n/a"
    if name in P_VALUE_FIELDS:
        return fmt_p(value)
    if value == 0 or abs(value) >= 0.001:
        return f"{value:.3f}"
    return f"{value:.2e}"


def _threshold(value: float) -> str:
    return f"{value:g}"


def _level(log: AuditLog) -> str:
    return f"{log.confidence_level * 100:g}% CI"


def _interval_text(lo: float | None, hi: float | None, level: str) -> str:
    if lo is None or hi is None:
        return ""
    return f" [{level} {_num(lo)}, {_num(hi)}]"


def _metric_row(row: MetricResult) -> _Row:
    fields: dict[str, float | None] = {
        "value": row.value,
        "ci_low": row.ci_low,
        "ci_high": row.ci_high,
    }
    return _Row(
        subject=f"{row.metric} for {_label(row.slice)} (n={row.n})",
        status=row.status,
        reason=row.reason,
        fields=fields,
        interval=(row.ci_low, row.ci_high),
        features=list(row.slice) or None,
        group=dict(row.slice),
    )


def _criterion_row(row: Disparity) -> _Row:
    set_by = " vs ".join(_label(g) for g in row.groups)
    subject = f"{row.criterion} over {' x '.join(row.features)} ({row.method})"
    if set_by:
        subject += f", set by {set_by}"
    return _Row(
        subject=subject,
        status=row.status,
        reason=row.reason,
        fields={"value": row.value, "ci_low": row.ci_low, "ci_high": row.ci_high},
        interval=(row.ci_low, row.ci_high),
        features=list(row.features),
        group=None,
        method=row.method,
        excluded=[dict(g) for g in row.excluded_groups],
    )


def _abs_interval(lo: float | None, hi: float | None) -> tuple[float | None, float | None]:
    if lo is None or hi is None:
        return None, None
    upper = max(abs(lo), abs(hi))
    lower = 0.0 if lo <= 0.0 <= hi else min(abs(lo), abs(hi))
    return lower, upper


def _comparison_row(row: Comparison) -> _Row:
    abs_lo, abs_hi = _abs_interval(row.difference_ci_low, row.difference_ci_high)
    fields: dict[str, float | None] = {
        "value": row.value,
        "reference_value": row.reference_value,
        "difference": row.difference,
        "difference_ci_low": row.difference_ci_low,
        "difference_ci_high": row.difference_ci_high,
        "abs_difference": None if row.difference is None else abs(row.difference),
        "abs_difference_ci_low": abs_lo,
        "abs_difference_ci_high": abs_hi,
        "ratio": row.ratio,
        "ratio_ci_low": row.ratio_ci_low,
        "ratio_ci_high": row.ratio_ci_high,
        "p_value": row.p_value,
        "p_holm": row.p_holm,
        "p_bh": row.p_bh,
        "cohens_h": row.cohens_h,
        "odds_ratio": row.odds_ratio,
        "minimum_detectable_difference": row.minimum_detectable_difference,
        "effect_size": row.effect_size,
        "abs_effect_size": None if row.effect_size is None else abs(row.effect_size),
    }
    status = row.status
    if row.conclusion == "undefined" and status == "ok":
        status = "undefined"
    return _Row(
        subject=(
            f"{row.metric} of {_label(row.slice)} (n={row.n}) vs {_label(row.reference)} "
            f"(n={row.n_reference})"
        ),
        status=status,
        reason=row.reason,
        fields=fields,
        interval=(row.difference_ci_low, row.difference_ci_high),
        features=list(row.features),
        group=dict(row.slice),
        underpowered=row.conclusion == "insufficient_evidence",
    )


def _slice_selected(rule: Rule, mapping: dict[str, str]) -> bool:
    if rule.group == "overall":
        return not mapping
    if isinstance(rule.group, dict):
        return mapping == rule.group
    return rule.reads_family(list(mapping))


def _select(rule: Rule, log: AuditLog) -> list[_Row]:
    if rule.target == "metric":
        return [
            _metric_row(r)
            for r in log.results
            if r.metric == rule.metric and _slice_selected(rule, r.slice)
        ]
    if rule.target == "criterion":
        return [
            _criterion_row(r)
            for r in log.disparities
            if r.criterion == rule.criterion
            and r.method == rule.criterion_method
            and rule.reads_family(r.features)
        ]
    return [
        _comparison_row(r)
        for r in log.comparisons
        if r.metric == rule.comparison
        and rule.reads_family(r.features)
        and _slice_selected(rule, r.slice)
    ]


def _values_text(row: _Row, rule: Rule, level: str) -> str:
    if rule.target == "comparison":
        f = row.fields
        text = (
            f"{_num(f['value'])} vs {_num(f['reference_value'])}; difference "
            f"{_num(f['difference'])}{_interval_text(*row.interval, level)}"
        )
        if f["p_holm"] is not None:
            text += f", p_holm {_num(f['p_holm'], 'p_holm')}"
        return text
    return f"{_num(row.fields['value'])}{_interval_text(*row.interval, level)}"


def _cond_text(cond: Condition, observed: float | None, holds: bool) -> str:
    verb = "" if holds else "is not "
    return f"{cond.on} {_num(observed, cond.on)} {verb}{cond.op} {_threshold(cond.threshold)}"


def _observed(rule: Rule, row: _Row) -> dict[str, float | None]:
    keys = ["value", *(c.on for c in rule.conditions)]
    if rule.target != "comparison":
        keys += ["ci_low", "ci_high"]
    else:
        keys += ["difference", "difference_ci_low", "difference_ci_high", "p_holm"]
    return {k: row.fields.get(k) for k in dict.fromkeys(keys)}


def _outcome(
    rule: Rule,
    row: _Row,
    status: OutcomeStatus,
    severity: Severity,
    reason: str,
) -> RuleOutcome:
    return RuleOutcome(
        rule_id=rule.id,
        status=status,
        severity=severity,
        reason=reason,
        target=rule.target,
        name=rule.name,
        features=row.features,
        method=row.method,
        group=row.group,
        on=rule.on,
        op=rule.op,
        threshold=rule.threshold,
        observed=_observed(rule, row),
    )


def _reported(row: _Row, name: str) -> float:
    value = row.fields[name]
    if value is None:  # callers check first; kept for type narrowing
        raise ValueError(f"{name} is not reported")
    return value


def _judge(rule: Rule, policy: Policy, row: _Row, level: str) -> RuleOutcome:
    shown = f"{row.subject} = {_values_text(row, rule, level)}"
    weak = policy.insufficient_severity(rule)
    if row.status in ("insufficient_evidence", "undefined"):
        why = row.reason or (
            "the group is below the minimum group size"
            if row.status == "insufficient_evidence"
            else "the value is undefined"
        )
        return _outcome(
            rule,
            row,
            "insufficient_evidence",
            weak,
            f"{shown}: {why}; the rule cannot judge it (insufficient evidence, not a pass).",
        )
    missing = [c.on for c in rule.conditions if row.fields.get(c.on) is None]
    if missing:
        return _outcome(
            rule,
            row,
            "insufficient_evidence",
            weak,
            f"{shown}: {', '.join(dict.fromkeys(missing))} not reported"
            + (f" ({row.reason})" if row.reason else "")
            + "; the rule cannot judge it (insufficient evidence, not a pass).",
        )
    checks = [(c, _reported(row, c.on)) for c in rule.conditions]
    failing = [(c, v) for c, v in checks if not c.holds(v)]
    if not failing:
        conds = " and ".join(_cond_text(c, v, True) for c, v in checks)
        return _outcome(rule, row, rule.severity, rule.severity, f"{shown}; fires: {conds}.")
    if row.underpowered and any(c.on in P_VALUE_FIELDS for c in rule.conditions):
        return _outcome(
            rule,
            row,
            "insufficient_evidence",
            weak,
            f"{shown}: {row.reason or 'the test is underpowered'}; a rule on p-values cannot "
            "pass it (insufficient evidence, not a pass).",
        )
    return _outcome(
        rule, row, "pass", rule.severity, f"{shown}; passes: {_cond_text(*failing[0], False)}."
    )


def _excluded(
    rule: Rule, policy: Policy, row: _Row, group: dict[str, str], sizes: dict[str, int]
) -> RuleOutcome:
    n = sizes.get(_label(group))
    size = f" (n={n})" if n is not None else ""
    reason = (
        f"{_label(group)}{size} is left out of {row.subject.split(', set by')[0]} (below the "
        "minimum group size or undefined); the rule cannot judge it (insufficient evidence, "
        "not a pass)."
    )
    return RuleOutcome(
        rule_id=rule.id,
        status="insufficient_evidence",
        severity=policy.insufficient_severity(rule),
        reason=reason,
        target=rule.target,
        name=rule.name,
        features=row.features,
        method=row.method,
        group=dict(group),
        on=rule.on,
        op=rule.op,
        threshold=rule.threshold,
        observed={},
    )


def _no_rows(rule: Rule, policy: Policy, task: str = "binary") -> RuleOutcome:
    scope = []
    if rule.features is not None:
        scope.append(f"family {' x '.join(rule.features)}")
    if isinstance(rule.group, dict):
        scope.append(f"group {_label(rule.group)}")
    elif rule.group == "overall":
        scope.append("the overall population")
    if rule.target == "criterion":
        scope.append(f"method {rule.criterion_method}")
    where = f" ({'; '.join(scope)})" if scope else ""
    what = {"metric": "metric", "criterion": "criterion", "comparison": "comparison"}[rule.target]
    base = f"the audit log has no {what} rows for {rule.name}{where}"
    if task != "binary" and rule.target != "criterion" and task not in task_of_metric(rule.name):
        # A binary policy read against another task's log: say why nothing matched.
        base += f" (this is a {task} audit; {rule.name} is not one of its metrics)"
    if rule.required:
        status: OutcomeStatus = "insufficient_evidence"
        severity = policy.insufficient_severity(rule)
        reason = f"{base}; the rule is required (insufficient evidence, not a pass)."
    else:
        status, severity = "not_applicable", rule.severity
        reason = f"{base}; the rule does not apply to this audit."
    return RuleOutcome(
        rule_id=rule.id,
        status=status,
        severity=severity,
        reason=reason,
        target=rule.target,
        name=rule.name,
        features=rule.features,
        method=rule.criterion_method if rule.target == "criterion" else None,
        group=rule.group if isinstance(rule.group, dict) else None,
        on=rule.on,
        op=rule.op,
        threshold=rule.threshold,
    )


def _rule_outcomes(
    rule: Rule, policy: Policy, log: AuditLog, sizes: dict[str, int]
) -> Iterator[RuleOutcome]:
    level = _level(log)
    rows = _select(rule, log)
    if not rows:
        yield _no_rows(rule, policy, log.task)
        return
    for row in rows:
        yield _judge(rule, policy, row, level)
        if row.status == "ok":
            for group in row.excluded:
                yield _excluded(rule, policy, row, group, sizes)


def _matches(exemption: Exemption, outcome: RuleOutcome) -> bool:
    if exemption.rule != outcome.rule_id:
        return False
    if exemption.group is not None and outcome.group != exemption.group:
        return False
    return exemption.features is None or (
        outcome.features is not None and sorted(outcome.features) == sorted(exemption.features)
    )


def _apply_exemptions(outcome: RuleOutcome, policy: Policy, today: date) -> RuleOutcome:
    if outcome.counts_as is None:
        return outcome
    matching = [e for e in policy.exemptions if _matches(e, outcome)]
    if not matching:
        return outcome
    valid = [e for e in matching if not e.expired(today)]
    chosen = valid[0] if valid else matching[0]
    applied = AppliedExemption(
        justification=chosen.justification,
        approver=chosen.approver,
        expires=chosen.expires.isoformat(),
        ticket=chosen.ticket,
        expired=not valid,
    )
    if valid:
        return outcome.model_copy(
            update={
                "status": "exempted",
                "exemption": applied,
                "reason": f"{outcome.reason} Exempted until {applied.expires} (approved by "
                f"{chosen.approver}: {chosen.justification}).",
            }
        )
    return outcome.model_copy(
        update={
            "exemption": applied,
            "reason": f"{outcome.reason} An exemption approved by {chosen.approver} expired on "
            f"{applied.expires}; it no longer applies.",
        }
    )


def _verdict(outcomes: list[RuleOutcome], block_on_warn: bool) -> Verdict:
    levels = {o.counts_as for o in outcomes if o.counts_as is not None}
    if "block" in levels or (block_on_warn and "warn" in levels):
        return "block"
    if "warn" in levels:
        return "warn"
    return "pass"


def _template_values(
    outcome: RuleOutcome, rule: Rule | AgreementRule, policy: Policy, log: AuditLog
) -> dict[str, str]:
    lo = outcome.observed.get("ci_low", outcome.observed.get("difference_ci_low"))
    hi = outcome.observed.get("ci_high", outcome.observed.get("difference_ci_high"))
    return {
        "rule_id": outcome.rule_id,
        "description": rule.description or "",
        "severity": outcome.counts_as or outcome.severity,
        "status": outcome.status,
        "metric": outcome.name,
        "group": outcome.group_label,
        "features": " x ".join(outcome.features or []),
        "method": outcome.method or "",
        "on": outcome.on,
        "op": outcome.op,
        "value": _num(outcome.observed.get(outcome.on), outcome.on),
        "threshold": _threshold(outcome.threshold),
        "ci_low": _num(lo),
        "ci_high": _num(hi),
        "reason": outcome.reason,
        "policy": policy.name,
        "run_id": log.run_id,
    }


def _escalations(outcomes: list[RuleOutcome], policy: Policy, log: AuditLog) -> list[Escalation]:
    out: list[Escalation] = []
    for severity in sorted(SEVERITY_ORDER, key=SEVERITY_ORDER.__getitem__, reverse=True):
        hits = [o for o in outcomes if o.counts_as == severity]
        if not hits:
            continue
        route = policy.escalation.get(severity)  # type: ignore[call-overload]
        rules = [policy.rule(rid) for rid in dict.fromkeys(o.rule_id for o in hits)]
        extra = [owner for r in rules for owner in r.owners]
        if route is None and not extra:
            continue
        template = route.message if route is not None else DEFAULT_MESSAGE
        owners = list(dict.fromkeys([*(route.owners if route else []), *extra]))
        out.append(
            Escalation(
                severity=severity,  # type: ignore[arg-type]
                owners=owners,
                contacts=list(route.contacts) if route else [],
                rule_ids=[r.id for r in rules],
                messages=[
                    render_template(
                        template, _template_values(o, policy.rule(o.rule_id), policy, log)
                    )
                    for o in hits
                ],
            )
        )
    return out


def _summary(verdict: Verdict, outcomes: list[RuleOutcome], policy: Policy) -> str:
    name = f"policy '{policy.name}'" + (f" {policy.version}" if policy.version else "")

    def ids(level: str) -> str:
        return ", ".join(dict.fromkeys(o.rule_id for o in outcomes if o.counts_as == level))

    blocks = sum(1 for o in outcomes if o.counts_as == "block")
    warns = sum(1 for o in outcomes if o.counts_as == "warn")
    if verdict == "block":
        if blocks:
            return f"Does not pass {name}: {blocks} outcome(s) block (rules {ids('block')})."
        return (
            f"Does not pass {name}: {warns} warning(s) (rules {ids('warn')}), and this policy "
            "blocks on warnings."
        )
    if verdict == "warn":
        return f"Passes {name} with {warns} warning(s) (rules {ids('warn')})."
    return f"Passes {name}: no outcome warns or blocks."


#: The log section each kind of rule reads.
_SECTIONS = {"metric": "results", "criterion": "disparities", "comparison": "comparisons"}


def missing_section(log: AuditLog, policy: Policy) -> str | None:
    """Why the log cannot be judged; None when it can.

    * A probe run measured nothing (no pair: the model failed on every input). Its rows are
      all undefined, which rules would count as mere insufficient evidence.
    * A section some rule reads is empty. Every audit writes result, criterion and comparison
      rows; an empty section means the log is incomplete or was edited, and judging it would
      pass every rule that reads it. Probe runs write no criterion rows, so their logs may
      have an empty ``disparities``.
    """
    for i, record in enumerate(log.probes or []):
        if record.pairs == 0:
            return (
                f"probes[{i}]: the {record.kind} probe measured nothing (0 pairs; the model "
                f"failed on {record.failures} input(s)), so the gate cannot judge it"
            )
    for rule in policy.rules:
        section = _SECTIONS[rule.target]
        if getattr(log, section):
            continue
        if section == "disparities" and log.probes:
            continue
        return (
            f"{section}: the section is empty, but rule '{rule.id}' reads {rule.target} rows; "
            "the log is incomplete or was edited, so the gate cannot judge it"
        )
    return None


def decide(
    log: AuditLog,
    policy: Policy,
    *,
    today: date | None = None,
    attachments: Mapping[str, str] | None = None,
    agreement: Mapping[str, Any] | None = None,
) -> GateDecision:
    """Judge an audit log against a policy.

    Parameters
    ----------
    log : AuditLog
        The audit log (read with :func:`equilens.read_log`).
    policy : Policy
        The policy (read with :func:`equilens.policy.load_policy`).
    today : datetime.date, optional
        The date exemptions are checked against; today's date when omitted. Give it to make
        the decision reproducible (the decision records it as ``evaluated_on``).
    attachments : mapping, optional
        Documents given for the reviews rules require when they block (``require_review``):
        review kind -> a name (e.g. ``{"mitigation": "memo.html"}``), recorded in
        ``reviews_required``.
    agreement : mapping, optional
        An ``agreement.json`` document (``equilens agreement``), read by the policy's
        ``agreement:`` rules; their outcomes follow the audit rules' (target ``agreement``).

    Returns
    -------
    GateDecision
        The verdict (``pass``, ``warn`` or ``block``), one outcome per rule and row read, the
        escalations, retraining triggers, expired exemptions and the content hashes of the
        policy and the log.

    Notes
    -----
    Pure: no I/O; the same arguments give an identical decision. A ``pass`` means the audit
    met the policy's rules; it is not a finding that the model is fair.

    Raises
    ------
    LogFormatError
        When a section a rule reads (results, disparities, comparisons) is empty
        (:func:`missing_section`), or when the policy has agreement rules and no agreement
        document is given (or it is not one).
    """
    problem = missing_section(log, policy)
    if problem is not None:
        raise LogFormatError(f"the audit log cannot be judged: {problem}")
    if policy.agreement and agreement is None:
        raise LogFormatError(
            f"policy '{policy.name}' has agreement rules; give the agreement document "
            "(equilens agreement ... --out DIR writes DIR/agreement.json)"
        )
    when = today if today is not None else date.today()
    sizes: dict[str, int] = {}
    for result in log.results:
        sizes.setdefault(_label(result.slice), result.n)
    outcomes = [
        _apply_exemptions(outcome, policy, when)
        for rule in policy.rules
        for outcome in _rule_outcomes(rule, policy, log, sizes)
    ]
    if policy.agreement and agreement is not None:
        from equilens.policy._agreement import agreement_outcomes  # it imports this module

        outcomes += [
            _apply_exemptions(outcome, policy, when)
            for outcome in agreement_outcomes(policy, agreement)
        ]
    verdict = _verdict(outcomes, policy.block_on_warn)
    retrain = [
        f"{o.rule_id}: {o.reason}"
        for o in outcomes
        if o.status in ("info", "warn", "block") and policy.rule(o.rule_id).retrain
    ]
    counts: dict[str, int] = {status: 0 for status in _STATUSES}
    for o in outcomes:
        counts[o.status] += 1
    return GateDecision(
        verdict=verdict,
        summary=_summary(verdict, outcomes, policy),
        policy_name=policy.name,
        policy_version=policy.version,
        policy_hash=content_hash(policy),
        log_hash=content_hash(log),
        run_id=log.run_id,
        evaluated_on=when.isoformat(),
        block_on_warn=policy.block_on_warn,
        rule_outcomes=outcomes,
        escalations=_escalations(outcomes, policy, log),
        retrain_required=bool(retrain),
        retrain_reasons=retrain,
        expired_exemptions=[e.describe() for e in policy.exemptions if e.expired(when)],
        counts=counts,
        reviews_required=required_reviews(outcomes, policy, attachments or {}),
        agreement_hash=(
            sha256_hex(canonical_json(dict(agreement)))
            if policy.agreement and agreement is not None
            else None
        ),
    )
