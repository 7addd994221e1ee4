"""Kamiran & Calders reweighing: weights that make the label independent of the group.

Kamiran, F. & Calders, T. (2012). Data preprocessing techniques for classification without
discrimination. *Knowledge and Information Systems* 33(1), 1-33.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilens.exceptions import InvalidInputError


def reweighing_weights(y_true: Any, groups: Any) -> NDArray[np.float64]:
    """Per-row weight ``P(g) P(y) / P(g, y)`` = ``n_g n_y / (n n_gy)``.

    Under these weights every group that has rows of every label takes the overall base
    rate and keeps its total weight (its weights sum to its row count).
    """
    y = np.asarray(y_true)
    g = np.asarray(groups).astype(str)
    if y.shape[0] != g.shape[0]:
        raise InvalidInputError(
            f"Found inputs with inconsistent numbers of rows: labels {y.shape[0]}, groups "
            f"{g.shape[0]}"
        )
    if y.shape[0] == 0:
        raise InvalidInputError("Reweighing needs at least one row")
    _, yc = np.unique(y, return_inverse=True)
    _, gc = np.unique(g, return_inverse=True)
    n_y = np.bincount(yc)
    n_g = np.bincount(gc)
    joint = np.zeros((n_g.size, n_y.size))
    np.add.at(joint, (gc, yc), 1.0)
    return np.asarray(n_g[gc] * n_y[yc] / (y.shape[0] * joint[gc, yc]), dtype=np.float64)
