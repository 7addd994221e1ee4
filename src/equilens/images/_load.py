"""Turning settings into an image audit's inputs: a classifier, an image array, a size.

Shared by ``equilens images`` and the ``images:`` section of an audit spec; ``names`` maps each
setting to how the caller spells it (``--onnx`` or ``images.onnx``) so errors name the option.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from equilens.exceptions import InvalidInputError, InvalidParameterError

__all__ = ["classifier_from", "parse_size", "read_image_array"]


def classifier_from(
    *, onnx: str | None, callable_: str | None, prediction: str | None, names: Mapping[str, str]
) -> Any:
    """The image classifier asked for (None for precomputed predictions); exactly one of
    ``onnx``, ``callable_`` and ``prediction`` must be given."""
    from equilens.adapters import CallableImageClassifier, OnnxImageClassifier, TorchImageClassifier

    if sum(bool(v) for v in (prediction, onnx, callable_)) != 1:
        shown = ", ".join(names[k] for k in ("prediction", "onnx", "callable"))
        raise InvalidParameterError(f"the image audit needs exactly one of {shown}")
    if onnx:
        return OnnxImageClassifier(onnx)
    if callable_:
        opt = names["callable"]
        module, sep, name = callable_.partition(":")
        if not sep or not module or not name:
            raise InvalidParameterError(f"{opt} expects MODULE:NAME, got '{callable_}'")
        try:
            obj = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as exc:
            raise InvalidParameterError(f"{opt} {callable_} cannot be loaded") from exc
        if hasattr(obj, "state_dict"):
            return TorchImageClassifier(obj, callable_)
        if not callable(obj):
            raise InvalidParameterError(f"{opt} {callable_} is not callable")
        return CallableImageClassifier(obj, callable_)
    return None


def parse_size(text: str | None, option: str) -> tuple[int, int] | None:
    """``HxW`` in pixels (``28x28``) as ``(H, W)``; None stays None."""
    if text is None:
        return None
    h, sep, w = text.lower().partition("x")
    if not (sep and h.isdigit() and w.isdigit() and int(h) > 0 and int(w) > 0):
        raise InvalidParameterError(f"{option} expects HxW in pixels (e.g. 28x28), got '{text}'")
    return int(h), int(w)


def read_image_array(path: str, option: str) -> Any:
    """A ``.npy`` file of ``(N, H, W[, C])`` images as float32 in [0, 1]."""
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise InvalidInputError(f"{option} {path} is not a readable .npy file") from exc
    if arr.ndim not in (3, 4) or arr.dtype.kind not in "uif" or arr.size == 0:
        raise InvalidInputError(
            f"{option} {path} must hold (N, H, W[, C]) numbers, got shape {arr.shape} {arr.dtype}"
        )
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / 255.0
    out = arr.astype(np.float32)
    if not np.all(np.isfinite(out)) or out.min() < 0 or out.max() > 1:
        raise InvalidInputError(f"{option} {path}: float images must be finite and in [0, 1]")
    return out
