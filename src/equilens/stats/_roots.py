"""Vectorised bisection: one boundary per element, found by halving a bracket."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

__all__ = ["bisect"]

#: Halvings: a bracket of width 1 shrinks below 1e-19, past float64 resolution.
STEPS = 64


def bisect(
    root_above: Callable[[FloatArray], NDArray[np.bool_]],
    low: FloatArray,
    high: FloatArray,
    steps: int = STEPS,
) -> FloatArray:
    """The point where ``root_above`` switches from True to False, element by element.

    ``root_above(x)`` is True where the boundary lies above ``x``; the bracket
    ``[low, high]`` must hold it. Returns the midpoint of the final bracket.
    """
    lo = np.array(low, dtype=np.float64)
    hi = np.array(high, dtype=np.float64)
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        up = root_above(mid)
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    return np.asarray(0.5 * (lo + hi), dtype=np.float64)
