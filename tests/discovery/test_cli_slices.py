# ruff: noqa: E501  (the bad-input table keeps one case per line)
"""``equilens slices``: outputs, every task, the gate, escaping, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from _slices_data import FEATURES, planted_frame
from equilens._cli.main import main
from equilens.discovery import discover_slices
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.policy import decide_slices, load_policy, parse_policy
from equilens.report import render_slices_html

ROW_FIELDS = {
    "slice", "n", "metric", "value", "complement_value", "difference", "ci_low", "ci_high",
    "p_value", "q_value", "status",
}  # fmt: skip
POLICY = """kind: policy
name: slices
rules:
  - {id: acc, metric: accuracy_score, on: value, op: '<', threshold: 0.5, severity: warn}
discovered_slices:
  - {id: worse-slice, on: ci_low, op: '>', threshold: 0.0, severity: block}
"""


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("slices") / "data.csv"
    planted_frame(4000, np.random.default_rng(5), raised=0.5).to_csv(path, index=False)
    return path


def test_cli_writes_json_and_html_and_the_gate_blocks(data: Path, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    argv = ["slices", "--data", str(data), "--features", ",".join(FEATURES), "--y-true", "y",
            "--y-pred", "pred", "--out", str(tmp_path / "out"), "--quiet"]  # fmt: skip
    assert main(argv) == 0
    doc = json.loads((tmp_path / "out" / "slices.json").read_text(encoding="utf-8"))
    assert doc["n_hypotheses"] > 100 and doc["method"] == "benjamini-hochberg"
    top = doc["slices"][0]
    assert set(top) >= ROW_FIELDS
    assert top["slice"] == {"f0": "a", "f1": "b", "f2": "c"} and top["status"] == "discovered"
    assert top["ci_low"] > 0 and top["q_value"] <= 0.05
    html = (tmp_path / "out" / "slices.html").read_text(encoding="utf-8")
    assert "<svg" in html and "f0 = a &amp; f1 = b &amp; f2 = c" in html
    assert main([*argv, "--policy", str(policy)]) == 1
    decision = json.loads((tmp_path / "out" / "slices_decision.json").read_text(encoding="utf-8"))
    assert decision["verdict"] == "block"
    assert decision["outcomes"][0]["slices"][0]["slice"] == top["slice"]


def test_gate_passes_without_discoveries_and_honours_confirmation(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        POLICY.replace("severity: block}", "severity: block, require_confirmed: true}"),
        encoding="utf-8",
    )
    policy = load_policy(path)
    doc = {"metric": "error_rate", "slices": [{"slice": {"a": "1"}, "status": "discovered",
                                              "ci_low": 0.1, "q_value": 0.01}]}  # fmt: skip
    assert decide_slices(doc, policy).verdict == "pass"  # not confirmed
    doc["slices"][0]["confirmed"] = True
    assert decide_slices(doc, policy).verdict == "block"
    doc["slices"][0]["status"] = "explained"
    assert decide_slices(doc, policy).verdict == "pass"


def test_every_task_measure() -> None:
    rng = np.random.default_rng(6)
    df = planted_frame(3000, rng)
    bad = ((df.f0 == "a") & (df.f1 == "b")).to_numpy()
    df["target"] = rng.normal(size=len(df))
    df["guess"] = df["target"] + rng.normal(size=len(df)) * np.where(bad, 3.0, 1.0)
    reg = discover_slices(df, features=FEATURES, task="regression", y_true="target", y_pred="guess")
    assert reg["slices"][0]["slice"] == {"f0": "a", "f1": "b"}
    assert reg["metric"] == "absolute_error" and reg["test"] == "one-sided welch"
    df["label"] = rng.choice(["x", "y", "z"], len(df))
    df["guessed"] = np.where(bad & (rng.random(len(df)) < 0.5), "w", df["label"])
    multi = discover_slices(
        df, features=FEATURES, task="multiclass", y_true="label", y_pred="guessed"
    )
    assert multi["slices"][0]["slice"] == {"f0": "a", "f1": "b"}
    df["score"] = (
        np.where(bad, 0.9, 0.1) * (1 - df["y"]) + 0.1 * df["y"]
    )  # bad rows: high score on 0s
    df["quality"] = np.where(bad, 0.5, 0.8) + rng.normal(0, 0.05, len(df))
    low = discover_slices(
        df, features=FEATURES, task="measure", value="quality", higher_is_better=True
    )
    assert low["worse"] == "lower" and low["slices"][0]["slice"] == {"f0": "a", "f1": "b"}
    brier = discover_slices(
        df, features=FEATURES, metric="brier_score", y_true="y", y_score="score"
    )
    assert brier["slices"][0]["slice"] == {"f0": "a", "f1": "b"}


def test_clusters_are_the_units() -> None:
    rng = np.random.default_rng(7)
    speakers = pd.DataFrame({"speaker": np.arange(400), "accent": rng.choice(["p", "q", "r"], 400),
                             "age": rng.choice(["young", "old"], 400)})  # fmt: skip
    rows = speakers.loc[np.repeat(np.arange(400), 8)].reset_index(drop=True)
    rows["words"] = rng.integers(5, 25, len(rows))
    rows["errors"] = rng.binomial(rows["words"], np.where(rows["accent"] == "p", 0.2, 0.1))
    doc = discover_slices(rows, features=["accent", "age"], task="measure", numerator="errors",
                          denominator="words", cluster="speaker", min_support=40)  # fmt: skip
    assert doc["n_units"] == 400 and doc["n_rows"] == 3200
    top = doc["slices"][0]
    assert top["slice"] == {"accent": "p"} and top["n"] == 8 * top["n_units"]
    rows.loc[0, "accent"] = "q"  # the speaker's rows now disagree
    with pytest.raises(InvalidInputError, match="'accent' varies within clusters of 'speaker'"):
        discover_slices(rows, features=["accent"], task="measure", numerator="errors",
                        denominator="words", cluster="speaker")  # fmt: skip


def test_report_escapes_names_and_levels() -> None:
    rng = np.random.default_rng(8)
    df = planted_frame(3000, rng, raised=0.6).rename(columns={"f0": "<script>x</script>"})
    df["<script>x</script>"] = df["<script>x</script>"].map({"a": "<b>&", "b": "b", "c": "c"})
    feats = ["<script>x</script>", *FEATURES[1:]]
    html = render_slices_html(discover_slices(df, features=feats, y_true="y", y_pred="pred"))
    assert "<script>" not in html and "<b>&" not in html
    assert "&lt;script&gt;x&lt;/script&gt; = &lt;b&gt;&amp;" in html


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"features": ["f0", "row_id"]}, InvalidInputError, "'row_id' has a different value on every row"),
        ({"features": ["f0", "nope"]}, InvalidInputError, "'nope'"),
        ({"features": ["f0"], "min_support": 5000}, InvalidParameterError, "--min-support 5000"),
        ({"features": ["f0"], "metric": "absolute_error"}, InvalidParameterError, "not defined for --task binary"),
        ({"features": ["f0"], "task": "ranking"}, InvalidParameterError, "does not support --task ranking"),
        ({"features": ["f0"], "max_order": 9}, InvalidParameterError, "--max-order"),
        ({"features": ["f0"], "confirm_split": 1.5}, InvalidParameterError, "--confirm-split"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line(kwargs: dict[str, object], error: type, message: str) -> None:
    df = planted_frame(400, np.random.default_rng(9)).assign(row_id=[f"r{i}" for i in range(400)])
    with pytest.raises(error, match=message.replace("(", r"\(")):
        discover_slices(df, y_true="y", y_pred="pred", **kwargs)  # type: ignore[arg-type]


def test_a_slice_identical_to_its_parent_is_subsumed_and_json_safe(tmp_path: Path) -> None:
    """f5 copies f0: f0=a & f5=a is f0=a; its test against the parent has no rows to use."""
    df = planted_frame(3000, np.random.default_rng(10), raised=0.6)
    df["f5"] = df["f0"]
    path = tmp_path / "dup.csv"
    df.to_csv(path, index=False)
    argv = ["slices", "--data", str(path), "--features", "f0,f1,f2,f5", "--y-true", "y",
            "--y-pred", "pred", "--out", str(tmp_path / "o"), "--quiet"]  # fmt: skip
    assert main(argv) == 0
    rows = json.loads((tmp_path / "o" / "slices.json").read_text(encoding="utf-8"))["slices"]
    copy = next(r for r in rows if r["slice"] == {"f0": "a", "f5": "a"})
    assert copy["status"] == "subsumed" and copy["p_value_vs_parent"] is None


def test_a_slice_rule_with_an_unknown_metric_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text(
        POLICY.replace("{id: worse-slice,", "{id: worse-slice, metric: eror_rate,"),
        encoding="utf-8",
    )
    with pytest.raises(InvalidInputError, match=r"unknown slice metric 'eror_rate'.*error_rate"):
        load_policy(path)


def test_an_audit_spec_with_a_slices_section(data: Path, tmp_path: Path) -> None:
    spec = tmp_path / "audit.yaml"
    spec.write_text(
        f"""version: 1
