"""Benchmark of the speech and image audits' model runs.

    .venv/bin/python bench/bench_media.py            # 64 utterances, 2,000 images
    .venv/bin/python bench/bench_media.py --quick    # 16 utterances, 500 images

* ASR: Whisper tiny.en (faster-whisper, int8, greedy) on espeak-ng utterances: the real-time
  factor (audio seconds per second of transcription), then the same run again from the
  transcript cache (the peer: the cold run, measured in the same process).
* Images: an ONNX classifier (PCA + logistic regression on Fashion-MNIST, skl2onnx) over the
  test images in batches of 256 against one image per call (the peer), in images per second;
  then the cached re-run.

This is a benchmark, not a test: it prints figures and PASS/FAIL per target, and exits 0.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from equilens.adapters import (
    OnnxImageClassifier,
    OutputCache,
    WhisperTranscriber,
    predict_images,
    transcribe_files,
)
from equilens.images._fashion import load_fashion_mnist, train_fashion_model
from equilens.speech._synth import ACCENT_VOICES, demo_sentences, synthesise

TARGET_RTF = 1.0  # transcribe faster than real time on 2 cores
TARGET_CACHE_SPEEDUP = 20.0
TARGET_BATCH_SPEEDUP = 5.0


def bench_asr(n: int, tmp: Path) -> None:
    voices = list(ACCENT_VOICES)[:4]
    per = max(1, n // (2 * len(voices)))
    manifest = synthesise(demo_sentences()[:per], tmp / "audio", voices=voices)
    paths = [tmp / "audio" / a for a in manifest["audio"]]
    asr = WhisperTranscriber(cpu_threads=2)
    asr.transcribe(np.zeros(16000, np.float32) + 0.01)  # load the model outside the timing
    with OutputCache(tmp / "asr.sqlite") as cache:
        t0 = time.perf_counter()
        cold = transcribe_files(asr, paths, cache=cache)
        cold_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        warm = transcribe_files(asr, paths, cache=cache)
        warm_s = time.perf_counter() - t0
    rtf = cold.real_time_factor or 0.0
    two = WhisperTranscriber(workers=2)
    two.transcribe(np.zeros(16000, np.float32) + 0.01)
    t0 = time.perf_counter()
    pooled = transcribe_files(two, paths)
    pooled_s = time.perf_counter() - t0
    assert pooled.transcripts == cold.transcripts
    print(f"ASR: {len(paths)} utterances, {cold.audio_seconds:.1f} s of audio")
    print(f"  two one-thread workers {pooled_s:.2f} s vs one two-thread worker {cold_s:.2f} s: "
          f"{cold_s / pooled_s:.2f}x (same transcripts)")  # fmt: skip
    print(f"  cold run {cold_s:.2f} s (model {cold.model_seconds:.2f} s): real-time factor "
          f"{rtf:.1f}x  {'PASS' if rtf >= TARGET_RTF else 'FAIL'} (>= {TARGET_RTF}x)")  # fmt: skip
    speedup = cold_s / warm_s
    verdict = "PASS" if speedup >= TARGET_CACHE_SPEEDUP else "FAIL"
    print(f"  cached re-run {warm_s:.3f} s ({warm.cached} from cache): {speedup:.0f}x faster  "
          f"{verdict} (>= {TARGET_CACHE_SPEEDUP}x)")  # fmt: skip


def bench_images(n: int, tmp: Path) -> None:
    from skl2onnx import to_onnx

    model = train_fashion_model(3000)
    onx = to_onnx(model, np.zeros((1, 784), np.float32), options={"zipmap": False})
    (tmp / "m.onnx").write_bytes(onx.SerializeToString())
    clf = OnnxImageClassifier(tmp / "m.onnx")
    x, _ = load_fashion_mnist("test", n)
    t0 = time.perf_counter()
    one = predict_images(clf, x, batch_size=1)
    single_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    batched = predict_images(clf, x, batch_size=256)
    batch_s = time.perf_counter() - t0
    assert np.allclose(one.proba, batched.proba, atol=1e-5)
    with OutputCache(tmp / "img.sqlite") as cache:
        predict_images(clf, x, batch_size=256, cache=cache)
        t0 = time.perf_counter()
        cached = predict_images(clf, x, batch_size=256, cache=cache)
        cached_s = time.perf_counter() - t0
    speedup = single_s / batch_s
    print(f"Images: {n} Fashion-MNIST test images, ONNX PCA + logistic regression")
    verdict = "PASS" if speedup >= TARGET_BATCH_SPEEDUP else "FAIL"
    print(f"  one per call {n / single_s:,.0f} images/s; batches of 256 {n / batch_s:,.0f} "
          f"images/s: {speedup:.1f}x  {verdict} (>= {TARGET_BATCH_SPEEDUP}x)")  # fmt: skip
    print(
        f"  cached re-run {n / cached_s:,.0f} images/s ({cached.cached} from cache; "
        "the image hashing and SQLite lookups dominate)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        bench_asr(16 if args.quick else 64, tmp)
        bench_images(500 if args.quick else 2000, tmp)


if __name__ == "__main__":
    main()
