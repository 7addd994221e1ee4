"""Synthetic accented speech with espeak-ng: an offline, repeatable ASR probe.

espeak-ng speaks each sentence in each voice (its English accent rules) and voice variant
(``+f3``: a different pitch and formants, used as a second "speaker" of the accent). The
22,050 Hz output is resampled to 16 kHz with ``scipy.signal.resample_poly`` (no dither, so
files are byte-identical across runs) and written as 16-bit WAV files plus a manifest.

These are not real speakers: an audit of them measures an ASR's robustness to the
synthesiser's accent rules (see :data:`~equilens.speech.SYNTHETIC_NOTE`).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from equilens.exceptions import InvalidInputError

__all__ = ["ACCENT_VOICES", "demo_sentences", "synthesise"]

#: espeak-ng 1.51's English accent voices and what they are.
ACCENT_VOICES: dict[str, str] = {
    "en-us": "General American",
    "en-gb": "British English",
    "en-gb-x-rp": "Received Pronunciation",
    "en-gb-scotland": "Scottish English",
    "en-gb-x-gbclan": "Lancastrian",
    "en-gb-x-gbcwmd": "West Midlands",
    "en-us-nyc": "New York City",
    "en-029": "Caribbean English",
}


def demo_sentences() -> list[str]:
    """The shipped everyday sentences (688, written for equilens; one per line)."""
    text = resources.files("equilens.speech").joinpath("data/sentences.txt").read_text("utf-8")
    return [s.strip() for s in text.splitlines() if s.strip() and not s.startswith("#")]


#: espeak-ng 1.51 ignores a variant appended to ``en-gb`` (``en-gb+f3`` speaks exactly as
#: ``en-gb``); ``en`` is the same voice file (``gmw/en``) and honours it (tested).
_VARIANT_BASE = {"en-gb": "en"}


def _espeak_voice(voice: str, variant: str) -> str:
    """The ``-v`` argument that speaks ``voice`` with ``variant`` ('' or ``+f3``)."""
    return _VARIANT_BASE.get(voice, voice) + variant if variant else voice


def _speak(text: str, voice: str) -> tuple[int, np.ndarray]:
    done = subprocess.run(
        ["espeak-ng", "-v", voice, "--stdout", text], capture_output=True, check=False, timeout=60
    )
    raw = done.stdout
    if done.returncode != 0 or len(raw) <= 44 or raw[:4] != b"RIFF":
        raise InvalidInputError(
            f"espeak-ng failed for voice '{voice}': {done.stderr.decode(errors='replace')[:200]}"
        )
    # A streaming WAV (sizes 0xFFFFFFFF): 44-byte header, then 16-bit mono samples.
    rate = int.from_bytes(raw[24:28], "little")
    return rate, np.frombuffer(raw[44 : 44 + (len(raw) - 44) // 2 * 2], dtype="<i2").astype(float)


def synthesise(
    sentences: Sequence[str],
    out_dir: str | Path,
    *,
    voices: Sequence[str] = tuple(ACCENT_VOICES),
    variants: Sequence[str] = ("", "+f3"),
) -> pd.DataFrame:
    """Speak every sentence in every voice and variant; returns the manifest (also written).

    Columns: ``audio`` (relative to ``out_dir``), ``reference``, ``speaker`` (voice and
    variant), ``accent`` (the voice), ``variant``, ``sentence`` (its index). Files that exist
    are kept (re-runs synthesise nothing new).
    """
    from scipy.signal import resample_poly

    if shutil.which("espeak-ng") is None:
        raise InvalidInputError("The accent demo needs espeak-ng (apt-get install espeak-ng)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    from scipy.io import wavfile

    rows = []
    for voice in voices:
        for variant in variants:
            speaker = voice + variant
            for j, text in enumerate(sentences):
                name = f"{speaker.replace('+', '_')}_{j:03d}.wav"
                path = out / name
                if not path.is_file():
                    rate, x = _speak(text, _espeak_voice(voice, variant))
                    if rate != 22050:
                        raise InvalidInputError(f"espeak-ng wrote {rate} Hz; expected 22050 Hz")
                    y = resample_poly(x, 320, 441)
                    pcm = np.clip(np.round(y), -32768, 32767).astype("<i2")
                    tmp = path.with_suffix(".tmp")
                    wavfile.write(tmp, 16000, pcm)
                    tmp.replace(path)
                rows.append(
                    {
                        "audio": name,
                        "reference": text,
                        "speaker": speaker,
                        "accent": voice,
                        "variant": variant.lstrip("+") or "default",
                        "sentence": j,
                    }
                )
    manifest = pd.DataFrame(rows)
    manifest.to_csv(out / "manifest.csv", index=False)
    return manifest
