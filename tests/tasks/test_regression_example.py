"""The shipped regression example runs end to end (predictions, spec, CLI exit code)."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from equilens._cli.main import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "regression_credit"

pytest.importorskip("sklearn")
try:
    from equilens.data import load_german_credit

    load_german_credit()
except Exception as exc:  # the data package is an optional install
    pytest.skip(f"German credit data unavailable: {exc}", allow_module_level=True)


def test_regression_credit_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("predict.py", "audit.yaml"):
        shutil.copy(EXAMPLE / name, tmp_path / name)
    spec = importlib.util.spec_from_file_location("predict_example", tmp_path / "predict.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main()
    assert (tmp_path / "predictions.csv").exists()
    monkeypatch.chdir(tmp_path)
    assert main(["audit", "audit.yaml"]) == 0
    log = json.loads((tmp_path / "out" / "regression_credit" / "audit.json").read_text())
    assert log["task"] == "regression"
    assert log["spec_resolved"]["columns"]["y_true"] == "credit_amount"
    mae = [c for c in log["comparisons"] if c["metric"] == "mean_absolute_error"]
    assert {tuple(c["slice"].items()) for c in mae} >= {(("sex", "female"),)}
    assert all(c["test"] == "welch-t" for c in mae)
