"""Multiple-comparison adjustment of p-values over one family of tests.

Both functions take the p-values of one family (a 1-D array, e.g. every comparison made in an
audit) and return adjusted p-values in the original order. NaN entries (tests that could not
be run) are left out of the family, so they neither count towards its size ``m`` nor affect
the other adjustments, and they stay NaN in the output.

References
----------
Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scandinavian
Journal of Statistics* 6(2), 65-70.

Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate: a practical and
powerful approach to multiple testing. *JRSS B* 57(1), 289-300.

Wright, S. P. (1992). Adjusted p-values for simultaneous inference. *Biometrics* 48(4),
1005-1013.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["benjamini_hochberg", "holm"]

FloatArray = NDArray[np.float64]


def _family(p: ArrayLike) -> tuple[FloatArray, NDArray[np.intp], FloatArray]:
    """Validate a family of p-values.

    Returns the float array, the indices of its non-NaN entries sorted by p-value, and the
    sorted non-NaN p-values.
    """
    arr = np.asarray(p, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"p must be a 1-D array (one family), got shape {arr.shape}")
    present = ~np.isnan(arr)
    if np.any((arr[present] < 0) | (arr[present] > 1)):
        raise ValueError("p-values must lie in [0, 1] (NaN marks tests that were not run)")
    idx = np.flatnonzero(present)
    order = idx[np.argsort(arr[idx], kind="stable")]
    return arr, order, arr[order]


def holm(p: ArrayLike) -> FloatArray:
    """Holm step-down adjusted p-values (family-wise error rate control).

    Parameters
    ----------
    p : array_like, 1-D
        Raw p-values of one family. NaN marks a test that was not run.

    Returns
    -------
    ndarray of float64
        Adjusted p-values in the input order: with the ``m`` non-NaN p-values sorted
        ascending, ``p_adj_(i) = min(1, max_{j <= i} (m - j + 1) p_(j))`` (Holm 1979; adjusted
        p-values as in Wright 1992). NaN entries stay NaN and do not count in ``m``.
        Equal to ``statsmodels.stats.multitest.multipletests(p, method="holm")[1]`` on the
        non-NaN entries.

    Raises
    ------
    ValueError
        If ``p`` is not 1-D or a non-NaN entry lies outside ``[0, 1]``.
    """
    arr, order, sorted_p = _family(p)
    m = sorted_p.size
    out = np.full(arr.shape, np.nan)
    if m == 0:
        return out
    raw = sorted_p * np.arange(m, 0, -1)
    adjusted = np.minimum(np.maximum.accumulate(raw), 1.0)
    out[order] = adjusted
    return out


def benjamini_hochberg(p: ArrayLike) -> FloatArray:
    """Benjamini-Hochberg step-up adjusted p-values (false discovery rate control).

    Parameters
    ----------
    p : array_like, 1-D
        Raw p-values of one family. NaN marks a test that was not run.

    Returns
    -------
    ndarray of float64
        Adjusted p-values ("q-values") in the input order: with the ``m`` non-NaN p-values
        sorted ascending, ``p_adj_(i) = min(1, min_{j >= i} p_(j) m / j)`` (Benjamini &
        Hochberg 1995). Rejecting where ``p_adj <= q`` controls the FDR at ``q`` for
        independent or positively dependent tests. NaN entries stay NaN and do not count in
        ``m``. Equal to ``multipletests(p, method="fdr_bh")[1]`` on the non-NaN entries.

    Raises
    ------
    ValueError
        If ``p`` is not 1-D or a non-NaN entry lies outside ``[0, 1]``.
    """
    arr, order, sorted_p = _family(p)
    m = sorted_p.size
    out = np.full(arr.shape, np.nan)
    if m == 0:
        return out
    raw = sorted_p / (np.arange(1, m + 1) / float(m))
    adjusted = np.minimum(np.minimum.accumulate(raw[::-1])[::-1], 1.0)
    out[order] = adjusted
    return out
