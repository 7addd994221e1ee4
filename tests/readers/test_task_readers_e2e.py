"""Every reader on real logs of every task, written by ``equilens.audit(task=...)``."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from equilens import audit
from equilens._cli.main import main
from equilens.cards._card import front_matter
from equilens.cards._claims import check_claims, load_claims
from equilens.compare import compare_logs
from equilens.report import render_html, render_markdown
from equilens.results import AuditLog, read_log, write_log

TASKS = ("multiclass", "regression", "measure", "ranking")


@functools.cache
def _log(task: str) -> AuditLog:
    rng = np.random.default_rng(3)
    n = 1200
    sex = rng.choice(["F", "M"], n)
    if task == "multiclass":
        y = rng.integers(0, 3, n)
        p = np.where(rng.random(n) < np.where(sex == "F", 0.7, 0.85), y, rng.integers(0, 3, n))
        df = pd.DataFrame({"y": y, "p": p, "sex": sex})
        return audit(
            df, task="multiclass", y_true="y", y_pred="p", sensitive_features=["sex"], bootstrap=100
        )
    if task == "regression":
        y = rng.normal(5000, 1000, n)
        p = y + rng.normal(np.where(sex == "F", -300, 100), 700)
        df = pd.DataFrame({"y": y, "p": p, "sex": sex})
        return audit(
            df, task="regression", y_true="y", y_pred="p", sensitive_features=["sex"], bootstrap=100
        )
    if task == "measure":
        words = rng.integers(10, 30, n)
        errors = rng.binomial(words, np.where(sex == "F", 0.12, 0.09))
        df = pd.DataFrame({"e": errors, "w": words, "sex": sex})
        return audit(
            df,
            task="measure",
            numerator="e",
            denominator="w",
            sensitive_features=["sex"],
            bootstrap=100,
        )
    q = np.repeat(np.arange(200), 8)
    item = np.tile(np.arange(8), 200)
    rel = rng.integers(0, 3, q.size)
    df = pd.DataFrame(
        {
            "q": q,
            "i": item,
            "s": rel + rng.normal(0, 1, q.size),
            "rel": rel,
            "ig": np.where(item % 3 == 0, "indie", "major"),
            "sex": np.repeat(rng.choice(["F", "M"], 200), 8),
        }
    )
    return audit(
        df,
        task="ranking",
        query="q",
        item="i",
        y_score="s",
        relevance="rel",
        item_group="ig",
        sensitive_features=["sex"],
        bootstrap=100,
        k=[5],
    )


@pytest.mark.parametrize("task", TASKS)
def test_readers_of_a_real_task_log(tmp_path: Path, task: str) -> None:
    log = _log(task)
    assert log.task == task
    path = write_log(log, tmp_path / "log.json")
    assert read_log(path) == log
    html, md = render_html(log), render_markdown(log)
    assert f"({task} task)" in md and "Score curves" not in html
    if task == "multiclass":
        assert '<section id="confusion">' in html
    if task == "ranking":
        assert '<section id="exposure">' in html
    same = compare_logs(log, read_log(path))
    assert all(m.conclusion != "change_detected" for m in same.metrics)
    card = tmp_path / "card.md"
    card.write_text(front_matter(log) + "\n# card\n", encoding="utf-8")
    verdicts = {c.verdict for c in check_claims(log, load_claims(card))}
    assert "contradicted" not in verdicts and "not_measured" not in verdicts
    assert main(["report", str(path), "--out", str(tmp_path / "out")]) == 0


def test_gate_on_a_real_regression_log(tmp_path: Path) -> None:
    path = write_log(_log("regression"), tmp_path / "log.json")
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "name: reg\nrules:\n  - id: bias\n    comparison: mean_error\n    on: p_holm\n"
        "    op: '<'\n    threshold: 0.05\n    severity: block\n",
        encoding="utf-8",
    )
    assert main(["gate", str(path), "--policy", str(policy)]) == 1
