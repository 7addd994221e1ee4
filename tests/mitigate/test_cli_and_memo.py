"""``equilens mitigate``: the files it writes, the memo (escaped, no external resources), the
``--log`` path, and the shipped German credit example."""

from __future__ import annotations

import json
import pathlib
import re
import runpy
import sys

import numpy as np
import pytest

import equilens
from _mitigation_data import credit_frame
from equilens._cli.main import main
from equilens.mitigate import MitigationResult, mitigate
from equilens.report import render_mitigation_html

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_cli_writes_the_documents_and_the_memo(tmp_path: pathlib.Path, capsys) -> None:  # type: ignore[no-untyped-def]
    df = credit_frame(400, seed=5)
    df["score"] = 1 / (1 + np.exp(-(df["x1"] + df["x2"])))
    df.to_csv(tmp_path / "d.csv", index=False)
    out = tmp_path / "out"
    code = main(
        [
            "mitigate",
            str(tmp_path / "d.csv"),
            "--y-true",
            "y",
            "--sensitive",
            "sex",
            "--method",
            "equal_fpr,reweighing",
            "--estimator",
            "logistic",
            "--features",
            "x1,x2",
            "--bootstrap",
            "50",
            "--out",
            str(out),
            "--report",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "equal_fpr [decides with the sensitive feature]" in printed
    result = MitigationResult.model_validate_json((out / "mitigation.json").read_text())
    assert [o.name for o in result.options] == ["original", "equal_fpr", "reweighing"]
    curves = json.loads((out / "tradeoff.json").read_text())
    assert set(curves) == {"tradeoff", "options_curve"}
    assert len(curves["tradeoff"]["settings"]) == 41
    for name in ("original", "equal_fpr", "reweighing"):
        equilens.read_log(out / f"audit_{name}.json")
    assert (out / "compare_original_reweighing.json").exists()
    memo = (out / "memo.html").read_text()
    assert "<!-- equilens mitigation memo -->" in memo and "<svg" in memo


def test_cli_thresholds_from_an_audit_log(tmp_path: pathlib.Path, capsys) -> None:  # type: ignore[no-untyped-def]
    df = credit_frame(300, seed=6)
    df["score"] = 1 / (1 + np.exp(-(df["x1"] + df["x2"])))
    df["pred"] = (df["score"] >= 0.5).astype(int)
    log = equilens.audit(
        df, y_true="y", y_pred="pred", y_score="score", sensitive_features="sex", bootstrap=0
    )
    equilens.write_log(log, tmp_path / "run.json")
    code = main(
        [
            "mitigate",
            "--log",
            str(tmp_path / "run.json"),
            "--sensitive",
            "sex",
            "--method",
            "equal_tpr",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 0
    assert "in-sample" in capsys.readouterr().out
    got = json.loads((tmp_path / "o" / "thresholds.json").read_text())
    assert set(got["equal_tpr"]["thresholds"]) == {"female", "male"}


def test_the_memo_escapes_names_and_loads_nothing() -> None:
    df = credit_frame(300, seed=7)
    df["sex"] = np.where(df["sex"] == "male", "<script>alert(1)</script>", 'a"b&c')
    df["score"] = 1 / (1 + np.exp(-df["x1"]))
    run = mitigate(
        df,
        y_true="y",
        sensitive_features="sex",
        methods=["equal_tpr"],
        y_score="score",
        bootstrap=20,
    )
    page = render_mitigation_html(run.result)
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert not re.search(r"(src|href)=\"?https?:", page)


@pytest.mark.slow
def test_the_german_credit_example(tmp_path: pathlib.Path) -> None:
    sys.path.insert(0, str(ROOT / "examples" / "mitigation_credit"))
    try:
        module = runpy.run_path(
            str(ROOT / "examples" / "mitigation_credit" / "mitigation_credit.py")
        )
        run = module["run"](tmp_path, bootstrap=200, seed=0)
    finally:
        sys.path.pop(0)
    result = run.result
    assert result.split["fit_rows"] == 700 and result.split["eval_rows"] == 300
    names = [o.name for o in result.options]
    assert names[0] == "original" and len(names) == 8
    by = {o.name: o for o in result.options}
    # The post-processing options and every option of a model that reads sex decide with it.
    assert all(o.uses_sensitive_at_decision for o in result.options[1:])
    assert by["threshold_optimizer"].stage == "post-processing"
    assert result.grid_curve is not None and len(result.grid_curve.settings) >= 2
    memo = (tmp_path / "memo.html").read_text()
    assert memo.count("<svg") >= 5
    for o in result.options[1:]:
        assert {"accuracy_score", "selection_rate"} <= set(o.versus_original)
        assert any(k.startswith("demographic_parity_difference[") for k in o.versus_original)


def test_cli_refits_a_skops_model_loaded_through_the_adapter(tmp_path: pathlib.Path) -> None:
    sio = pytest.importorskip("skops.io")
    from sklearn.linear_model import LogisticRegression

    df = credit_frame(300, seed=8)
    df.to_csv(tmp_path / "d.csv", index=False)
    fitted = LogisticRegression().fit(df[["x1", "x2"]], df["y"])
    sio.dump(fitted, tmp_path / "m.skops")
    out = tmp_path / "out"
    code = main(
        [
            "mitigate",
            str(tmp_path / "d.csv"),
            "--y-true",
            "y",
            "--sensitive",
            "sex",
            "--method",
            "reweighing",
            "--estimator",
            str(tmp_path / "m.skops"),
            "--features",
            "x1,x2",
            "--bootstrap",
            "0",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    result = MitigationResult.model_validate_json((out / "mitigation.json").read_text())
    assert [o.name for o in result.options] == ["original", "reweighing"]
