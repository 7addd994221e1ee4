"""The ``speech:`` and ``images:`` sections of an audit spec: validated with FILE:LINE errors
and run by ``equilens audit SPEC`` through the same library calls as the subcommands."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from equilens._cli.main import main
from equilens.exceptions import InvalidInputError
from equilens.results import read_log
from equilens.spec import execute_spec, validate_spec
from equilens.speech import audit_speech

WORDS = ["the", "cat", "sat", "on", "a", "mat", "while", "seven", "dogs", "ran", "past"]


def _speech_manifest(path: Path, n_speakers: int = 24, per: int = 5) -> Path:
    rng = np.random.default_rng(3)
    rows = []
    for s in range(n_speakers):
        accent = ["north", "south", "west"][s % 3]
        drop = {"north": 0.05, "south": 0.4, "west": 0.1}[accent]
        for u in range(per):
            ref = " ".join(rng.choice(WORDS, size=int(rng.integers(4, 10))))
            hyp = " ".join(w for w in ref.split() if rng.random() > drop)
            rows.append({"audio": f"s{s}_{u}.wav", "reference": ref, "hyp": hyp,
                         "speaker": f"s{s}", "accent": accent})  # fmt: skip
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


SPEECH = """\
version: 1
name: asr
data: {path: m.csv}
sensitive_features: [accent]
reference: {accent: north}
bootstrap: {seed: 4}
speech:
  hypothesis: hyp
  speaker: speaker
  normalisation: {numbers: keep}
  synthetic: true
  cache: false
outputs: {dir: out}
"""


def _write(folder: Path, text: str, name: str = "spec.yaml") -> Path:
    (folder / name).write_text(text)
    return folder / name


def test_speech_section_runs_the_same_audit_as_the_library(tmp_path: Path) -> None:
    manifest = _speech_manifest(tmp_path / "m.csv")
    run = execute_spec(_write(tmp_path, SPEECH))
    from equilens.speech import SYNTHETIC_NOTE, TextNormalisation

    direct = audit_speech(manifest, groups=["accent"], hypothesis="hyp",
                          normalisation=TextNormalisation(numbers="keep"),
                          reference_group={"accent": "north"}, seed=4,
                          notes=[SYNTHETIC_NOTE])  # fmt: skip
    got = {(str(r.slice), r.metric): (r.value, r.ci_low, r.ci_high) for r in run.log.results}
    want = {(str(r.slice), r.metric): (r.value, r.ci_low, r.ci_high) for r in direct.log.results}
    assert got == want and len(got) >= 3
    assert run.log.media is not None and run.log.media.notes == [SYNTHETIC_NOTE]
    assert run.log.spec_given["spec"]["speech"]["hypothesis"] == "hyp"
    assert set(run.files) == {"cer.json", "utterances.csv"}


def test_audit_cli_writes_the_speech_files_and_applies_the_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # outputs.dir is relative to the working folder
    _speech_manifest(tmp_path / "m.csv")
    policy = """\
policy:
  name: wer
  rules:
    - {id: wer-high, metric: ratio_of_sums, on: ci_high, op: ">", threshold: 0.3, severity: block}
