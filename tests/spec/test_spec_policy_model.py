"""A spec's policy: section runs the gate; a spec's model: section runs the model."""

from __future__ import annotations

import json
import pathlib
import textwrap

import pytest

from _data import make_frame
from equilens._cli.main import main
from equilens.store import RunStore

SPEC = """\
version: 1
data:
  path: preds.csv
columns:
  y_true: y
  y_pred: pred
  y_score: score
sensitive_features: [race]
bootstrap:
  draws: 50
  seed: 3
outputs:
  dir: results
  formats: [json]
policy:
  kind: policy
  format_version: 1
  name: inline
  rules:
    - id: auc-floor
      metric: roc_auc_score
      group: overall
      on: value
      op: "<"
      threshold: {threshold}
      severity: block
"""


@pytest.fixture
def spec_dir(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    make_frame(n=600).to_csv(tmp_path / "preds.csv", index=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _spec(d: pathlib.Path, threshold: float) -> pathlib.Path:
    p = d / "audit.yaml"
    p.write_text(textwrap.dedent(SPEC).replace("{threshold}", str(threshold)))
    return p


@pytest.mark.parametrize(("threshold", "code", "verdict"), [(0.5, 0, "pass"), (0.99, 1, "block")])
def test_policy_section_gates_and_stores(
    spec_dir: pathlib.Path, threshold: float, code: int, verdict: str
) -> None:
    store = spec_dir / "h.db"
    args = ["audit", str(_spec(spec_dir, threshold)), "--quiet", "--store", str(store)]
    assert main(args) == code
    out = spec_dir / "results"
    decision = json.loads((out / "decision.json").read_text())
    assert decision["verdict"] == verdict
    assert (out / "gate.md").is_file() and (out / "gate.junit.xml").is_file()
    with RunStore(str(store)) as opened:
        (record,) = opened.records()
        assert record.verdict == verdict
        assert opened.verify().ok


def test_no_store_stores_nothing(spec_dir: pathlib.Path) -> None:
    assert main(["audit", str(_spec(spec_dir, 0.5)), "--quiet", "--no-store"]) == 0
    assert not (spec_dir / ".equilens").exists()


def test_invalid_policy_section_is_bad_input(
    spec_dir: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = _spec(spec_dir, 0.5)
    p.write_text(p.read_text().replace('op: "<"', 'op: "~"'))
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "audit.yaml" in err and "op" in err
    assert main(["audit", str(p), "--quiet", "--no-store"]) == 2


def test_model_section_runs_a_callable(spec_dir: pathlib.Path) -> None:
    (spec_dir / "toy_model.py").write_text(
        "def predict(frame):\n    return [1 if s > 0.5 else 0 for s in frame['score']]\n"
    )
    p = spec_dir / "model.yaml"
    p.write_text(
        textwrap.dedent(
            """\
            version: 1
            data:
              path: preds.csv
            columns:
              y_true: y
            sensitive_features: [race]
            bootstrap: {draws: 20, seed: 0}
            model:
              kind: callable
              predict: toy_model.py:predict
              features: [score]
              cache: false
            outputs: {dir: results, formats: [json]}
            """
        )
    )
    assert main(["validate", str(p)]) == 0
    assert main(["audit", str(p), "--quiet"]) == 0
    log = json.loads((spec_dir / "results" / "audit.json").read_text())
    assert log["model"]["model"]["kind"] == "callable"
    frame = make_frame(n=600)
    expected = ((frame["score"] > 0.5).astype(int) == 1).mean()
    (overall,) = [r for r in log["results"] if r["metric"] == "selection_rate" and r["slice"] == {}]
    assert overall["value"] == pytest.approx(expected)
