"""What an alarm means under a policy: its severity, the rules it maps to, who is told.

An alarm on the rate ``metric`` of group ``feature=label`` maps to every policy rule that reads
that metric (``metric:`` or ``comparison:`` rules) for that group: the rule's family must include
the feature (``features``/``intersections`` as in the gate) and its ``group`` must be ``all``,
``overall`` for the whole population, or exactly ``{feature: label}``. The alarm takes the most
severe of those rules' severities, sets ``retrain`` when any of them is a retraining trigger, and
adds their owners. An alarm no rule maps gets the monitor's default severity. Valid exemptions
of a mapped rule for that group apply as in the gate (the rule is then not counted).

Escalation renders the policy's route for that severity (its message template, with the same
restricted placeholders as the gate); nothing is sent: messages are stored and printed.
"""

from __future__ import annotations

from datetime import date

from equilens.policy import DEFAULT_MESSAGE, SEVERITY_ORDER, Policy, Rule, Severity, render_template

__all__ = ["Routing", "route_alarm"]


class Routing:
    """Severity, rules, retraining flag, owners, contacts and messages of one alarm."""

    def __init__(
        self,
        severity: Severity,
        rule_ids: list[str],
        retrain: bool,
        owners: list[str],
        contacts: list[str],
        messages: list[str],
    ) -> None:
        self.severity = severity
        self.rule_ids = rule_ids
        self.retrain = retrain
        self.owners = owners
        self.contacts = contacts
        self.messages = messages


def _reads(rule: Rule, feature: str | None, label: str, metric: str) -> bool:
    if rule.target not in ("metric", "comparison") or rule.name != metric:
        return False
    if feature is None:
        return (
            rule.target == "metric" and rule.group in ("all", "overall") and (rule.features is None)
        )
    if rule.group == "overall" or not rule.reads_family([feature]):
        return False
    return rule.group == "all" or rule.group == {feature: label}


def _exempt(policy: Policy, rule: Rule, feature: str | None, label: str, today: date) -> bool:
    for e in policy.exemptions:
        if e.rule != rule.id or e.expired(today):
            continue
        group = {} if feature is None else {feature: label}
        if e.group is not None and e.group != group:
            continue
        if e.features is not None and (feature is None or e.features != [feature]):
            continue
        return True
    return False


def route_alarm(
    policy: Policy | None,
    *,
    feature: str | None,
    label: str,
    metric: str,
    default_severity: Severity,
    values: dict[str, str],
    today: date,
) -> Routing:
    """Map one alarm to the policy and render its escalation messages.

    Parameters
    ----------
    policy : Policy or None
    feature, label, metric : the alarm's group and rate.
    default_severity : severity when no (non-exempted) rule maps the alarm.
    values : template values (``value``, ``threshold``, ``reason``, ...; ``rule_id``,
        ``severity``, ``description`` and ``policy`` are filled in here).
    today : date exemptions are checked against.
    """
    rules: list[Rule] = []
    if policy is not None:
        rules = [
            r
            for r in policy.rules
            if _reads(r, feature, label, metric) and not _exempt(policy, r, feature, label, today)
        ]
    if rules:
        severity: Severity = max((r.severity for r in rules), key=SEVERITY_ORDER.__getitem__)
    else:
        severity = default_severity
    retrain = any(r.retrain for r in rules)
    owners = [o for r in rules for o in r.owners]
    contacts: list[str] = []
    messages: list[str] = []
    if policy is not None:
        esc = policy.escalation.get(severity)
        template = esc.message if esc is not None else DEFAULT_MESSAGE
        if esc is not None:
            owners = [*esc.owners, *owners]
            contacts = list(esc.contacts)
        if esc is not None or owners:
            for rule_id, description in [(r.id, r.description or "") for r in rules] or [
                ("monitor", "")
            ]:
                messages.append(
                    render_template(
                        template,
                        {
                            **values,
                            "rule_id": rule_id,
                            "description": description,
                            "severity": severity,
                            "status": "alarm",
                            "policy": policy.name,
                        },
                    )
                )
    return Routing(
        severity=severity,
        rule_ids=[r.id for r in rules],
        retrain=retrain,
        owners=list(dict.fromkeys(owners)),
        contacts=list(dict.fromkeys(contacts)),
        messages=messages,
    )
