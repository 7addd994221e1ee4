"""One audit log from several ``measure`` audits of the same units: one Holm / BH family.

Each toxicity metric is the mean of its own per-prompt value (the maximum, the 0/1 "any
continuation >= 0.5", the mean), so each is one ``measure`` audit of the same prompts. Their
logs are joined here: result and comparison rows side by side, and the p-values of every
comparison in any of the families adjusted again together (Holm for the conclusions, BH beside
it), as if one audit had tested all metrics.

A joined family is larger, so an adjusted p-value can only grow: a comparison that was
``difference_detected`` in its own family and is not in the joint one is concluded again with
the audit's rule (for means the minimum detectable difference in standard deviations against
``underpowered_gap``, the pooled SD read back from Hedges' g; for shares the absolute one).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from equilens.results import AuditLog, Comparison
from equilens.stats import benjamini_hochberg, holm

__all__ = ["combine_logs"]


def _reconclude(row: Comparison, alpha: float, gap: float) -> dict[str, Any]:
    if row.p_holm is not None and row.p_holm < alpha:
        return {"conclusion": "difference_detected"}
    mdd, g, diff = row.minimum_detectable_difference, row.effect_size, row.difference
    n = row.n + row.n_reference
    mdd_sd = math.nan
    if mdd is not None and g and diff is not None and row.effect_size_name == "hedges_g":
        j = 1.0 - 3.0 / (4.0 * n - 9.0)
        pooled = abs(diff * j / g)
        mdd_sd = mdd / pooled if pooled > 0 else math.nan
    if row.effect_size_name != "hedges_g":
        # Shares (two-proportion test): the gap is absolute, as in the audit.
        mdd_sd = mdd if mdd is not None else math.nan
    if math.isfinite(mdd_sd) and mdd_sd <= gap:
        return {"conclusion": "no_difference_detected"}
    unit = " standard deviations" if row.effect_size_name == "hedges_g" else ""
    reason = (
        f"no difference detected in the joint family, but the test could not reliably detect "
        f"a gap of {gap:g}{unit}"
    )
    return {"conclusion": "insufficient_evidence", "reason": row.reason or reason}


def combine_logs(logs: Sequence[AuditLog], *, alpha: float, underpowered_gap: float) -> AuditLog:
    """The first log with every log's rows, warnings and one joint comparison family."""
    first = logs[0]
    comparisons = [c for log in logs for c in log.comparisons]
    idx = [i for i, c in enumerate(comparisons) if c.in_family and c.p_value is not None]
    p = np.array([comparisons[i].p_value for i in idx], dtype=np.float64)
    if idx:
        for i, ph, pb in zip(idx, holm(p), benjamini_hochberg(p), strict=True):
            row = comparisons[i].model_copy(update={"p_holm": float(ph), "p_bh": float(pb)})
            if row.conclusion == "difference_detected":
                row = row.model_copy(update=_reconclude(row, alpha, underpowered_gap))
            comparisons[i] = row
    family = dict(first.multiple_comparisons)
    family["size"] = len(idx)
    family["description"] = (
        "every group-vs-reference test of the toxicity audit (expected maximum toxicity, "
        "toxicity probability and mean toxicity, all families), adjusted together; rows below "
        "the minimum evidence are not counted"
    )
    for key in ("excluded_below_minimum_evidence", "derived_not_counted"):
        family[key] = sum(int(log.multiple_comparisons.get(key, 0)) for log in logs)
    warnings = list(dict.fromkeys(w for log in logs for w in log.warnings))
    metrics = [r.metric for log in logs for r in log.results if not r.slice]
    resolved = dict(first.spec_resolved)
    resolved["metrics"] = metrics
    return first.model_copy(
        update={
            "results": [r for log in logs for r in log.results],
            "disparities": [d for log in logs for d in log.disparities],
            "comparisons": comparisons,
            "multiple_comparisons": family,
            "warnings": warnings,
            "spec_resolved": resolved,
        }
    )
