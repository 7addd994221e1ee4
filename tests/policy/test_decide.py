"""Semantics of the gate: bounds, evidence, severities, exemptions, escalation, purity."""

from __future__ import annotations

import builtins
import copy
import io
import os
import socket
import subprocess
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilens.policy import GateDecision, Policy, content_hash, decide, load_policy, parse_policy

TODAY = date(2025, 6, 1)

PolicyFactory = Callable[..., Policy]
RuleFactory = Callable[..., dict[str, Any]]


def only(decision: GateDecision, rule_id: str = "eod") -> Any:
    outcomes = decision.outcomes_for(rule_id)
    assert len(outcomes) == 1, outcomes
    return outcomes[0]


# -- interval bounds and operators ---------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "op", "threshold", "fires"),
    [
        # value 0.05 [0.02, 0.12]: only the upper bound exceeds 0.10
        ("ci_high", ">", 0.10, True),
        ("value", ">", 0.10, False),
        ("ci_low", ">", 0.10, False),
        ("ci_low", ">", 0.01, True),
        ("ci_high", ">", 0.12, False),  # strict at equality
        ("ci_high", ">=", 0.12, True),
        ("ci_low", "<", 0.02, False),
        ("ci_low", "<=", 0.02, True),
        ("value", "lt", 0.06, True),  # word operators
    ],
)
def test_condition_reads_the_named_bound(
    builder: Any,
    make_policy: PolicyFactory,
    rule: RuleFactory,
    on: str,
    op: str,
    threshold: float,
    fires: bool,
) -> None:
    log = builder.disparity(value=0.05, ci=(0.02, 0.12)).build()
    policy = make_policy([rule(on=on, op=op, threshold=threshold)])
    decision = decide(log, policy, today=TODAY)
    outcome = only(decision)
    assert outcome.status == ("block" if fires else "pass")
    assert decision.verdict == ("block" if fires else "pass")
    assert outcome.observed[on] == {"value": 0.05, "ci_low": 0.02, "ci_high": 0.12}[on]


def test_reason_carries_number_interval_and_threshold(
    builder: Any, make_policy: PolicyFactory, rule: RuleFactory
) -> None:
    log = builder.disparity(value=0.05, ci=(0.02, 0.12)).build()
    outcome = only(decide(log, make_policy([rule()]), today=TODAY))
    assert "0.050 [95% CI 0.020, 0.120]" in outcome.reason
    assert "ci_high 0.120 > 0.1" in outcome.reason
    passing = only(decide(log, make_policy([rule(threshold=0.2)]), today=TODAY))
    assert "ci_high 0.120 is not > 0.2" in passing.reason


def test_also_conditions_must_all_hold(
    builder: Any, make_policy: PolicyFactory, rule: RuleFactory
) -> None:
    log = (
        builder.comparison(slice={"race": "b"}, difference=0.08, ci=(0.03, 0.13), p_holm=0.01)
        .comparison(slice={"race": "c"}, difference=0.08, ci=(0.03, 0.13), p_holm=0.2)
        .comparison(slice={"race": "d"}, difference=0.01, ci=(-0.02, 0.04), p_holm=0.01)
        .build()
    )
    policy = make_policy(
        [
            rule(
                criterion=None,
                comparison="false_positive_rate",
                on="abs_difference",
                threshold=0.05,
                also=[{"on": "p_holm", "op": "<", "threshold": 0.05}],
            )
        ]
    )
    decision = decide(log, policy, today=TODAY)
    assert [o.status for o in decision.rule_outcomes] == ["block", "pass", "pass"]
    assert "p_holm 0.2 is not < 0.05" in decision.rule_outcomes[1].reason


@pytest.mark.parametrize(
    ("ci", "lower", "upper"),
    [((-0.03, 0.07), 0.0, 0.07), ((-0.12, -0.04), 0.04, 0.12), ((0.02, 0.09), 0.02, 0.09)],
)
def test_absolute_difference_interval(
    builder: Any,
    make_policy: PolicyFactory,
    rule: RuleFactory,
    ci: tuple[float, float],
    lower: float,
    upper: float,
) -> None:
    log = builder.comparison(difference=sum(ci) / 2, ci=ci).build()
    policy = make_policy(
        [rule(criterion=None, comparison="false_positive_rate", on="abs_difference_ci_high")]
    )
    outcome = only(decide(log, policy, today=TODAY))
    assert outcome.observed["abs_difference_ci_high"] == pytest.approx(upper)
    low_policy = make_policy(
        [rule(criterion=None, comparison="false_positive_rate", on="abs_difference_ci_low")]
    )
    low = only(decide(log, low_policy, today=TODAY))
    assert low.observed["abs_difference_ci_low"] == pytest.approx(lower)


