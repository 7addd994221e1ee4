"""The gate over discovered slices: a policy's ``discovered_slices:`` rules on ``slices.json``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from equilens.policy._decision import Verdict
from equilens.policy._model import SEVERITY_ORDER, Condition, Policy, SliceRule

__all__ = ["SliceDecision", "decide_slices"]


@dataclass(frozen=True)
class SliceDecision:
    """The verdict and, per rule, the slices it fired on."""

    verdict: Verdict
    outcomes: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "outcomes": self.outcomes}


#: Where a lower value is worse, the difference and its bounds are read as the excess in the
#: worse direction: ``ci_low`` is minus the upper bound, and so on.
_MIRRORED = {"difference": "difference", "ci_low": "ci_high", "ci_high": "ci_low"}


def _observed(row: Mapping[str, Any], on: str, lower_is_worse: bool) -> Any:
    if lower_is_worse and on in _MIRRORED:
        value = row.get(_MIRRORED[on])
        return -value if isinstance(value, int | float) else value
    return row.get(on)


def _fires(rule: SliceRule, row: Mapping[str, Any], metric: str, lower_is_worse: bool) -> bool:
    if row.get("status") != "discovered" or (rule.metric and rule.metric != metric):
        return False
    if rule.require_confirmed and row.get("confirmed") is not True:
        return False
    observed = _observed(row, rule.on, lower_is_worse)
    if not isinstance(observed, int | float) or not math.isfinite(observed):
        return False
    return Condition(on=rule.on, op=rule.op, threshold=rule.threshold).holds(float(observed))


def decide_slices(document: Mapping[str, Any], policy: Policy) -> SliceDecision:
    """Judge a ``slices.json`` document against the policy's ``discovered_slices`` rules.

    ``difference``, ``ci_low`` and ``ci_high`` are read as the slice's excess in the worse
    direction (for a measure where lower is worse, minus the difference and its bounds), so
    ``ci_low > 0`` means "worse by more than noise" whichever way worse is.
    Each rule yields one outcome: ``pass``, or its severity with the slices it fired on. The
    verdict is the most severe fired level (``warn`` counts as ``block`` when the policy sets
    ``block_on_warn``). Pure: no I/O.
    """
    metric = str(document.get("metric", ""))
    lower_is_worse = document.get("worse") == "lower"
    rows = document.get("slices") or []
    outcomes: list[dict[str, Any]] = []
    worst = -1
    for rule in policy.discovered_slices:
        hits = [r for r in rows if _fires(rule, r, metric, lower_is_worse)]
        status = rule.severity if hits else "pass"
        if hits:
            worst = max(worst, SEVERITY_ORDER[rule.severity])
        outcomes.append(
            {
                "rule_id": rule.id,
                "status": status,
                "reason": (
                    f"{len(hits)} discovered slice(s) with {rule.on} {rule.op} {rule.threshold:g}"
                    + (" (confirmed)" if rule.require_confirmed else "")
                ),
                "slices": [
                    {
                        "slice": r["slice"],
                        rule.on: _observed(r, rule.on, lower_is_worse),
                        "q_value": r.get("q_value"),
                    }
                    for r in hits
                ],
            }
        )
    verdict: Verdict = "pass"
    if worst == SEVERITY_ORDER["block"] or (
        worst == SEVERITY_ORDER["warn"] and policy.block_on_warn
    ):
        verdict = "block"
    elif worst == SEVERITY_ORDER["warn"]:
        verdict = "warn"
    return SliceDecision(verdict, outcomes)
