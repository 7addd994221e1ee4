"""Reviews the gate requires when rules that name one block (``require_review``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from equilens.policy._decision import ReviewRequirement, RuleOutcome
from equilens.policy._model import Policy


def required_reviews(
    outcomes: Sequence[RuleOutcome], policy: Policy, attachments: Mapping[str, str]
) -> list[ReviewRequirement]:
    """One requirement per review kind named by a rule with a counted block outcome.

    ``attachments`` maps a review kind to the document given for it (a file name); the gate
    only records whether one was given, a person does the review.
    """
    blocking: dict[str, list[str]] = {}
    for o in outcomes:
        rule = policy.rule(o.rule_id)
        if rule.require_review is None or o.status != "block":
            continue
        ids = blocking.setdefault(rule.require_review, [])
        if o.rule_id not in ids:
            ids.append(o.rule_id)
    out = []
    for kind, ids in blocking.items():
        report = attachments.get(kind)
        what = "a mitigation report (equilens mitigate ... --report)"
        message = (
            f"{kind} review required by {', '.join(ids)}: {what} is attached ({report}); a "
            "reviewer must record the decision"
            if report
            else f"{kind} review required by {', '.join(ids)}: attach {what} with "
            "--mitigation-report"
        )
        out.append(
            ReviewRequirement(
                kind="mitigation",
                rule_ids=ids,
                attached=bool(report),
                report=report,
                message=message,
            )
        )
    return out