# -- minimum evidence ------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["insufficient_evidence", "undefined"])
def test_small_or_undefined_group_is_never_a_silent_pass(
    builder: Any, make_policy: PolicyFactory, rule: RuleFactory, status: str
) -> None:
    # The values would pass (0.5 > 0.1 is false for "<"), but the row cannot be judged.
    value = 0.5 if status != "undefined" else None
    ci = (0.4, 0.6) if status != "undefined" else (None, None)
    log = builder.metric(
        "true_positive_rate", {"race": "d"}, value=value, ci=ci, status=status, n=12
    ).build()
    policy = make_policy(
        [rule(criterion=None, metric="true_positive_rate", on="value", op="<", threshold=0.1)]
    )
    decision = decide(log, policy, today=TODAY)
    outcome = only(decision)
    assert outcome.status == "insufficient_evidence"
    assert outcome.severity == "warn"  # the policy default
    assert decision.verdict == "warn"
    assert "cannot judge" in outcome.reason and "race=d" in outcome.reason


@pytest.mark.parametrize(
    ("policy_level", "rule_level", "verdict"),
    [
        (None, None, "warn"),
        ("block", None, "block"),
        ("block", "info", "pass"),
        (None, "block", "block"),
    ],
)
def test_policy_decides_what_insufficient_evidence_counts_as(
    builder: Any,
    make_policy: PolicyFactory,
    rule: RuleFactory,
    policy_level: str | None,
    rule_level: str | None,
    verdict: str,
) -> None:
    log = builder.metric("accuracy_score", {"race": "d"}, status="insufficient_evidence").build()
    extra = {"insufficient_evidence": policy_level} if policy_level else {}
    policy = make_policy(
        [
            rule(
                criterion=None,
                metric="accuracy_score",
                on="value",
                op="<",
                threshold=0.5,
                insufficient_evidence=rule_level,
            )
        ],
        **extra,
    )
    decision = decide(log, policy, today=TODAY)
    assert only(decision).status == "insufficient_evidence"
    assert decision.verdict == verdict


def test_unreported_bound_is_insufficient_evidence(
    builder: Any, make_policy: PolicyFactory, rule: RuleFactory
) -> None:
    log = builder.disparity(value=0.02, ci=(None, None)).build()
    outcome = only(decide(log, make_policy([rule()]), today=TODAY))
    assert outcome.status == "insufficient_evidence"
    assert "ci_high not reported" in outcome.reason


def test_groups_left_out_of_a_criterion_are_reported(
    builder: Any, make_policy: PolicyFactory, rule: RuleFactory
) -> None:
    log = (
        builder.metric("count", {"race": "d"}, n=9)
        .disparity(value=0.02, ci=(0.01, 0.05), excluded=[{"race": "d"}])
        .build()
    )
    decision = decide(log, make_policy([rule()]), today=TODAY)
    statuses = [(o.status, o.group) for o in decision.outcomes_for("eod")]
    assert statuses == [("pass", None), ("insufficient_evidence", {"race": "d"})]
    assert "race=d (n=9) is left out" in decision.outcomes_for("eod")[1].reason
    assert decision.verdict == "warn"


def test_underpowered_comparison_cannot_pass_a_p_value_rule(
    builder: Any, make_policy: PolicyFactory, rule: RuleFactory
) -> None:
    reason = "no difference detected, but the test could not reliably detect a gap of 0.1"
    log = builder.comparison(
        difference=0.09,
        ci=(-0.05, 0.2),
        p_holm=0.6,
        conclusion="insufficient_evidence",
        reason=reason,
    ).build()
    p_rule = rule(
        criterion=None, comparison="false_positive_rate", on="p_holm", op="<", threshold=0.05
    )
    outcome = only(decide(log, make_policy([p_rule]), today=TODAY))
    assert outcome.status == "insufficient_evidence"
    assert reason in outcome.reason
    # An interval rule still judges it: the upper bound 0.2 is evidence enough to fire.
    bound_rule = rule(criterion=None, comparison="false_positive_rate", on="difference_ci_high")
    assert only(decide(log, make_policy([bound_rule]), today=TODAY)).status == "block"


