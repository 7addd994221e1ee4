"""A ratio of sums is named after the columns it divides while its log is rendered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from equilens import audit
from equilens.cards import render_card_markdown
from equilens.report import render_html, render_markdown, summary_data
from equilens.report._content import metric_label, metric_meaning, metric_short
from equilens.report._log_labels import labels_of, log_labels
from equilens.results import AuditLog


def _ratio_log(num: str, den: str, gap: float = 0.2) -> AuditLog:
    rng = np.random.default_rng(0)
    n = 400
    group = np.repeat(["a", "b"], n // 2)
    words = rng.integers(5, 15, n)
    rate = np.where(group == "a", 0.1, 0.1 + gap)
    errors = rng.binomial(words, rate)
    frame = pd.DataFrame({num: errors, den: words, "accent": group, "spk": np.arange(n) // 4})
    return audit(
        frame,
        task="measure",
        numerator=num,
        denominator=den,
        cluster="spk",
        sensitive_features=["accent"],
        reference={"accent": "a"},
        bootstrap=0,
    )


@pytest.mark.parametrize(
    ("num", "den", "label", "short"),
    [
        ("word_errors", "reference_words", "Word error rate", "WER"),
        ("char_errors", "reference_chars", "Character error rate", "CER"),
        ("errors", "words", "Ratio of sums (errors / words)", "Ratio"),
    ],
)
def test_reports_name_the_ratio_after_its_columns(
    num: str, den: str, label: str, short: str
) -> None:
    log = _ratio_log(num, den)
    assert labels_of(log)["ratio_of_sums"][:2] == (label, short)
    md = render_markdown(log)
    page = render_html(log)
    card = render_card_markdown(log)
    assert f"{label} was" in md  # the key finding's sentence
    assert label in page and label in card
    if label != "Ratio of sums (errors / words)":
        assert "Ratio of sums" not in md and "Ratio of sums" not in page
    assert summary_data(log)["findings"]
    # Rows keep their name in the log (policies and scripts read ratio_of_sums).
    assert {r.metric for r in log.results} == {"ratio_of_sums"}
    # Nothing leaks out of the rendering call.
    assert metric_label("ratio_of_sums") == "Ratio of sums"


def test_names_apply_only_inside_the_context_and_nest() -> None:
    wer, cer = (
        _ratio_log("word_errors", "reference_words"),
        _ratio_log("char_errors", "reference_chars"),
    )
    with log_labels(wer):
        assert metric_label("ratio_of_sums") == "Word error rate"
        assert metric_short("ratio_of_sums") == "WER"
        assert "reference words" in metric_meaning("ratio_of_sums", "measure")
        with log_labels(cer):
            assert metric_label("ratio_of_sums") == "Character error rate"
        assert metric_label("ratio_of_sums") == "Word error rate"
        assert metric_label("mean") == "Mean"  # other rows keep their names
    assert metric_label("ratio_of_sums") == "Ratio of sums"


def test_logs_without_a_ratio_of_sums_name_nothing() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "y": rng.integers(0, 2, 300),
            "p": rng.integers(0, 2, 300),
            "g": rng.choice(["x", "y"], 300),
        }
    )
    binary = audit(frame, y_true="y", y_pred="p", sensitive_features=["g"], bootstrap=0)
    frame["v"] = rng.normal(size=300)
    mean = audit(frame, task="measure", value="v", sensitive_features=["g"], bootstrap=0)
    assert labels_of(binary) == {} and labels_of(mean) == {} and labels_of(None) == {}


def test_an_inconclusive_ratio_says_its_gap_is_in_standard_deviations() -> None:
    log = _ratio_log("word_errors", "reference_words", gap=0.0)
    assert any(c.conclusion == "insufficient_evidence" for c in log.comparisons)
    text = "standard deviations of the per-unit values for means and ratios"
    assert text in render_markdown(log)
    assert text in render_html(log)
    assert text in render_card_markdown(log)
