"""The multiclass task end to end: audit(task='multiclass'), the CLI, the shipped example."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pandas as pd
import pytest

from equilens import audit
from equilens._cli.main import main

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "multiclass_digits"


def _frame(n: int = 900, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.choice(["cat", "dog", "eel"], n, p=[0.5, 0.3, 0.2])
    pred = np.where(rng.random(n) < 0.75, y, rng.choice(["cat", "dog", "eel"], n))
    score = rng.dirichlet(np.ones(3), n)
    frame = pd.DataFrame({"y": y, "p": pred, "g": rng.choice(["a", "b"], n)})
    for k, c in enumerate(["cat", "dog", "eel"]):
        frame[f"s_{c}"] = score[:, k]
    return frame


def test_audit_api_writes_multiclass_rows_and_confusion_matrices() -> None:
    frame = _frame()
    log = audit(
        frame,
        task="multiclass",
        y_true="y",
        y_pred="p",
        y_score=["s_cat", "s_dog", "s_eel"],
        sensitive_features="g",
        bootstrap=100,
    )
    assert log.task == "multiclass"
    metrics = {r.metric for r in log.results}
    assert {
        "recall_score[class=eel]",
        "f1_score[average=macro]",
        "top_k_accuracy_score[k=2]",
    } <= metrics
    assert {"roc_auc_score[class=cat]", "balanced_accuracy_score"} <= metrics
    row = log.result("recall_score[class=dog]", {"g": "a"})
    rows = frame[(frame.g == "a") & (frame.y == "dog")]
    assert row.value == pytest.approx(float((rows.p == "dog").mean()))
    assert row.ci_low is not None and row.ci_low < row.value < row.ci_high
    assert log.confusion_matrices is not None
    overall = log.confusion_matrices[0]
    assert overall.labels == ["cat", "dog", "eel"] and overall.n == len(frame)
    criteria = {d.criterion for d in log.disparities}
    assert "equal_opportunity_difference[class=eel]" in criteria
    assert "demographic_parity_ratio[class=cat]" in criteria
    compared = {c.metric for c in log.comparisons}
    assert "recall_score[class=cat]" in compared and "precision_score[class=cat]" not in compared


def test_cli_class_only_predicted_exits_2_naming_the_column(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = _frame()
    frame.loc[3, "p"] = "fox"
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    args = ["audit", "--task", "multiclass", "--data", str(path), "--y-true", "y"]
    args += ["--y-pred", "p", "--y-score", "s_cat,s_dog,s_eel", "--sensitive", "g"]
    assert main([*args, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "column 'p' (y_pred)" in err and "'fox'" in err and "Traceback" not in err


def test_cli_binary_audit_of_three_classes_names_the_task(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "d.csv"
    _frame().to_csv(path, index=False)
    args = ["audit", "--data", str(path), "--y-true", "y", "--y-pred", "p", "--sensitive", "g"]
    assert main([*args, "--out", str(tmp_path / "o")]) == 2
    assert "--task multiclass" in capsys.readouterr().err


def test_shipped_digits_example_runs(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["audit", str(EXAMPLE / "audit.yaml"), "--bootstrap", "100"]) == 0
    log = json.loads((tmp_path / "out" / "multiclass_digits" / "audit.json").read_text())
    assert log["task"] == "multiclass"
    assert log["spec_resolved"]["task_top_k"] == 2
    assert log["spec_resolved"]["task_classes"] == [str(d) for d in range(10)]
    accuracy = next(
        r for r in log["results"] if r["metric"] == "accuracy_score" and r["slice"] == {}
    )
    assert accuracy["value"] == pytest.approx(0.963, abs=0.001)
    assert len(log["confusion_matrices"]) == 1 + 3 + 2