@pytest.mark.parametrize(
    ("required", "status", "verdict"),
    [(False, "not_applicable", "pass"), (True, "insufficient_evidence", "warn")],
)
def test_rule_without_rows(
    builder: Any,
    make_policy: PolicyFactory,
    rule: RuleFactory,
    required: bool,
    status: str,
    verdict: str,
) -> None:
    log = builder.metric("accuracy_score").build()
    policy = make_policy(
        [
            rule(
                criterion=None,
                metric="roc_auc_score",
                on="ci_low",
                op="<",
                threshold=0.7,
                required=required,
            )
        ]
    )
    decision = decide(log, policy, today=TODAY)
    assert only(decision).status == status
    assert decision.verdict == verdict
    assert "no metric rows for roc_auc_score" in only(decision).reason


# -- selection --------------------------------------------------------------------------------


def test_selection_by_group_family_and_method(
    builder: Any, make_policy: PolicyFactory, rule: RuleFactory
) -> None:
    log = (
        builder.metric("accuracy_score", {}, value=0.9)
        .metric("accuracy_score", {"race": "a"}, value=0.9)
        .metric("accuracy_score", {"race": "b"}, value=0.6)
        .metric("accuracy_score", {"race": "b", "sex": "F"}, value=0.5)
        .disparity(features=["race"], method="between_groups")
        .disparity(features=["race"], method="to_reference", ci=(0.2, 0.3))
        .disparity(features=["race", "sex"], method="between_groups")
        .build()
    )
    acc = {
        "criterion": None,
        "metric": "accuracy_score",
        "on": "value",
        "op": "<",
        "threshold": 0.7,
    }

    def groups(**sel: Any) -> list[Any]:
        decision = decide(log, make_policy([rule(**acc, **sel)]), today=TODAY)
        return [o.group for o in decision.rule_outcomes]

    assert groups() == [{}, {"race": "a"}, {"race": "b"}, {"race": "b", "sex": "F"}]
    assert groups(group="overall") == [{}]
    assert groups(group={"race": "b"}) == [{"race": "b"}]
    assert groups(features=["race"]) == [{"race": "a"}, {"race": "b"}]
    assert groups(intersections=False) == [{}, {"race": "a"}, {"race": "b"}]
    assert groups(intersections="only") == [{"race": "b", "sex": "F"}]

    def families(**sel: Any) -> list[Any]:
        decision = decide(log, make_policy([rule(**sel)]), today=TODAY)
        return [(o.features, o.method, o.status) for o in decision.rule_outcomes]

    assert families() == [
        (["race"], "between_groups", "pass"),
        (["race", "sex"], "between_groups", "pass"),
    ]
    assert families(method="to_reference") == [(["race"], "to_reference", "block")]
    assert families(features=["sex", "race"]) == [(["race", "sex"], "between_groups", "pass")]


def test_metric_aliases_resolve(
    builder: Any, make_policy: PolicyFactory, rule: RuleFactory
) -> None:
    log = builder.metric("roc_auc_score", {}, value=0.6, ci=(0.55, 0.65)).build()
    policy = make_policy([rule(criterion=None, metric="auc", on="ci_low", op="<", threshold=0.7)])
    assert policy.rules[0].metric == "roc_auc_score"
    assert only(decide(log, policy, today=TODAY)).status == "block"


# -- severities and verdict ---------------------------------------------------------------------

SEVERITIES = ["info", "warn", "block"]


@settings(max_examples=60, deadline=None)
@given(
    fired=st.lists(st.tuples(st.sampled_from(SEVERITIES), st.booleans()), min_size=1, max_size=6),
    block_on_warn=st.booleans(),
)
def test_verdict_is_the_most_severe_counted_level(
    builder_cls: Any, fired: list[tuple[str, bool]], block_on_warn: bool
) -> None:
    log = builder_cls().disparity(value=0.2, ci=(0.15, 0.25)).build()
    rules = [
        {
            "id": f"r{i}",
            "criterion": "equalized_odds_difference",
            "on": "value",
            "op": ">" if fires else "<",
            "threshold": 0.1,
            "severity": severity,
        }
        for i, (severity, fires) in enumerate(fired)
    ]
    policy = parse_policy({"name": "p", "rules": rules, "block_on_warn": block_on_warn})
    decision = decide(log, policy, today=TODAY)
    levels = [sev for sev, fires in fired if fires]
    worst = max(levels, key=SEVERITIES.index) if levels else None
    expected = {None: "pass", "info": "pass", "warn": "warn", "block": "block"}[worst]
    if block_on_warn and expected == "warn":
        expected = "block"
    assert decision.verdict == expected
    assert [o.status for o in decision.rule_outcomes] == [
        sev if fires else "pass" for sev, fires in fired
    ]


