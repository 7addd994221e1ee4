"""The run store keeps task logs; the monitor refuses other tasks' metrics in one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from _task_logs import task_log
from equilens._cli.main import main
from equilens.results import write_log
from equilens.store import RunStore

TASKS = ("multiclass", "regression", "measure", "ranking")


def test_store_records_task_logs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    with RunStore(url) as store:
        recs = [store.record(task_log(t), actor="ci") for t in TASKS]
        for t, rec in zip(TASKS, recs, strict=True):
            back = store.get_log(rec.log_hash)
            assert back.task == t and back == task_log(t)
        assert store.verify().ok


def test_gate_cli_stores_a_task_log_with_its_decision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = write_log(task_log("regression"), tmp_path / "a.json")
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "name: reg\nrules:\n  - id: mae\n    metric: mean_absolute_error\n    on: ci_high\n"
        "    op: '>'\n    threshold: 1500\n    severity: block\n",
        encoding="utf-8",
    )
    store = f"sqlite:///{tmp_path / 'h.db'}"
    code = main(["gate", str(log), "--policy", str(policy), "--store", store])
    assert code == 0, capsys.readouterr()
    with RunStore(store) as rs:
        [rec] = rs.records()
        assert rec.verdict == "pass" and rs.get_log(rec.log_hash).task == "regression"


def _batch(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame(
        {"y": rng.integers(0, 2, n), "p": rng.integers(0, 2, n), "g": rng.choice(["A", "B"], n)}
    )
    path = tmp_path / "ref.csv"
    df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("metric", "what"),
    [
        ("mean_absolute_error", "a regression metric"),
        ("recall_score[class=7]", "a multiclass metric"),
        ("ndcg_score[k=10]", "a ranking metric"),
    ],
)
def test_monitor_refuses_other_tasks_metrics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], metric: str, what: str
) -> None:
    ref = _batch(tmp_path)
    code = main(
        [
            "monitor",
            "init",
            "--reference",
            str(ref),
            "--y-true",
            "y",
            "--y-pred",
            "p",
            "--sensitive",
            "g",
            "--metrics",
            metric,
            "--state",
            str(tmp_path / "st"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert what in err
    assert "the monitor watches binary rates" in err
