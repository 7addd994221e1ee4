"""Cohen's kappa (two raters, optionally weighted) and Fleiss' kappa (many raters).

Cohen's kappa has the large-sample (non-null) standard error of Fleiss, Cohen & Everitt
(1969), valid for weighted and unweighted kappa, and a normal interval clipped to [-1, 1].
Fleiss' kappa (1971) is a function of item totals (``P_i`` and the counts per category), so
its interval is the item bootstrap's BCa interval (the 1971 variance holds only under the
null of no agreement and is no basis for an interval).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from equilens.agreement._resample import BootstrapResult, FloatArray, unit_bootstrap
from equilens.exceptions import InvalidInputError, InvalidParameterError

Weights = Literal["linear", "quadratic"] | None


@dataclass(frozen=True)
class Estimate:
    """A coefficient with its interval and standard error."""

    value: float
    ci_low: float
    ci_high: float
    se: float
    method: str


def _weights(k: int, weights: str | None) -> FloatArray:
    """Agreement weights ``1 - distance`` over category indices (as scikit-learn's)."""
    i = np.arange(k, dtype=np.float64)
    diff = np.abs(i[:, None] - i[None, :])
    scale = max(k - 1, 1)
    if weights is None:
        return np.asarray(diff == 0, dtype=np.float64)
    if weights == "linear":
        return np.asarray(1.0 - diff / scale, dtype=np.float64)
    if weights == "quadratic":
        return np.asarray(1.0 - (diff / scale) ** 2, dtype=np.float64)
    raise InvalidParameterError(
        f"The 'weights' parameter of cohen_kappa must be None, 'linear' or 'quadratic'. "
        f"Got {weights!r} instead."
    )


def cohen_kappa(
    rater_a: ArrayLike,
    rater_b: ArrayLike,
    *,
    weights: Weights | str = None,
    labels: ArrayLike | None = None,
    alpha: float = 0.05,
) -> Estimate:
    """Cohen's kappa of two raters' labels on the same items, with a normal interval.

    ``labels`` fixes the ordered categories (default: the sorted values seen); weights
    ``"linear"`` / ``"quadratic"`` use the distance between category positions, as
    ``sklearn.metrics.cohen_kappa_score`` does. Pairs with a missing label are dropped.
    Returns NaN (no interval) when the expected agreement is perfect (one category only).
    """
    from scipy import stats

    a = np.asarray(rater_a, dtype=object)
    b = np.asarray(rater_b, dtype=object)
    if a.shape != b.shape or a.ndim != 1:
        raise InvalidInputError(
            f"Cohen's kappa needs two equally long label vectors; got {a.shape} and {b.shape}"
        )
    keep = np.array([x == x and x is not None for x in a]) & np.array(
        [x == x and x is not None for x in b]
    )
    a, b = a[keep], b[keep]
    if a.size < 2:
        raise InvalidInputError("Cohen's kappa needs at least two items rated by both raters")
    seen = sorted(set(a.tolist()) | set(b.tolist()))
    cats = list(np.asarray(labels, dtype=object)) if labels is not None else seen
    index = {c: i for i, c in enumerate(cats)}
    try:
        ia = np.array([index[x] for x in a])
        ib = np.array([index[x] for x in b])
    except KeyError as exc:
        raise InvalidInputError(f"Cohen's kappa: label {exc.args[0]!r} not in labels") from None
    k, n = len(cats), a.size
    p = np.bincount(ia * k + ib, minlength=k * k).reshape(k, k) / n
    w = _weights(k, weights)
    row, col = p.sum(axis=1), p.sum(axis=0)
    po = float(np.sum(w * p))
    pe = float(np.sum(w * np.outer(row, col)))
    if pe >= 1.0:
        return Estimate(float("nan"), float("nan"), float("nan"), float("nan"), "none")
    kappa = (po - pe) / (1.0 - pe)
    wi = w @ col  # mean weight of row category i
    wj = row @ w  # mean weight of column category j
    inner = w - (wi[:, None] + wj[None, :]) * (1.0 - kappa)
    var = (np.sum(p * inner * inner) - (kappa - pe * (1.0 - kappa)) ** 2) / (n * (1 - pe) ** 2)
    se = float(np.sqrt(max(var, 0.0)))
    z = float(stats.norm.ppf(1 - alpha / 2))
    if se == 0.0:
        return Estimate(kappa, float("nan"), float("nan"), 0.0, "none")
    return Estimate(
        kappa, max(-1.0, kappa - z * se), min(1.0, kappa + z * se), se, "fleiss_cohen_everitt"
    )


def fleiss_parts(counts: ArrayLike) -> tuple[FloatArray, object]:
    """Per-item numbers ``[1, P_i, n_i1..n_iK]`` for Fleiss' kappa and its totals function."""
    table = np.asarray(counts, dtype=np.float64)
    per_rater = table.sum(axis=1)
    if table.ndim != 2 or table.shape[0] < 2:
        raise InvalidInputError("Fleiss' kappa needs at least two items")
    if np.any(per_rater != per_rater[0]) or per_rater[0] < 2:
        raise InvalidInputError(
            "Fleiss' kappa needs the same number (at least 2) of ratings on every item"
        )
    m = per_rater[0]
    p_i = (np.sum(table * table, axis=1) - m) / (m * (m - 1))
    per_item = np.column_stack([np.ones(len(table)), p_i, table])

    def kappa(t: FloatArray) -> FloatArray:
        n_items = t[:, 0]
        p_bar = t[:, 1] / n_items
        p_j = t[:, 2:] / (n_items * m)[:, None]
        pe = np.sum(p_j * p_j, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = (p_bar - pe) / (1.0 - pe)
        return np.asarray(np.where(pe < 1.0, out, np.nan), dtype=np.float64)

    return per_item, kappa


def fleiss_kappa(
    counts: ArrayLike, *, draws: int = 1000, seed: int | None = 0, alpha: float = 0.05
) -> BootstrapResult:
    """Fleiss' kappa of an items x categories count table (equal ratings per item), BCa."""
    per_item, statistic = fleiss_parts(counts)
    return unit_bootstrap(
        per_item,
        statistic,  # type: ignore[arg-type]
        draws=draws,
        rng=np.random.default_rng(seed),
        alpha=alpha,
    )