def test_warnings_do_not_block_unless_the_policy_says_so(
    builder: Any, make_policy: PolicyFactory, rule: RuleFactory
) -> None:
    log = builder.disparity(value=0.2, ci=(0.15, 0.25)).build()
    warn_rule = rule(severity="warn")
    assert decide(log, make_policy([warn_rule]), today=TODAY).verdict == "warn"
    strict = decide(log, make_policy([warn_rule], block_on_warn=True), today=TODAY)
    assert strict.verdict == "block"
    assert "blocks on warnings" in strict.summary
    assert strict.rule_outcomes[0].status == "warn"


def test_summary_uses_modest_language(
    builder: Any, make_policy: PolicyFactory, rule: RuleFactory
) -> None:
    log = builder.disparity(value=0.01, ci=(0.0, 0.03)).build()
    decision = decide(log, make_policy([rule()]), today=TODAY)
    assert decision.verdict == "pass"
    assert decision.summary.startswith("Passes policy 'test-policy'")
    assert "fair" not in decision.summary.lower() and "certif" not in decision.summary.lower()


# -- exemptions --------------------------------------------------------------------------------


def _exemption(**over: Any) -> dict[str, Any]:
    base = {
        "rule": "eod",
        "justification": "Known gap under remediation; reviewed by the board.",
        "approver": "Jane Doe",
        "expires": "2025-06-30",
        "ticket": "RAI-12",
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


@pytest.mark.parametrize(
    ("today", "status", "verdict"),
    [
        (date(2025, 6, 29), "exempted", "pass"),
        (date(2025, 6, 30), "exempted", "pass"),  # the expiry day is included
        (date(2025, 7, 1), "block", "block"),
    ],
)
def test_exemption_applies_until_it_expires(
    builder: Any,
    make_policy: PolicyFactory,
    rule: RuleFactory,
    today: date,
    status: str,
    verdict: str,
) -> None:
    log = builder.disparity(value=0.2, ci=(0.15, 0.25)).build()
    policy = make_policy([rule()], exemptions=[_exemption()])
    decision = decide(log, policy, today=today)
    outcome = only(decision)
    assert (outcome.status, decision.verdict) == (status, verdict)
    assert outcome.exemption is not None and outcome.exemption.approver == "Jane Doe"
    if status == "exempted":
        assert "Exempted until 2025-06-30" in outcome.reason
        assert decision.expired_exemptions == []
    else:
        assert outcome.exemption.expired
        assert "expired on 2025-06-30; it no longer applies" in outcome.reason
        assert decision.expired_exemptions == [
            "exemption of rule 'eod', approved by Jane Doe, expires 2025-06-30"
        ]


def test_exemption_by_group_and_family(
    builder: Any, make_policy: PolicyFactory, rule: RuleFactory
) -> None:
    log = (
        builder.metric("accuracy_score", {"race": "b"}, value=0.5)
        .metric("accuracy_score", {"race": "c"}, value=0.5)
        .metric("accuracy_score", {"sex": "F"}, value=0.5)
        .build()
    )
    acc = rule(id="acc", criterion=None, metric="accuracy_score", on="value", op="<", threshold=0.7)
    by_group = make_policy([acc], exemptions=[_exemption(rule="acc", group={"race": "b"})])
    statuses = [o.status for o in decide(log, by_group, today=TODAY).rule_outcomes]
    assert statuses == ["exempted", "block", "block"]
    by_family = make_policy([acc], exemptions=[_exemption(rule="acc", features=["race"])])
    statuses = [o.status for o in decide(log, by_family, today=TODAY).rule_outcomes]
    assert statuses == ["exempted", "exempted", "block"]


def test_valid_exemption_wins_over_an_expired_one(
    builder: Any, make_policy: PolicyFactory, rule: RuleFactory
) -> None:
    log = builder.disparity(value=0.2, ci=(0.15, 0.25)).build()
    policy = make_policy(
        [rule()], exemptions=[_exemption(expires="2024-01-01"), _exemption(approver="Ann Lee")]
    )
    decision = decide(log, policy, today=TODAY)
    assert only(decision).status == "exempted"
    assert only(decision).exemption.approver == "Ann Lee"
    assert len(decision.expired_exemptions) == 1


# -- retraining and escalation -------------------------------------------------------------------


def test_retraining_triggers(builder: Any, make_policy: PolicyFactory, rule: RuleFactory) -> None:
    log = builder.disparity(value=0.2, ci=(0.15, 0.25)).build()
    decision = decide(log, make_policy([rule(retrain=True)]), today=TODAY)
    assert decision.retrain_required
    assert decision.retrain_reasons[0].startswith("eod: equalized_odds_difference over race")
    quiet = decide(log, make_policy([rule(retrain=True, threshold=0.5)]), today=TODAY)
    assert not quiet.retrain_required and quiet.retrain_reasons == []
    exempted = make_policy([rule(retrain=True)], exemptions=[_exemption()])
    assert not decide(log, exempted, today=TODAY).retrain_required


def test_escalation_routes_and_messages(
    builder: Any, make_policy: PolicyFactory, rule: RuleFactory
) -> None:
    log = (
        builder.metric("accuracy_score", {"race": "{rule_id}"}, value=0.5)
        .disparity(value=0.2, ci=(0.15, 0.25))
        .build()
    )
    escalation = {
        "block": {
            "owners": ["risk-team"],
            "contacts": ["#rai"],
            "message": "{rule_id}: {metric} for {group} is {value} (threshold {threshold})",
        },
        "warn": {"owners": ["model-owner"]},
    }
    rules = [
        rule(),
        rule(
            id="acc",
            criterion=None,
            metric="accuracy_score",
            on="value",
            op="<",
            threshold=0.7,
            severity="warn",
            owners=["data-team"],
        ),
    ]
    decision = decide(log, make_policy(rules, escalation=escalation), today=TODAY)
    block, warn = decision.escalations
    assert (block.severity, block.owners, block.contacts) == ("block", ["risk-team"], ["#rai"])
    assert block.messages == [
        "eod: equalized_odds_difference for race (between_groups) is 0.250 (threshold 0.1)"
    ]
    assert (warn.severity, warn.owners) == ("warn", ["model-owner", "data-team"])
    # A group label that looks like a placeholder is data: printed, never expanded.
    assert warn.messages[0].startswith("[warn] acc: accuracy_score for race={rule_id} (n=500)")


# -- purity ----------------------------------------------------------------------------------------


def test_decide_is_deterministic(compas_log: Any, shipped_policy: Any) -> None:
    policy = load_policy(shipped_policy)
    first = decide(compas_log, policy, today=TODAY)
    again = decide(copy.deepcopy(compas_log), load_policy(shipped_policy), today=TODAY)
    assert first == again
    assert first.to_json() == again.to_json()
    assert first.log_hash == content_hash(compas_log)
    assert first.policy_hash == content_hash(policy)


def test_decide_does_no_io(
    builder: Any, make_policy: PolicyFactory, rule: RuleFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = (
        builder.metric("accuracy_score", {"race": "b"}, value=0.5)
        .disparity(value=0.2, ci=(0.15, 0.25), excluded=[{"race": "d"}])
        .comparison(p_holm=0.01, difference=0.2, ci=(0.1, 0.3))
        .build()
    )
    policy = make_policy(
        [
            rule(),
            rule(
                id="acc", criterion=None, metric="accuracy_score", on="value", op="<", threshold=0.7
            ),
            rule(id="fpr", criterion=None, comparison="fpr", on="p_holm", op="<", threshold=0.05),
        ],
        escalation={"block": {"owners": ["x"], "message": "{rule_id} {group} {value}"}},
        exemptions=[_exemption(rule="acc", expires="2020-01-01")],
    )
    expected = decide(log, policy, today=TODAY)

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"I/O during decide: {args!r}")

    for target, name in [
        (builtins, "open"),
        (io, "open"),
        (os, "open"),
        (os, "stat"),
        (os, "listdir"),
        (os, "scandir"),
        (os, "getenv"),
        (os, "system"),
        (socket, "socket"),
        (socket, "create_connection"),
        (subprocess, "Popen"),
    ]:
        monkeypatch.setattr(target, name, forbidden)
    monkeypatch.setattr(os, "environ", {})
    decision = decide(log, policy, today=TODAY)
    monkeypatch.undo()
    assert decision == expected
    assert decision.verdict == "block"
