"""HTML report and Markdown summary of task logs: the task's metrics, no binary-only section."""

from __future__ import annotations

import re

import pytest

from _task_logs import task_log
from equilens.report import render_html, render_markdown
from equilens.results import AuditLog

TASKS = ("multiclass", "regression", "measure", "ranking")


def _text(html: str) -> str:
    html = re.sub(r"<script.*?</script>|<style.*?</style>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("task", TASKS)
def test_no_binary_only_section(task: str) -> None:
    html = render_html(task_log(task))
    for binary in (
        'id="curves"',
        "Score curves",
        "4/5",
        "four-fifths",
        "impossibility",
        "Positive</em> means",
        "Base rates",
    ):
        assert binary not in html
    assert f"({task} task)" in _text(html)


def test_multiclass_confusion_heatmap_is_escaped() -> None:
    html = render_html(task_log("multiclass"))
    assert '<section id="confusion">' in html
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    # The diagonal cell of class 7: 500 of 560 = 89.3% of its row, the darkest shade of it.
    assert 'title="89.3% of row">500</td>' in html
    assert "rgba(37,99,235,0.893)" in html


def test_multiclass_labels_and_meanings() -> None:
    text = _text(render_html(task_log("multiclass")))
    assert "Recall (class 7)" in text
    assert "F1 (macro average)" in text
    assert "mean over the classes of each class's recall" in text.replace("&#x27;", "'")
    # Per-class criteria are explained, not labelled as four-fifths.
    assert "binary criterion applied to one class" in text


def test_regression_comparisons_show_welch_hedges_and_rank_test() -> None:
    html = render_html(task_log("regression"))
    text = _text(html)
    assert "welch-t" in text
    assert "hedges_g = +0.31" in text
    assert "mann-whitney p 0.01" in text and "not adjusted" in text
    assert "Welch (3 groups)" not in text  # methods come from the rows' ci_method
    assert "t-delta (3 groups)" in text
    # Hedges' g ranks the key findings (not the difference in money).
    assert "effect size (Hedges&#x27; g) 0.31" in html


def test_ranking_exposure_section() -> None:
    html = render_html(task_log("ranking"))
    assert '<section id="exposure">' in html
    text = _text(html)
    assert "indie overall 0.200 0.195–0.205 0.650 0.637–0.663" in text


def test_unknown_metric_of_a_task_falls_back_to_its_name() -> None:
    raw = task_log("measure").model_dump()
    for row in raw["results"] + raw["comparisons"]:
        if row["metric"] == "ratio_of_sums":
            row["metric"] = "toxicity_<i>mean</i>"
    html = render_html(AuditLog.model_validate(raw))
    assert "<i>mean</i>" not in html and "toxicity_&lt;i&gt;mean&lt;/i&gt;" in html


@pytest.mark.parametrize("task", TASKS)
def test_markdown_is_task_aware(task: str) -> None:
    md = render_markdown(task_log(task))
    assert f"({task} task)" in md
    assert "positive label" not in md
    assert "| test | effect size |" in md


def test_markdown_multiclass_worst_class() -> None:
    md = render_markdown(task_log("multiclass"))
    assert "| worst Recall |" in md
    assert "61.0% (59.8–62.2) class 7" in md


def test_markdown_regression_table() -> None:
    md = render_markdown(task_log("regression"))
    assert "| group | n | Bias | MAE | RMSE | R² | Mean pred. |" in md
    assert "hedges\\_g = +0.31" in md
