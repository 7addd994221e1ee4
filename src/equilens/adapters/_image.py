"""Image classifier adapters: a batch of images -> class probabilities, batched and cached.

An :class:`ImageClassifier` takes float32 images in [0, 1] shaped ``(N, H, W)`` (grey) or
``(N, H, W, C)`` and returns ``(N, K)`` class probabilities. Backends:

* :class:`OnnxImageClassifier`: an ONNX model run by onnxruntime. Its input is fed in the
  layout its declared rank asks for: rank 2 flattened ``(N, H*W*C)`` (e.g. scikit-learn
  models exported by skl2onnx), rank 4 ``(N, C, H, W)`` (PyTorch exports), rank 3 ``(N, H, W)``;
* :class:`TorchImageClassifier`: a ``torch.nn.Module`` (torchvision style: ``(N, C, H, W)``
  in, logits out; softmax applied) run under ``torch.no_grad`` in eval mode;
* :class:`CallableImageClassifier`: any ``f(images) -> probabilities`` (or logits).

Predictions that were made elsewhere skip this module: the image audit reads them from a
manifest column. :func:`predict_images` runs a model over images in batches through the
adapters' :class:`~equilens.adapters.OutputCache` (keyed by the model's fingerprint and each
image's content hash), with an optional progress callback.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from equilens.adapters._base import MissingDependencyError, ModelOutputError
from equilens.adapters._cache import OutputCache

__all__ = [
    "CallableImageClassifier",
    "ImageClassifier",
    "ImagePredictions",
    "OnnxImageClassifier",
    "TorchImageClassifier",
    "predict_images",
]

FloatArray = NDArray[np.float64]


@runtime_checkable
class ImageClassifier(Protocol):
    """Anything that maps a batch of images to class probabilities."""

    def predict_proba(self, images: NDArray[np.float32]) -> FloatArray:
        """``(N, K)`` probabilities of ``(N, H, W[, C])`` images in [0, 1]."""
        ...

    def fingerprint(self) -> dict[str, Any]:
        """What determines the output (model file hash, settings): the cache key."""
        ...


def _as_probabilities(out: Any, n: int) -> FloatArray:
    p = np.asarray(out, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] != n or p.shape[1] < 2 or not np.all(np.isfinite(p)):
        raise ModelOutputError(
            f"The image model returned shape {p.shape}; expected ({n}, K) finite scores, K >= 2"
        )
    if np.any(p < 0) or np.any(p > 1) or not np.allclose(p.sum(axis=1), 1.0, atol=1e-4):
        z = np.exp(p - p.max(axis=1, keepdims=True))  # logits: softmax
        p = z / z.sum(axis=1, keepdims=True)
    return p


def _file_hash(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()


class CallableImageClassifier:
    """``fn(images) -> (N, K)`` probabilities or logits; ``name`` identifies it in caches."""

    def __init__(self, fn: Callable[[NDArray[np.float32]], Any], name: str) -> None:
        self.fn = fn
        self.name = name

    def predict_proba(self, images: NDArray[np.float32]) -> FloatArray:
        return _as_probabilities(self.fn(images), len(images))

    def fingerprint(self) -> dict[str, Any]:
        return {"backend": "callable", "name": self.name}


class OnnxImageClassifier:
    """An ONNX image classifier (onnxruntime, CPU)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise MissingDependencyError(f"The ONNX model {self.path} does not exist (--onnx)")
        try:
            import onnxruntime as ort
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise MissingDependencyError(
                "ONNX image models need onnxruntime (pip install 'equilens[images]')"
            ) from exc
        try:
            self._session = ort.InferenceSession(str(self.path), providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own types for a bad file
            raise MissingDependencyError(
                f"Cannot load the ONNX model {self.path}: {type(exc).__name__}"
            ) from exc
        self._input = self._session.get_inputs()[0]
        self._hash = _file_hash(self.path)

    def _layout(self, images: NDArray[np.float32]) -> NDArray[np.float32]:
        rank = len(self._input.shape)
        x = images if images.ndim == 4 else images[..., None]
        if rank == 2:
            return x.reshape(len(x), -1)
        if rank == 4:
            return np.ascontiguousarray(x.transpose(0, 3, 1, 2))
        return x[..., 0]

    def predict_proba(self, images: NDArray[np.float32]) -> FloatArray:
        outs = self._session.run(None, {self._input.name: self._layout(images)})
        for out in outs:
            arr = np.asarray(out)
            if arr.ndim == 2 and arr.dtype.kind == "f" and arr.shape[0] == len(images):
                return _as_probabilities(arr, len(images))
        raise ModelOutputError(
            "The ONNX model has no (N, K) float output (export scikit-learn models with "
            "options={'zipmap': False})"
        )

    def fingerprint(self) -> dict[str, Any]:
        return {"backend": "onnx", "file": self.path.name, "blake2b": self._hash}


class TorchImageClassifier:
    """A PyTorch module: ``(N, C, H, W)`` float32 in, logits (or probabilities) out."""

    def __init__(self, module: Any, name: str) -> None:
        self.module = module
        self.name = name

    def predict_proba(self, images: NDArray[np.float32]) -> FloatArray:
        import torch

        x = images if images.ndim == 4 else images[..., None]
        self.module.eval()
        with torch.no_grad():
            out = self.module(torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))))
        return _as_probabilities(out.detach().cpu().numpy(), len(images))

    def fingerprint(self) -> dict[str, Any]:
        import torch

        h = hashlib.blake2b(digest_size=16)
        for key, value in sorted(self.module.state_dict().items()):
            h.update(key.encode())
            h.update(value.detach().cpu().numpy().tobytes())
        return {"backend": "torch", "name": self.name, "torch": torch.__version__,
                "weights": h.hexdigest()}  # fmt: skip


