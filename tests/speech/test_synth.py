"""espeak-ng synthesis for the accent demo: every voice and variant is a distinct speaker."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

if shutil.which("espeak-ng") is None:  # pragma: no cover - Debian package in CI
    pytest.skip("espeak-ng is not installed", allow_module_level=True)

from equilens.speech._synth import ACCENT_VOICES, demo_sentences, synthesise


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_voice_and_variant_sounds_different_and_repeats_exactly(tmp_path: Path) -> None:
    sentences = demo_sentences()[:1]
    manifest = synthesise(sentences, tmp_path / "a")
    assert len(manifest) == 2 * len(ACCENT_VOICES)
    digests = {a: _digest(tmp_path / "a" / a) for a in manifest["audio"]}
    # en-gb+f3 used to be en-gb byte for byte (espeak-ng ignores a variant on 'en-gb').
    assert len(set(digests.values())) == len(digests)
    again = synthesise(sentences, tmp_path / "b")
    assert {a: _digest(tmp_path / "b" / a) for a in again["audio"]} == digests