"""
    spec = _write(tmp_path, SPEECH + policy)
    assert main(["validate", str(spec)]) == 0
    assert main(["audit", str(spec), "--quiet", "--no-store"]) == 1  # south's WER ~0.4 blocks
    out = tmp_path / "out"
    for name in ("audit.json", "cer.json", "utterances.csv", "report.html", "decision.json"):
        assert (out / name).is_file(), name
    decision = json.loads((out / "decision.json").read_text())
    assert "south" in json.dumps(decision)
    assert read_log(out / "cer.json").results  # the CER log loads


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "  hypothesis: hyp",
            "  hypothesis: transcript",
            ":8: speech.hypothesis: column 'transcript' not found",
        ),
        ("[accent]", "[dialect]", ":4: sensitive_features.0: column 'dialect' not found"),
        ("  speaker: speaker", "  speaker: spk", ":9: speech.speaker: column 'spk' not found"),
        (
            "bootstrap: {seed: 4}",
            "bootstrap: {draws: 50}",
            ":6: bootstrap.draws: not used with 'speech:'",
        ),
        (
            "name: asr",
            "name: asr\nmetrics: [ratio_of_sums]",
            ":3: metrics: not used with 'speech:'",
        ),
        (
            "data: {path: m.csv}",
            "data: {dataset: compas}",
            ":3: data.path: the speech audit reads a manifest",
        ),
        ("data: {path: m.csv}", "data: {path: nothere.csv}", ":3: The manifest"),
        (
            "  synthetic: true",
            "  synthetic: true\n  max_skip: 2",
            ":12: speech.max_skip: Input should be less",
        ),
        ("  cache: false", "  cache: false\n  language: en", ":13: unknown key 'speech.language'"),
        (
            "sensitive_features: [accent]",
            "sensitive_features: []",
            ":4: sensitive_features: give at least one",
        ),
    ],
)
def test_speech_section_errors_name_file_and_line(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    _speech_manifest(tmp_path / "m.csv")
    assert old in SPEECH
    spec = _write(tmp_path, SPEECH.replace(old, new))
    with pytest.raises(InvalidInputError) as err:
        validate_spec(spec)
    assert f"{spec}{message}" in str(err.value)
    assert "\n" not in str(err.value)
    assert main(["validate", str(spec)]) == 2


def _images_manifest(folder: Path, n: int = 90) -> Path:
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1, size=(n, 12, 12)).astype(np.float32)
    x[: n // 3] *= 0.3  # a dark third: the condition bands differ
    labels = np.array(["a", "b", "c"])[rng.integers(0, 3, n)]
    pred = np.where(rng.random(n) < 0.8, labels, "a")
    np.save(folder / "x.npy", x)
    site = np.array(["p", "q"])[np.arange(n) % 2]
    pd.DataFrame({"label": labels, "pred": pred, "site": site}).to_csv(
        folder / "im.csv", index=False
    )
    return folder / "im.csv"


IMAGES = """\
version: 1
data: {path: im.csv}
sensitive_features: [site]
images:
  prediction: pred
  array: x.npy
outputs: {dir: out, formats: [json, html]}
"""


def test_images_section_runs_and_writes_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _images_manifest(tmp_path)
    spec = _write(tmp_path, IMAGES)
    assert main(["validate", str(spec)]) == 0
    assert main(["audit", str(spec), "--quiet"]) == 0
    log = read_log(tmp_path / "out" / "audit.json")
    assert log.media is not None and log.media.kind == "images"
    features = {f for r in log.results for f in r.slice}
    assert "site" in features and len(features) > 1  # the condition bands too
    assert (tmp_path / "out" / "images.csv").is_file()
    # No demographic column: the condition bands alone are audited.
    spec2 = _write(tmp_path, IMAGES.replace("sensitive_features: [site]\n", ""), "s2.yaml")
    assert execute_spec(spec2).log.media is not None


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  prediction: pred", "  prediction: guess", ":5: images.prediction: column 'guess'"),
        (
            "  array: x.npy",
            "  array: x.npy\n  onnx: m.onnx",
            "images.prediction, images.onnx, images.callable",
        ),
        ("  array: x.npy", "  array: x.npy\n  size: 12by12", "images.size expects HxW"),
        ("  array: x.npy", "  array: none.npy", "images.array"),
        (
            "sensitive_features: [site]",
            "sensitive_features: [site]\nintersections: true",
            ":4: intersections: not used with 'images:'",
        ),
    ],
)
def test_images_section_errors_are_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    _images_manifest(tmp_path)
    spec = _write(tmp_path, IMAGES.replace(old, new))
    with pytest.raises(InvalidInputError if ":" in message[:3] else Exception) as err:
        execute_spec(spec)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert main(["audit", str(spec), "--quiet"]) == 2
