"""Result rows and the audit's standing warnings, shared by every task."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from equilens.metrics import Evaluated
from equilens.results import MetricResult
from equilens.slicing import SlicePlan


def result_rows(
    plan: SlicePlan,
    n: np.ndarray[Any, np.dtype[np.int64]],
    evaluated: Sequence[Evaluated],
    insufficient: np.ndarray[Any, np.dtype[np.bool_]],
    weighted: bool,
) -> list[MetricResult]:
    """One row per metric and slice: value, interval, status and reason."""
    rows: list[MetricResult] = []
    for ev in evaluated:
        for s, sl in enumerate(plan.slices):
            value = float(ev.value[s])
            defined = bool(np.isfinite(value))
            lo, hi = float(ev.lo[s]), float(ev.hi[s])
            has_ci = defined and np.isfinite(lo) and np.isfinite(hi)
            if not defined:
                status, reason = "undefined", ev.spec.undefined_when
            elif insufficient[s]:
                status = "insufficient_evidence"
                reason = f"{int(n[s])} rows, below the minimum group size"
            else:
                status, reason = "ok", None
            if defined and not has_ci and reason is None:
                reason = ev.no_ci_reason or "the interval is undefined for this slice"
            rows.append(
                MetricResult(
                    metric=ev.spec.name,
                    slice=sl.mapping,
                    n=int(n[s]),
                    value=value if defined else None,
                    ci_low=lo if has_ci else None,
                    ci_high=hi if has_ci else None,
                    ci_method=str(ev.method[s]) if has_ci else "none",
                    status=status,  # type: ignore[arg-type]
                    reason=reason,
                    weighted_n=float(ev.weight_total[s])
                    if weighted and ev.weight_total is not None
                    else None,
                    effective_n=float(ev.trials[s]) if ev.trials is not None else None,
                    undefined_draws=float(ev.undefined_draws[s])
                    if ev.undefined_draws is not None and has_ci
                    else None,
                    error_bound=float(ev.error_bound[s])
                    if ev.error_bound is not None and np.isfinite(ev.error_bound[s])
                    else None,
                )
            )
    return rows


def standing_warnings(
    plan: SlicePlan,
    n: np.ndarray[Any, np.dtype[np.int64]],
    min_group_size: int,
    weighted: bool,
    bootstrap: int,
) -> list[str]:
    """Warnings every audit carries: small groups, weights, bootstrap, between-groups bias."""
    out: list[str] = []
    small = [plan.slices[i].label() for i in range(1, plan.n_slices) if n[i] < min_group_size]
    if small:
        shown = "; ".join(small[:8]) + (f"; and {len(small) - 8} more" if len(small) > 8 else "")
        out.append(
            f"{len(small)} group(s) have fewer than {min_group_size} rows and are reported as "
            f"insufficient_evidence: {shown}"
        )
    if weighted:
        out.append(
            "Weighted audit: intervals and tests use Kish effective sample sizes; the bootstrap "
            "resamples rows and draws their total weight with the variance of the weights."
        )
    if bootstrap == 0:
        out.append("Bootstrap disabled: metrics without a closed-form interval show none.")
    out.append(
        "Between-groups differences (largest minus smallest group) are biased upward when "
        "groups are small; read them with their intervals (simultaneous over the groups, so "
        "they reach parity when the data cannot rule it out)."
    )
    return out
