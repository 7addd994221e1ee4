"""Claim checks and model cards read task logs: task metrics by name, alias and parameters."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from _task_logs import task_log
from equilens.cards import render_card_html, render_card_markdown
from equilens.cards._card import front_matter, model_index
from equilens.cards._claim_values import parse_value
from equilens.cards._claims import check_claim, check_claims, claim_from_mapping, load_claims


def _check(task: str, **raw: str) -> tuple[str, str | None, str]:
    result = check_claim(task_log(task), claim_from_mapping(raw, "t"))
    return result.verdict, result.metric, result.reason


def test_thousands_are_read() -> None:
    assert parse_value("1,200").value == 1200.0
    assert parse_value("12,345.50").decimals == 2
    with pytest.raises(ValueError, match="unknown unit"):
        parse_value("1,5")  # a decimal comma is not a thousands separator


def test_mae_for_women_is_1200() -> None:
    # MAE of F is 1,200 (95% CI 1,176 to 1,224); lower is better, so "= 1,200" means at most
    # 1,200.5: the interval overlaps it and is 4% of the value wide -> consistent.
    verdict, metric, reason = _check("regression", metric="MAE", value="1,200", slice="sex=F")
    assert (verdict, metric) == ("consistent", "mean_absolute_error")
    verdict, _, reason = _check(
        "regression", metric="mean_absolute_error", value="<= 1,000", slice="sex=F"
    )
    assert verdict == "contradicted" and "worse than claimed" in reason
    assert _check("regression", metric="r2", value=">= 0.5", slice="sex=F")[0] == "supported"


def test_unbounded_metric_width_is_relative() -> None:
    # The 1,176-1,224 interval is 0.04 of the 1,200 claimed wide: consistent at the default
    # 0.10, too wide at 0.03 (in currency units it would be 48, never below 0.10).
    log = task_log("regression")
    claim = claim_from_mapping({"metric": "MAE", "value": "1,200", "slice": "sex=F"}, "t")
    assert check_claim(log, claim).verdict == "consistent"
    narrow = check_claim(log, claim, max_ci_width=0.03)
    assert narrow.verdict == "insufficient_evidence" and "too wide" in narrow.reason
    # A ratio below 1 (a word error rate) is read on its own scale.
    wer = claim_from_mapping({"metric": "ratio_of_sums", "value": "0.15", "slice": "sex=F"}, "t")
    assert check_claim(task_log("measure"), wer).verdict in ("supported", "consistent")


def test_per_class_and_per_k_claims() -> None:
    verdict, metric, _ = _check(
        "multiclass", metric="recall_score[class=7]", value="80%", slice="sex=F"
    )
    assert (verdict, metric) == ("contradicted", "recall_score[class=7]")
    assert (
        _check(
            "multiclass",
            metric="equal_opportunity_difference[class=7]",
            value="<= 0.05",
            features="sex",
        )[0]
        == "contradicted"
    )
    # A bare name matches the one variant the log has; several must be named.
    verdict, metric, _ = _check("ranking", metric="ndcg", value=">= 0.6", slice="sex=F")
    assert verdict == "supported" and metric == "ndcg_score"
    verdict, _, reason = _check("multiclass", metric="recall_score", value="0.9")
    assert verdict == "not_measured" and "several rows of 'recall_score'" in reason
    verdict, _, reason = _check("multiclass", metric="recall_score[class=3]", value="0.9")
    assert verdict == "not_measured"


@pytest.mark.parametrize("task", ["multiclass", "regression", "measure", "ranking"])
def test_card_round_trip(tmp_path: Path, task: str) -> None:
    log = task_log(task)
    card = tmp_path / "card.md"
    card.write_text(front_matter(log) + "\n# card\n", encoding="utf-8")
    claims = load_claims(card)
    assert claims
    checks = check_claims(log, claims)
    assert {c.verdict for c in checks} <= {"supported", "consistent"}, [
        (c.claim.metric, c.verdict, c.reason)
        for c in checks
        if c.verdict not in ("supported", "consistent")
    ]


def test_card_shows_the_task_metrics() -> None:
    md = render_card_markdown(task_log("regression"))
    assert "| Bias | MAE | RMSE | R² | Mean pred. |" in md
    assert "Positive label" not in md and "**Task:** regression" in md
    assert "Base rates do not clearly differ" not in md
    html = render_card_html(task_log("multiclass"))
    assert "impossibility" not in html.lower()
    doc = yaml.safe_load(front_matter(task_log("multiclass")).strip("-\n"))
    assert doc["model-index"][0]["results"][0]["task"]["name"] == "Multiclass classification"
    names = {
        m["args"]["equilens_metric"]
        for m in model_index(task_log("multiclass"))["model-index"][0]["results"][0]["metrics"]
    }
    assert "recall_score[class=7]" in names and "f1_score[average=macro]" in names
