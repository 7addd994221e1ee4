"""How many units (speakers, or sentences of a synthetic voice) detect a given WER gap.

A group's WER is a ratio of sums; its standard error is that of the mean of the per-unit
linearised values ``z_u = (errors_u - WER * words_u) / mean(words)`` over the ``K`` units
(speakers with real audio: their utterances are one unit; a synthetic voice's sentences). So
the plan needs one number from a pilot: the standard deviation of ``z_u``
(:func:`unit_sd`), which already contains the design effect of several utterances per unit.
Comparing two groups of ``K`` units each is then a two-sample t test with effect size
``gap / sd``; :func:`units_for_gap` solves the noncentral-t power equation for ``K``
(Bonferroni over ``comparisons``: conservative for Holm, whose first step it equals).

Groups rarely share one SD: in the accent demo the reference voice's per-sentence SD is 0.20
and a voice on which Whisper sometimes loops has 0.9. With ``reference_sd`` the plan is
Welch's test of the two groups (standard error ``sqrt((sd**2 + reference_sd**2) / K)``,
Welch-Satterthwaite degrees of freedom), so each comparison gets its own answer instead of
one answer from a pooled or median SD.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from equilens.exceptions import InvalidParameterError

__all__ = ["design_effect", "unit_sd", "units_for_gap"]


def _unit_totals(
    errors: ArrayLike, words: ArrayLike, unit: ArrayLike | None
) -> tuple[np.ndarray, np.ndarray]:
    e = np.asarray(errors, dtype=np.float64)
    w = np.asarray(words, dtype=np.float64)
    if unit is None:
        return e, w
    _, idx = np.unique(np.asarray(unit), return_inverse=True)
    return np.bincount(idx, weights=e), np.bincount(idx, weights=w)


def unit_sd(errors: ArrayLike, words: ArrayLike, unit: ArrayLike | None = None) -> float:
    """Standard deviation of the linearised WER per unit (``unit`` None: per utterance)."""
    e, w = _unit_totals(errors, words, unit)
    if e.size < 2 or w.sum() <= 0:
        raise InvalidParameterError("A pilot needs at least two units with reference words")
    ratio = e.sum() / w.sum()
    return float(np.std((e - ratio * w) / w.mean(), ddof=1))


def design_effect(errors: ArrayLike, words: ArrayLike, unit: ArrayLike) -> float:
    """Variance of the WER with ``unit`` clusters over its variance if utterances were iid."""
    e, w = np.asarray(errors, dtype=np.float64), np.asarray(words, dtype=np.float64)
    k = len(np.unique(np.asarray(unit)))
    clustered = unit_sd(e, w, unit) ** 2 / k
    iid = unit_sd(e, w) ** 2 / e.size
    return float(clustered / iid)


def units_for_gap(
    gap: float,
    sd: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    comparisons: int = 1,
    max_units: int = 1_000_000,
    reference_sd: float | None = None,
) -> int:
    """Smallest ``K`` units per group giving ``power`` to detect ``gap`` (two-sided t test).

    ``sd`` is the group's per-unit SD; ``reference_sd`` the reference group's (default: the
    same, i.e. the pooled two-sample t test; otherwise Welch's test).
    """
    ref = sd if reference_sd is None else reference_sd
    if not (
        gap > 0 and sd > 0 and ref > 0 and 0 < alpha < 1 and 0 < power < 1 and comparisons >= 1
    ):
        raise InvalidParameterError(
            "units_for_gap needs gap > 0, sd > 0, reference_sd > 0, 0 < alpha < 1, "
            "0 < power < 1, comparisons >= 1"
        )
    level = alpha / comparisons
    v1, v2 = sd**2, ref**2

    def achieved(k: int) -> float:
        # Welch-Satterthwaite with equal group sizes; 2k - 2 when the SDs are equal.
        df = (k - 1) * (v1 + v2) ** 2 / (v1**2 + v2**2)
        crit = stats.t.ppf(1 - level / 2, df)
        nc = gap / np.sqrt((v1 + v2) / k)
        return float(stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc))

    lo, hi = 2, 2
    while achieved(hi) < power:
        lo, hi = hi, hi * 2
        if hi > max_units:
            raise InvalidParameterError(f"More than {max_units} units would be needed")
    while lo < hi:
        mid = (lo + hi) // 2
        if achieved(mid) >= power:
            hi = mid
        else:
            lo = mid + 1
    return hi
