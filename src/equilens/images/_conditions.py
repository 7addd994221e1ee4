"""Condition slices computed from the images: brightness, contrast, sharpness (blur) and size bands.

Each measure is cut at its tertiles into three named bands (``low``, ``mid``, ``high`` with
their ranges), so an audit by band shows where a classifier fails without any demographic
label: dark photos, flat low-contrast ones, blurry ones, small originals. The edges are data
quantiles of the audited images (recorded in the log), so bands hold about a third each; a
measure with too few distinct values gets no band.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from equilens.images._pixels import blur_variance

__all__ = ["CONDITIONS", "condition_bands", "condition_values"]

#: Condition measures and what they are.
CONDITIONS = {
    "brightness": "mean pixel intensity (0-1)",
    "contrast": "standard deviation of pixel intensity",
    "sharpness": "variance of the Laplacian (low = blurry)",
    "size": "pixels in the original file",
}


def condition_values(images: NDArray[np.float32], pixels: NDArray[np.int64]) -> pd.DataFrame:
    """The condition measures of each image."""
    flat = images.reshape(len(images), -1).astype(np.float64)
    return pd.DataFrame(
        {
            "brightness": flat.mean(axis=1),
            "contrast": flat.std(axis=1),
            "sharpness": blur_variance(images),
            "size": pixels.astype(np.float64),
        }
    )


def _label(lo: float, hi: float, name: str, last: bool) -> str:
    close = "]" if last else ")"
    return f"{name} [{lo:.3g}, {hi:.3g}{close}"


def condition_bands(values: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Tertile bands of each measure (columns ``<measure>_band``) and their edges."""
    bands: dict[str, Any] = {}
    edges: dict[str, Any] = {}
    for col in values.columns:
        x = values[col].to_numpy()
        q = np.quantile(x, [0.0, 1 / 3, 2 / 3, 1.0])
        if len(np.unique(q)) < 4:
            continue
        idx = np.clip(np.searchsorted(q[1:3], x, side="right"), 0, 2)
        names = [_label(q[i], q[i + 1], n, i == 2) for i, n in enumerate(("low", "mid", "high"))]
        bands[f"{col}_band"] = np.array(names, dtype=object)[idx]
        edges[col] = {"edges": [float(v) for v in q], "measure": CONDITIONS[col]}
    return pd.DataFrame(bands, index=values.index), edges