data: {{path: {data}}}
columns: {{y_true: y, y_pred: pred}}
sensitive_features: [f0]
bootstrap: {{draws: 0}}
outputs: {{dir: {tmp_path / "out"}, formats: [json]}}
slices: {{features: [{", ".join(FEATURES)}], max_order: 3}}
policy:
  name: p
  rules:
    - {{id: acc, metric: accuracy_score, on: value, op: '<', threshold: 0.1, severity: warn}}
  discovered_slices:
    - {{id: worse-slice, on: ci_low, op: '>', threshold: 0.0}}
""",
        encoding="utf-8",
    )
    assert main(["audit", str(spec), "--quiet", "--no-store"]) == 1
    doc = json.loads((tmp_path / "out" / "slices.json").read_text(encoding="utf-8"))
    assert doc["slices"][0]["slice"] == {"f0": "a", "f1": "b", "f2": "c"}
    assert (tmp_path / "out" / "audit.json").exists()
    verdict = json.loads((tmp_path / "out" / "slices_decision.json").read_text(encoding="utf-8"))
    assert verdict["verdict"] == "block"


def test_the_gate_reads_differences_in_the_worse_direction() -> None:
    rng = np.random.default_rng(11)
    df = planted_frame(3000, rng)
    bad = ((df.f0 == "a") & (df.f1 == "b")).to_numpy()
    df["quality"] = np.where(bad, 0.5, 0.8) + rng.normal(0, 0.05, len(df))
    doc = discover_slices(df, features=FEATURES, task="measure", value="quality",
                          higher_is_better=True)  # fmt: skip
    top = doc["slices"][0]
    assert top["difference"] < 0 and top["ci_high"] < 0
    policy = parse_policy(
        {"name": "p", "rules": [{"id": "a", "metric": "accuracy_score", "on": "value",
                                 "op": "<", "threshold": 0.5, "severity": "warn"}],
         "discovered_slices": [{"id": "worse", "on": "ci_low", "op": ">", "threshold": 0.1}]},
    )  # fmt: skip
    decision = decide_slices(doc, policy)
    assert decision.verdict == "block"
    assert decision.outcomes[0]["slices"][0]["ci_low"] == pytest.approx(-top["ci_high"])
