"""Triangulation: does an automatic metric track the human criterion it stands for, per slice?

For each (metric, criterion) pair and slice: Spearman's rho and Kendall's tau-b between the
metric's per-segment value and the item's mean human score (equal to
``scipy.stats.spearmanr`` / ``kendalltau``), with Fisher-z intervals using the Bonett & Wright
(2000) standard errors ``sqrt((1 + rho^2 / 2) / (n - 3))`` (Spearman) and
``sqrt(0.437 / (n - 4))`` (Kendall).

A slice is **flagged** when the metric would hide what the humans see:
* ``weak``: the upper bound of Spearman's rho is below 0.3 (the metric barely tracks humans);
* ``direction``: the group-versus-rest differences of metric and humans have opposite signs
  and the human one is significant (Holm, from the audit's comparison);
* ``missed``: the human difference is significant and the metric's is not.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

WEAK_RHO = 0.3


def _fisher(r: float, se: float, alpha: float = 0.05) -> tuple[float | None, float | None]:
    if not np.isfinite(r) or not np.isfinite(se) or abs(r) >= 1:
        return None, None
    z = np.arctanh(r)
    q = float(stats.norm.ppf(1 - alpha / 2))
    return float(np.tanh(z - q * se)), float(np.tanh(z + q * se))


def rank_correlations(x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Spearman and Kendall with Fisher-z (Bonett-Wright) intervals; None where undefined."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n = x.size
    out: dict[str, Any] = {"n_items": int(n)}
    if n < 5 or np.ptp(x) == 0 or np.ptp(y) == 0:
        out |= {
            "spearman": None,
            "spearman_ci": [None, None],
            "kendall": None,
            "kendall_ci": [None, None],
            "note": "undefined: fewer than 5 items or no spread",
        }
        return out
    rho = float(stats.spearmanr(x, y).statistic)
    tau = float(stats.kendalltau(x, y).statistic)
    out["spearman"] = rho
    out["spearman_ci"] = list(_fisher(rho, np.sqrt((1 + rho * rho / 2) / (n - 3))))
    out["kendall"] = tau
    out["kendall_ci"] = list(_fisher(tau, np.sqrt(0.437 / (n - 4))))
    return out


def flags(
    corr: dict[str, Any], metric_diff: dict[str, Any] | None, human_diff: dict[str, Any] | None
) -> list[str]:
    """Why this slice's metric and humans disagree (empty when they do not)."""
    out = []
    hi = corr.get("spearman_ci", [None, None])[1]
    if hi is not None and hi < WEAK_RHO:
        out.append("weak")
    if human_diff and human_diff.get("significant"):
        m_sig = bool(metric_diff and metric_diff.get("significant"))
        m_sign = np.sign(metric_diff["difference"]) if metric_diff else 0
        h_sign = np.sign(human_diff["difference"])
        if m_sign and h_sign and m_sign != h_sign:
            out.append("direction")
        elif not m_sig:
            out.append("missed")
    return out