@dataclass
class ImagePredictions:
    """Class probabilities per image, and what the run cost."""

    proba: FloatArray
    cached: int
    model_seconds: float

    @property
    def images_per_second(self) -> float | None:
        ran = len(self.proba) - self.cached
        return ran / self.model_seconds if self.model_seconds > 0 and ran > 0 else None


def predict_images(
    model: ImageClassifier,
    images: NDArray[np.float32],
    *,
    batch_size: int = 256,
    cache: OutputCache | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImagePredictions:
    """Class probabilities of every image, batched, reading and filling the cache."""
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    n = len(images)
    keys = [hashlib.blake2b(img.tobytes(), digest_size=20).digest() for img in images]
    fp = model.fingerprint()
    namespace = OutputCache.namespace_for({"image_classifier": fp, "shape": images.shape[1:]})
    found: dict[bytes, Any] = {}
    if cache is not None:
        cache.register_namespace(namespace, {"image_classifier": fp})
        found = cache.get_many(namespace, keys)
    rows: list[FloatArray | None] = [
        np.asarray(found[k], dtype=np.float64) if k in found else None for k in keys
    ]
    todo = [i for i, r in enumerate(rows) if r is None]
    seconds = 0.0
    for start in range(0, len(todo), batch_size):
        idx = todo[start : start + batch_size]
        t0 = time.perf_counter()
        p = model.predict_proba(images[idx])
        seconds += time.perf_counter() - t0
        for j, i in enumerate(idx):
            rows[i] = p[j]
        if cache is not None:
            cache.put_many(namespace, [(keys[i], p[j].tolist()) for j, i in enumerate(idx)])
        if progress is not None:
            progress(n - len(todo) + start + len(idx), n)
    widths = {len(r) for r in rows if r is not None}
    if len(widths) != 1:
        raise ModelOutputError(f"The image model returned different class counts: {widths}")
    proba = np.vstack([r for r in rows if r is not None])
    return ImagePredictions(proba=proba, cached=n - len(todo), model_seconds=seconds)
