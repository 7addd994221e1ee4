"""The German credit example end to end, and the spec's ``model:`` section (run_model_spec)."""

from __future__ import annotations

import re
import runpy
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import equilens
from equilens.adapters import ModelOutputError, run_model_spec
from equilens.exceptions import InvalidParameterError

pytest.importorskip("skops.io", reason="the sklearn extra (scikit-learn, skops) is not installed")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "german_credit"


def _readme_spec() -> dict[str, Any]:
    text = (EXAMPLE / "README.md").read_text()
    block = re.findall(r"```yaml\n(.*?)```", text, re.S)[0]
    spec: dict[str, Any] = yaml.safe_load(block)
    return spec


def test_example_trains_audits_and_reuses_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EQUILENS_CACHE_DIR", str(tmp_path / "cache"))
    main = runpy.run_path(str(EXAMPLE / "audit_model.py"))["main"]
    args = ["--out", str(tmp_path / "out"), "--model", str(tmp_path / "model.skops")]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "predict: 1000 rows computed, 0 from the cache, 0 failed" in first
    assert main(args) == 0
    second = capsys.readouterr().out
    assert "predict: 0 rows computed, 1000 from the cache, 0 failed" in second
    log = equilens.read_log(tmp_path / "out" / "audit.json")
    assert log is not None
    assert (tmp_path / "out" / "model.json").is_file()


def test_readme_spec_model_section_runs(german: pd.DataFrame, german_skops: Path) -> None:
    spec = _readme_spec()
    assert spec["model"]["path"] == "model.skops"
    model = {**spec["model"], "path": german_skops.name, "cache": False}
    run = run_model_spec(model, german, base_dir=german_skops.parent)
    assert set(run.columns.values()) == {"y_pred", "y_score"}
    log = equilens.audit(
        run.frame,
        y_true=spec["columns"]["y_true"],
        y_pred="y_pred",
        y_score="y_score",
        positive_label=spec["positive_label"],
        sensitive_features=spec["sensitive_features"],
        bins={"age": spec["bins"]["age"]["edges"]},
        bootstrap=0,
    )
    assert log is not None


def test_run_keys(german: pd.DataFrame, german_skops: Path, tmp_path: Path) -> None:
    base = {"kind": "sklearn", "path": str(german_skops)}
    cache = tmp_path / "c.sqlite"
    run = run_model_spec(
        {**base, "cache": str(cache), "tasks": ["predict"], "outputs": {"predict": "pred"}},
        german.head(30),
    )
    assert list(run.columns.items()) == [("predict", "pred")] and cache.is_file()
    csv = tmp_path / "rows.csv"
    german.head(30).to_csv(csv, index=False)
    again = run_model_spec({**base, "cache": str(cache), "tasks": ["predict"]}, csv)
    assert again.results["predict"].n_cached == 30
    with pytest.raises(InvalidParameterError, match="'cache' key"):
        run_model_spec({**base, "cache": 3}, german)
    with pytest.raises(InvalidParameterError, match="'on_error' parameter"):
        run_model_spec({**base, "cache": False, "on_error": "skip"}, german)


def test_on_error_keep_audits_the_rest(tmp_path: Path) -> None:
    model = tmp_path / "flaky.py"
    model.write_text(
        "def predict(df):\n"
        "    if (df['x'] == 7).any():\n"
        "        raise ValueError('cannot score 7')\n"
        "    return (df['x'] % 2).tolist()\n"
    )
    df = pd.DataFrame({"x": range(20)})
    spec = {"kind": "callable", "predict": f"{model}:predict", "cache": False}
    with pytest.raises(ModelOutputError, match="row 7: ValueError: cannot score 7"):
        run_model_spec(spec, df)
    run = run_model_spec({**spec, "on_error": "keep"}, df)
    assert run.ok_mask.sum() == 19 and run.record()["runs"]["predict"]["errors"] == [
        {"index": 7, "error": "ValueError: cannot score 7"}
    ]
