"""Each group against its family's reference group: differences, ratios, tests, effect sizes.

Rates (proportions) use Newcombe's hybrid score interval for the difference, the log (Katz)
interval for the ratio, and a chi-square test (Fisher's exact test when an expected count is
below 5). ROC-AUC uses DeLong variances and a z-test. With ``interval_method="bootstrap"`` the
intervals come from the bootstrap draws instead. Weighted audits pass Kish effective counts.
All p-values of the audit form one family, adjusted by Holm and by Benjamini-Hochberg.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilens.audit._intervals import draw_interval
from equilens.audit._slice_metrics import Evaluated
from equilens.results._log import Comparison
from equilens.slicing._plan import SlicePlan
from equilens.stats._corrections import benjamini_hochberg, holm
from equilens.stats._intervals import (
    newcombe_difference_interval,
    normal_interval,
    ratio_interval,
)
from equilens.stats._power import _standardised_shift, minimum_detectable_difference
from equilens.stats._significance import cohens_h, odds_ratio, two_proportion_test, z_test

FloatArray = NDArray[np.float64]


def _f(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def comparison_rows(
    plan: SlicePlan,
    evaluated: Mapping[str, Evaluated],
    metric_names: Sequence[str],
    insufficient: NDArray[np.bool_],
    n: NDArray[np.int64],
    alpha: float,
    interval_method: str,
    underpowered_gap: float,
) -> tuple[list[Comparison], dict[str, Any]]:
    """Comparison rows for every family, metric and non-reference group, adjusted together."""
    raw: list[dict[str, Any]] = []
    for fam in plan.families:
        ref = fam.reference
        others = np.array([g for g in fam.members if g != ref], dtype=np.int64)
        if others.size == 0:
            continue
        for name in metric_names:
            if name not in evaluated:
                continue
            ev = evaluated[name]
            raw.extend(_family_metric(plan, fam.features, ev, others, ref, alpha, interval_method))
    for row in raw:
        g, r = row.pop("_g"), row.pop("_r")
        row["n"], row["n_reference"] = int(n[g]), int(n[r])
        row["_small"] = bool(insufficient[g] or insufficient[r])
    pvals = np.array([np.nan if r["p_value"] is None else r["p_value"] for r in raw])
    p_holm = holm(pvals) if raw else pvals
    p_bh = benjamini_hochberg(pvals) if raw else pvals
    out: list[Comparison] = []
    for row, ph, pb in zip(raw, p_holm, p_bh):
        small = row.pop("_small")
        row["p_holm"], row["p_bh"] = _f(ph), _f(pb)
        if row["status"] == "undefined":
            row["conclusion"] = "undefined"
        elif row["p_holm"] is not None and row["p_holm"] < alpha:
            row["conclusion"] = "difference_detected"
        elif small:
            row["conclusion"] = "insufficient_evidence"
        elif (mdd := row.get("minimum_detectable_difference")) is None or mdd > underpowered_gap:
            row["conclusion"] = "insufficient_evidence"
            row["reason"] = row["reason"] or (
                f"no difference detected, but the test could not reliably detect a gap of "
                f"{underpowered_gap:g}"
                + (f" (minimum detectable difference {mdd:.3f})" if mdd is not None else "")
            )
        else:
            row["conclusion"] = "no_difference_detected"
        if small and row["status"] == "ok":
            row["status"] = "insufficient_evidence"
            row["reason"] = "the group or its reference is below the minimum group size"
        out.append(Comparison(**row))
    family = {
        "size": int(np.isfinite(pvals).sum()),
        "description": "every group-vs-reference test of this audit (all metrics, all families)",
        "methods": ["holm", "benjamini-hochberg"],
        "alpha": alpha,
        "conclusions_use": "p_holm",
    }
    return out, family


def _family_metric(
    plan: SlicePlan,
    features: tuple[str, ...],
    ev: Evaluated,
    others: NDArray[np.int64],
    ref: int,
    alpha: float,
    interval_method: str,
) -> list[dict[str, Any]]:
    g, r = others, np.full(others.shape, ref)
    v1, v2 = ev.value[g], ev.value[r]
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = v1 - v2
        ratio = np.where(v2 != 0, v1 / np.where(v2 != 0, v2, 1.0), np.nan)
    nan = np.full(g.shape, np.nan)
    d_lo, d_hi, r_lo, r_hi = nan, nan, nan, nan
    stat, p, h, orat, mdd = nan, nan, nan, nan, nan
    tests = np.full(g.shape, "none", dtype=object)
    ci_method = "none"
    degenerate = np.zeros(g.shape, dtype=bool)
    degenerate_reason = ""
    if ev.successes is not None and ev.trials is not None:
        x1, n1 = ev.successes[g], ev.trials[g]
        x2, n2 = ev.successes[r], ev.trials[r]
        stat, p, tests = two_proportion_test(x1, n1, x2, n2)
        h = cohens_h(v1, v2)
        orat = odds_ratio(x1, n1, x2, n2)
        mdd = minimum_detectable_difference(v2, n1, n2, alpha=alpha)
        if interval_method != "bootstrap":
            d_lo, d_hi = newcombe_difference_interval(x1, n1, x2, n2, alpha)
            r_lo, r_hi = ratio_interval(x1, n1, x2, n2, alpha)
            ci_method = "newcombe (difference), log (ratio)"
    elif ev.variance is not None:
        var = ev.variance[g] + ev.variance[r]
        se = np.sqrt(var)
        degenerate = ~(np.isfinite(var) & (var > 0))
        with np.errstate(invalid="ignore"):
            stat, p = z_test(diff, np.where(degenerate, np.nan, se))
            # Power of the DeLong z-test: a true gap of c * se is detected with 80% power.
            mdd = np.where(degenerate, np.nan, _standardised_shift(alpha, 0.8) * se)
        tests = np.where(np.isfinite(p), "delong-z", "none").astype(object)
        if interval_method != "bootstrap" or ev.draws is None:
            d_lo, d_hi = normal_interval(diff, np.where(degenerate, np.nan, var), alpha)
            ci_method = "delong (difference)"
        degenerate_reason = (
            f"the DeLong variance of {ev.spec.name} is zero for the group and its reference "
            "(every positive outscores every negative, or one class is absent): no z-test "
            "or normal interval exists; see the bootstrap interval of each group's value"
        )
    if ci_method == "none" and ev.draws is not None:
        dd = ev.draws[:, g] - ev.draws[:, r]
        with np.errstate(divide="ignore", invalid="ignore"):
            rr = ev.draws[:, g] / ev.draws[:, r]
        rr = np.where(np.isfinite(rr), rr, np.nan)
        d_lo, d_hi, _ = draw_interval(dd, alpha)
        r_lo, r_hi, _ = draw_interval(rr, alpha)
        ci_method = "bootstrap-percentile"
    rows: list[dict[str, Any]] = []
    for k, gi in enumerate(g.tolist()):
        defined = bool(np.isfinite(v1[k]) and np.isfinite(v2[k]))
        reason = None
        if not defined:
            reason = (
                f"{ev.spec.name} is undefined for the group or its reference "
                f"({ev.spec.undefined_when})"
            )
        elif degenerate[k] and not np.isfinite(p[k]):
            reason = degenerate_reason
        rows.append(
            {
                "_g": gi,
                "_r": ref,
                "metric": ev.spec.name,
                "features": list(features),
                "slice": plan.slices[gi].mapping,
                "reference": plan.slices[ref].mapping,
                "value": _f(v1[k]),
                "reference_value": _f(v2[k]),
                "difference": _f(diff[k]),
                "difference_ci_low": _f(d_lo[k]) if defined else None,
                "difference_ci_high": _f(d_hi[k]) if defined else None,
                "ratio": _f(ratio[k]),
                "ratio_ci_low": _f(r_lo[k]) if defined else None,
                "ratio_ci_high": _f(r_hi[k]) if defined else None,
                "ci_method": ci_method if defined else "none",
                "test": str(tests[k]) if defined and np.isfinite(p[k]) else "none",
                "statistic": _f(stat[k]) if defined else None,
                "p_value": _f(p[k]) if defined else None,
                "cohens_h": _f(h[k]),
                "odds_ratio": _f(orat[k]),
                "minimum_detectable_difference": _f(mdd[k]),
                "status": "ok" if defined else "undefined",
                "reason": reason,
            }
        )
    return rows
