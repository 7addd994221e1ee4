"""The ``text_metrics:`` section of an audit spec: run like ``equilens textmetrics``, validated."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from _text_words import WORDS
from equilens._cli.main import main

SPEC = """\
version: 1
name: text-metrics
task: measure
data: {path: t.csv}
columns: {value: v}
sensitive_features: [dialect]
bootstrap: {draws: 50, seed: 0}
outputs: {dir: out, formats: [json]}
text_metrics:
  hypothesis: [sys_a, sys_b]
  reference: ref
  metrics: [bleu, chrf]
  bootstrap: 100
  trials: 200
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 80
    refs = [" ".join(rng.choice(WORDS, rng.integers(4, 12))) for _ in range(n)]
    group = np.where(np.arange(n) % 2 == 0, "x", "y")
    a = [" ".join(r.split()[:-1]) for r in refs]
    b = [" ".join(r.split()[: 2 if g == "y" else -1]) for r, g in zip(refs, group, strict=True)]
    frame = pd.DataFrame({"ref": refs, "sys_a": a, "sys_b": b, "dialect": group})
    frame["v"] = rng.normal(size=n)
    frame.to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "spec.yaml").write_text(SPEC, encoding="utf-8")
    return tmp_path


def test_audit_spec_runs_textmetrics_with_the_same_results(folder: Path) -> None:
    out = ["--out", str(folder / "out")]
    assert main(["audit", str(folder / "spec.yaml"), *out, "--quiet", "--no-store"]) == 0
    doc = json.loads((folder / "out" / "textmetrics" / "textmetrics.json").read_text())
    assert doc["settings"]["sensitive"] == ["dialect"]  # the spec's sensitive features
    assert set(doc["logs"]) == {f"{s}.{m}" for s in ("sys_a", "sys_b") for m in ("bleu", "chrf")}
    assert (folder / "out" / "audit.json").is_file()
    # The same options on the command line give the same numbers (one code path).
    argv = ["textmetrics", "--data", str(folder / "t.csv"), "--hypothesis", "sys_a,sys_b"]
    argv += ["--reference", "ref", "--sensitive", "dialect", "--metrics", "bleu,chrf"]
    argv += ["--bootstrap", "100", "--trials", "200", "--out", str(folder / "cli")]
    assert main(argv) == 0
    cli = json.loads((folder / "cli" / "textmetrics.json").read_text())
    same = {k: v for k, v in cli.items() if k not in ("settings", "logs")}
    assert same == {k: v for k, v in doc.items() if k not in ("settings", "logs")}
    assert cli["corpus"] and cli["logs"] == doc["logs"]


@pytest.mark.parametrize(
    ("edit", "line", "needle"),
    [
        (("  trials: 200\n", "  trials: 200\n  colour: red\n"), 15, "unknown key"),
        (("metrics: [bleu, chrf]", "metrics: [bleu, meteor]"), 12, "text_metrics.metrics"),
        (("reference: ref", "reference: nope"), 11, "column 'nope' not found"),
        (("  trials: 200\n", "  trials: 200\n  ratings: r.csv\n"), 9, "go together"),
        (
            ("  trials: 200\n", "  trials: 200\n  lm: no/such/model\n"),
            15,
            "text_metrics.lm",
        ),
        (("data: {path: t.csv}", "data: {dataset: compas}"), 9, "needs data.path"),
    ],
)
def test_validate_names_the_spec_line(
    folder: Path, edit: tuple[str, str], line: int, needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = folder / "spec.yaml"
    spec.write_text(SPEC.replace(*edit), encoding="utf-8")
    assert main(["validate", str(spec)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert f"{spec}:{line}" in err and needle in err, err


def test_validate_accepts_the_section(folder: Path) -> None:
    assert main(["validate", str(folder / "spec.yaml")]) == 0


TEXT_ONLY = """\
version: 1
data: {path: t.csv}
sensitive_features: [dialect]
text_metrics:
  hypothesis: sys_b
  reference: ref
  metrics: [chrf]
  bootstrap: 50
  trials: 50
"""


def test_a_spec_without_columns_runs_only_the_text_metrics(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = folder / "text.yaml"
    spec.write_text(TEXT_ONLY, encoding="utf-8")
    assert main(["validate", str(spec)]) == 0
    out = ["--out", str(folder / "only")]
    capsys.readouterr()
    assert main(["audit", str(spec), *out, "--format", "json", "--no-store"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown == {"text_metrics": str(folder / "only" / "textmetrics"), "exit_code": 0}
    doc = json.loads((folder / "only" / "textmetrics" / "textmetrics.json").read_text())
    assert set(doc["logs"]) == {"sys_b.chrf"} and not (folder / "only" / "audit.json").exists()
    # Slice search needs the spec's own columns; a text-only spec has none.
    spec.write_text(TEXT_ONLY + "slices: {features: [dialect]}\n", encoding="utf-8")
    assert main(["validate", str(spec)]) == 2
    assert f"{spec}:10: slices: needs the spec's own audit" in capsys.readouterr().err
    # Without text_metrics:, columns: is still required.
    spec.write_text(TEXT_ONLY.split("text_metrics:")[0], encoding="utf-8")
    assert main(["validate", str(spec)]) == 2
    assert "columns" in capsys.readouterr().err


def test_the_shipped_example_spec_and_policy_validate() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "text_quality"
    assert main(["validate", str(example / "spec.yaml")]) == 0
    assert main(["validate", str(example / "policy.yaml")]) == 0


def test_the_spec_cluster_reaches_the_corpus_tables(folder: Path) -> None:
    frame = pd.read_csv(folder / "t.csv").assign(doc=[f"d{i // 4}" for i in range(80)])
    frame.to_csv(folder / "t.csv", index=False)
    spec = SPEC.replace("  trials: 200\n", "  trials: 200\n  cluster: doc\n")
    (folder / "spec.yaml").write_text(spec, encoding="utf-8")
    out = ["--out", str(folder / "out")]
    assert main(["audit", str(folder / "spec.yaml"), *out, "--quiet", "--no-store"]) == 0
    doc = json.loads((folder / "out" / "textmetrics" / "textmetrics.json").read_text())
    assert doc["settings"]["n_clusters"] == 20
    assert all("clusters of 'doc'" in r["ci_method"] for r in doc["corpus"])
