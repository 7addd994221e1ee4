"""One Holm / Benjamini-Hochberg family over a safety run's comparison rows, and conclusions.

The red-team and QA runs build their logs from several audits (or keep some of an audit's
rows), so their tests are adjusted again here, together, as one family.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from equilens.stats import benjamini_hochberg, holm

__all__ = ["adjust_and_conclude"]


def adjust_and_conclude(
    rows: list[dict[str, Any]], alpha: float, gap: float, description: str
) -> dict[str, Any]:
    """Adjust every row with a test as one family; set ``conclusion`` from Holm.

    Rows whose status is not ``ok`` or that have no p-value stay out of the family and never
    read ``difference_detected``. A non-significant row whose minimum detectable difference
    (80% power) exceeds ``gap`` (an absolute difference of rates) is
    ``insufficient_evidence``. Returns the log's ``multiple_comparisons`` record.
    """
    fam = [r for r in rows if r["status"] == "ok" and r["p_value"] is not None]
    for r in rows:
        r["in_family"] = any(r is f for f in fam)
        r["p_holm"] = r["p_bh"] = None
    if fam:
        p = np.array([r["p_value"] for r in fam], dtype=np.float64)
        for r, ph, pb in zip(fam, holm(p), benjamini_hochberg(p), strict=True):
            r["p_holm"], r["p_bh"] = float(ph), float(pb)
    for r in rows:
        mdd = r.get("minimum_detectable_difference")
        if r["status"] == "undefined":
            r["conclusion"] = "undefined"
        elif not r["in_family"]:
            r["conclusion"] = "insufficient_evidence"
        elif r["p_holm"] < alpha:
            r["conclusion"] = "difference_detected"
        elif mdd is None or mdd > gap:
            r["conclusion"] = "insufficient_evidence"
            r["reason"] = (
                f"no difference detected, but the test could not reliably detect a gap of "
                f"{gap:g}" + (f" (minimum detectable difference {mdd:.3f})" if mdd else "")
            )
        else:
            r["conclusion"] = "no_difference_detected"
    return {
        "size": len(fam),
        "description": description,
        "methods": ["holm", "benjamini-hochberg"],
        "alpha": alpha,
        "conclusions_use": "p_holm",
        "underpowered_gap": gap,
    }
