"""Always-valid alarms for a group's rate: a Shiryaev-Roberts e-detector with a beta mixture.

One *stream* is one rate of one group (e.g. the false positive rate of ``sex=F``): at look i the
batch contributes ``x_i`` successes out of ``n_i`` trials (for the FPR: negatives predicted
positive, out of negatives). The question at every look is whether the rate has moved away from
the reference rate since some earlier look.

The null is composite: ``p in [low, high]``, the reference's Clopper-Pearson interval (at level
``1 - alpha_s / 2``) widened by an optional tolerance. That accounts for the reference itself
being an estimate; a plug-in null ``p = p_ref`` would alarm eventually on any stream long enough
to see the reference's own sampling error.

For a window of looks ``k+1 .. n`` with totals ``X`` and ``N`` the evidence is the mixture
likelihood ratio (Robbins 1970; Johari et al. 2017 use the normal analogue, the mSPRT)::

    M_{k,n} = int p^X (1-p)^(N-X) dBeta(p; a, b) / max_{q in [low, high]} q^X (1-q)^(N-X)
            = B(a + X, b + N - X) / B(a, b) / max_q ...

For any true ``p`` in the null interval ``M_{k,n}`` is at most the likelihood-ratio martingale
against that ``p`` (a nonnegative martingale in n, started at 1 at n = k). The detector sums over
start points (Shiryaev 1963; Roberts 1966): ``R_n = sum_{k<n} M_{k,n}``. Then ``R_n - n`` is a
martingale under the null, ``R_n`` a nonnegative submartingale with mean ``n``, and Doob's maximal
inequality gives ``P(max_{n <= T} R_n >= A) <= T / A``. With ``A = 2 T / alpha_s``, the stream's
chance of any false alarm within the horizon of T looks is at most ``alpha_s / 2`` (detector)
``+ alpha_s / 2`` (reference interval) ``= alpha_s``; Bonferroni over the monitor's m streams
(``alpha_s = alpha / m``) bounds the family-wise false alarm probability by ``alpha``. See
``docs/monitoring.md`` for the argument and references.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special, stats

FloatArray = NDArray[np.float64]

__all__ = [
    "RateNull",
    "clopper_pearson",
    "log_mixture_ratio",
    "log_sr_path",
    "wilson_interval",
]


def clopper_pearson(x: float, n: float, alpha: float) -> tuple[float, float]:
    """Exact (Clopper-Pearson) two-sided ``1 - alpha`` interval for a binomial proportion."""
    if n <= 0:
        return 0.0, 1.0
    lo = 0.0 if x <= 0 else float(stats.beta.ppf(alpha / 2, x, n - x + 1))
    hi = 1.0 if x >= n else float(stats.beta.ppf(1 - alpha / 2, x + 1, n - x))
    return lo, hi


def wilson_interval(x: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion (``(nan, nan)`` when ``n`` is 0)."""
    if n <= 0:
        return math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p = x / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class RateNull:
    """The null interval, mixing prior and threshold of one stream (fixed at ``init``).

    Attributes
    ----------
    low, high : float
        The null interval for the stream's rate.
    prior_a, prior_b : float
        Beta mixing distribution over the alternative rates.
    log_threshold : float
        ``log A``; the detector alarms when ``log R_n >= log A``.
    """

    low: float
    high: float
    prior_a: float
    prior_b: float
    log_threshold: float

    @classmethod
    def from_reference(
        cls,
        x_ref: float,
        n_ref: float,
        *,
        alpha_stream: float,
        horizon: int,
        min_shift: float,
        tolerance: float = 0.0,
    ) -> RateNull:
        """Build the null of a stream from the reference counts.

        Parameters
        ----------
        x_ref, n_ref : float
            Reference successes and trials (``n_ref > 0``).
        alpha_stream : float
            This stream's share of the family-wise false alarm probability.
        horizon : int
            Looks covered by the guarantee (T).
        min_shift : float
            Shift of interest; the beta prior is centred on the reference rate with this
            standard deviation, which is where the detector is most powerful.
        tolerance : float
            Widening of the null interval on both sides (shifts within it are not alarms).
        """
        lo, hi = clopper_pearson(x_ref, n_ref, alpha_stream / 2)
        lo, hi = max(0.0, lo - tolerance), min(1.0, hi + tolerance)
        p = min(max(x_ref / n_ref, 1e-3), 1 - 1e-3)
        kappa = max(p * (1 - p) / (min_shift * min_shift) - 1.0, 1.0)
        return cls(
            low=lo,
            high=hi,
            prior_a=kappa * p,
            prior_b=kappa * (1 - p),
            log_threshold=math.log(2.0 * horizon / alpha_stream),
        )


def log_mixture_ratio(x: FloatArray, n: FloatArray, null: RateNull) -> FloatArray:
    """``log M`` for windows with ``x`` successes out of ``n`` trials (0 where ``n`` is 0)."""
    x = np.asarray(x, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    a, b = null.prior_a, null.prior_b
    safe_n = np.where(n > 0, n, 1.0)
    q = np.clip(x / safe_n, null.low, null.high)
    log_null = special.xlogy(x, q) + special.xlog1py(n - x, -q)
    log_alt = special.betaln(a + x, b + n - x) - special.betaln(a, b)
    out: FloatArray = np.where(n > 0, log_alt - log_null, 0.0)
    return out


def log_sr_path(
    x: FloatArray, n: FloatArray, null: RateNull
) -> tuple[FloatArray, NDArray[np.int64]]:
    """The detector after every look: ``log R_t`` and the most telling window's start.

    Parameters
    ----------
    x, n : array of shape (T,)
        Per-look successes and trials of the stream.
    null : RateNull

    Returns
    -------
    log_r : array of shape (T,)
        ``log R_t = log sum_{k < t} M_{k,t}`` after look t (1-based t = index + 1).
    start : array of int, shape (T,)
        The 0-based look index where the window with the largest ``M_{k,t}`` starts.
    """
    x = np.asarray(x, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    t = x.shape[0]
    if t == 0:
        return np.empty(0, dtype=np.float64), np.empty(0, dtype=np.int64)
    cx = np.concatenate([[0.0], np.cumsum(x)])
    cn = np.concatenate([[0.0], np.cumsum(n)])
    # windows (k, t): looks k+1 .. t, for 0 <= k < t <= T; row = t - 1, column = k
    ends = np.arange(1, t + 1)[:, None]
    starts = np.arange(t)[None, :]
    valid = starts < ends
    wx = np.where(valid, cx[ends] - cx[starts], 0.0)
    wn = np.where(valid, cn[ends] - cn[starts], 0.0)
    lm = log_mixture_ratio(wx, wn, null)
    lm = np.where(valid, lm, -np.inf)
    top = lm.max(axis=1, keepdims=True)
    log_r: FloatArray = np.log(np.exp(lm - top).sum(axis=1)) + top[:, 0]
    start: NDArray[np.int64] = np.argmax(lm, axis=1).astype(np.int64)
    return log_r, start
