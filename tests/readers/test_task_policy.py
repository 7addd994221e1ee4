"""A policy may name any task's metrics; the gate judges task logs' rows like binary ones."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from _task_logs import task_log
from equilens.policy import decide, parse_policy
from equilens.policy._model import Rule


def _rule(**kw: Any) -> Rule:
    base: dict[str, Any] = {
        "id": "r",
        "on": "value",
        "op": "<",
        "threshold": 0.5,
        "severity": "block",
    }
    return Rule.model_validate({**base, **kw})


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("recall_score[class=7]", "recall_score[class=7]"),
        ("recall_score[ class = 7 ]", "recall_score[class=7]"),
        ("selection_rate[class=cat]", "selection_rate[class=cat]"),
    ],
)
def test_parameterised_metric_names_are_kept(given: str, kept: str) -> None:
    assert _rule(metric=given).metric == kept
    assert _rule(comparison=given, on="p_holm").comparison == kept


def test_binary_names_still_canonicalise() -> None:
    assert _rule(metric="recall_score").metric == "true_positive_rate"


def test_per_class_criterion() -> None:
    rule = _rule(criterion="equal_opportunity_difference[class=7]", on="ci_low", op=">")
    assert rule.criterion == "equal_opportunity_difference[class=7]"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("recal_scor[class=7]", r"unknown metric 'recal_scor\[class=7\]'"),
        ("nonsense_metric", "unknown metric 'nonsense_metric'"),
    ],
)
def test_unknown_names_are_one_line_errors(name: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _rule(metric=name)


def test_unknown_criterion_keeps_parameters_in_the_hint() -> None:
    with pytest.raises(ValidationError, match=r"did you mean 'equal_opportunity_difference\["):
        _rule(criterion="equal_oportunity_difference[class=7]")


def _policy() -> Any:
    return parse_policy(
        {
            "name": "mc",
            "rules": [
                {
                    "id": "recall7",
                    "metric": "recall_score[class=7]",
                    "on": "ci_high",
                    "op": "<",
                    "threshold": 0.7,
                    "severity": "block",
                },
                {
                    "id": "gap7",
                    "comparison": "recall_score[class=7]",
                    "on": "p_holm",
                    "op": "<",
                    "threshold": 0.05,
                    "severity": "warn",
                },
                {
                    "id": "absent",
                    "metric": "recall_score[class=3]",
                    "on": "value",
                    "op": "<",
                    "threshold": 0.7,
                    "severity": "block",
                },
                {
                    "id": "eo7",
                    "criterion": "equal_opportunity_difference[class=7]",
                    "on": "ci_low",
                    "op": ">",
                    "threshold": 0.1,
                    "severity": "warn",
                },
            ],
        }
    )


def test_gate_on_a_multiclass_log() -> None:
    decision = decide(task_log("multiclass"), _policy())
    assert decision.verdict == "block"
    by_rule: dict[str, list[Any]] = {}
    for o in decision.rule_outcomes:
        by_rule.setdefault(o.rule_id, []).append(o)
    assert [(o.group, o.status) for o in by_rule["recall7"]] == [
        ({}, "pass"),
        ({"sex": "F"}, "block"),
        ({"sex": "M"}, "pass"),
    ]
    assert [o.status for o in by_rule["gap7"]] == ["warn"]
    assert [o.status for o in by_rule["eo7"]] == ["warn"]
    # A metric the log does not have: as for a binary log's missing metric.
    assert [o.status for o in by_rule["absent"]] == ["not_applicable"]


def test_gate_reads_hedges_g_of_a_regression_log() -> None:
    policy = parse_policy(
        {
            "name": "reg",
            "rules": [
                {
                    "id": "g",
                    "comparison": "mean_error",
                    "on": "abs_effect_size",
                    "op": ">",
                    "threshold": 0.2,
                    "severity": "block",
                }
            ],
        }
    )
    decision = decide(task_log("regression"), policy)
    assert decision.verdict == "block"
    assert decision.rule_outcomes[0].observed["abs_effect_size"] == pytest.approx(0.31)


def test_a_binary_only_field_on_a_mean_comparison_is_not_reported() -> None:
    policy = parse_policy(
        {
            "name": "reg",
            "rules": [
                {
                    "id": "h",
                    "comparison": "mean_absolute_error",
                    "on": "cohens_h",
                    "op": ">",
                    "threshold": 0.2,
                    "severity": "block",
                }
            ],
        }
    )
    [outcome] = decide(task_log("regression"), policy).rule_outcomes
    assert outcome.status == "insufficient_evidence"
    assert "cohens_h not reported" in outcome.reason


def test_a_binary_rule_on_a_task_log_says_why_it_does_not_apply() -> None:
    policy = parse_policy(
        {
            "name": "bin",
            "rules": [
                {
                    "id": "fpr",
                    "metric": "false_positive_rate",
                    "on": "value",
                    "op": ">",
                    "threshold": 0.2,
                    "severity": "block",
                }
            ],
        }
    )
    [outcome] = decide(task_log("regression"), policy).rule_outcomes
    assert outcome.status == "not_applicable"
    assert "this is a regression audit; false_positive_rate is not one of its metrics" in (
        outcome.reason
    )
    # A per-class rule of a multiclass log names a metric of that task: no such note.
    outcomes = decide(task_log("multiclass"), _policy()).rule_outcomes
    [absent] = [o for o in outcomes if o.rule_id == "absent"]
    assert "is not one of its metrics" not in absent.reason
