"""Counterfactual image perturbations as paired probes: same image, one condition changed.

Each image is classified as is and perturbed; a pair is one image, its "decision" is whether
the prediction is correct. Flips between correct and wrong are tested with McNemar's test
(the probes' paired statistics, :func:`equilens.probes.flip_stats`): a model that is robust
to the perturbation flips as often one way as the other, by chance. The perturbations' p
values are Holm-adjusted together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from equilens.exceptions import InvalidParameterError
from equilens.probes import flip_stats
from equilens.results import MediaSummary
from equilens.stats import holm

__all__ = ["PERTURBATIONS", "Perturbation", "parse_perturbation", "perturbation_probes"]

F32 = NDArray[np.float32]


@dataclass(frozen=True)
class Perturbation:
    """A named change of every image (``kind`` brightness, contrast or blur; ``amount``)."""

    kind: str
    amount: float

    @property
    def name(self) -> str:
        sign = "+" if self.kind == "brightness" and self.amount >= 0 else ""
        unit = {"brightness": "", "contrast": "x", "blur": "sigma="}[self.kind]
        return f"{self.kind} {unit}{sign}{self.amount:g}"

    def apply(self, images: F32) -> F32:
        if self.kind == "brightness":
            out = images + np.float32(self.amount)
        elif self.kind == "contrast":
            mean = images.reshape(len(images), -1).mean(axis=1)
            shape = (-1,) + (1,) * (images.ndim - 1)
            out = (images - mean.reshape(shape)) * np.float32(self.amount) + mean.reshape(shape)
        else:
            from scipy.ndimage import gaussian_filter

            sigma = (0, self.amount, self.amount) + ((0,) if images.ndim == 4 else ())
            out = gaussian_filter(images, sigma=sigma)
        clipped: F32 = np.clip(out, 0.0, 1.0).astype(np.float32)
        return clipped


#: Default perturbations: brighter, darker, flatter, blurrier.
PERTURBATIONS = (
    Perturbation("brightness", 0.25),
    Perturbation("brightness", -0.25),
    Perturbation("contrast", 0.5),
    Perturbation("blur", 1.0),
)


def parse_perturbation(text: str) -> Perturbation:
    """``brightness=0.3``, ``contrast=0.5`` or ``blur=1.5`` (one-line error otherwise)."""
    kind, sep, amount = text.partition("=")
    try:
        value = float(amount)
    except ValueError:
        value = float("nan")
    ok = sep and kind in ("brightness", "contrast", "blur") and np.isfinite(value)
    if not ok or (kind != "brightness" and value < 0):
        raise InvalidParameterError(
            f"--perturb expects brightness=DELTA, contrast=FACTOR or blur=SIGMA, got '{text}'"
        )
    return Perturbation(kind, value)


def perturbation_probes(
    predict: Callable[[F32], NDArray[np.float64]],
    images: F32,
    labels: NDArray[np.int64],
    original_correct: NDArray[np.bool_],
    perturbations: Sequence[Perturbation],
    alpha: float = 0.05,
) -> list[MediaSummary]:
    """Flip rate of correctness per perturbation, its interval and Holm-adjusted McNemar p."""
    stats = []
    for pert in perturbations:
        proba = predict(pert.apply(images))
        correct = proba.argmax(axis=1) == labels
        stats.append(
            (pert, correct, flip_stats(original_correct.astype(float), correct.astype(float),
                                       alpha=alpha))
        )  # fmt: skip
    p_raw = np.array([np.nan if s.p_value is None else s.p_value for _, _, s in stats])
    p_adj = holm(p_raw) if len(p_raw) else p_raw
    out = []
    for (pert, correct, s), p in zip(stats, p_adj, strict=True):
        out.append(
            MediaSummary(
                measure=f"perturbation: {pert.name}",
                value=s.rate,
                ci_low=s.ci_low,
                ci_high=s.ci_high,
                units=s.n,
                p_value_adjusted=None if np.isnan(p) else float(p),
                detail=(
                    f"accuracy {original_correct.mean():.3f} -> {correct.mean():.3f}; "
                    f"{s.down} became wrong, {s.up} became right ({s.test})"
                ),
            )
        )
    return out
