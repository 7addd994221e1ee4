"""Shared last steps of a comparison: the family adjustment, conclusions and the headline."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from equilens._pvalue import fmt_p
from equilens.compare._model import DisparityChange, MetricChange
from equilens.stats import benjamini_hochberg, holm

#: Metrics tried, in order, for the performance half of the headline.
HEADLINE_METRICS = ("roc_auc_score", "balanced_accuracy_score", "accuracy_score")
#: Criterion of the disparity half of the headline.
HEADLINE_CRITERION = "demographic_parity_difference"

_NAMES = {
    "roc_auc_score": "ROC-AUC",
    "balanced_accuracy_score": "balanced accuracy",
    "accuracy_score": "accuracy",
}


def f(x: Any) -> float | None:
    """A finite float (from a Python or numpy number, or a 0-d array) or None."""
    if x is None:
        return None
    value = float(x)
    return value if math.isfinite(value) else None


#: Key of the private callable a raw row carries: ``alpha -> (lo, hi)``, the change's interval
#: at any level by the row's own method (popped by :func:`finish`).
ADJUST = "_interval_at"


def _conclude(row: dict[str, Any], alpha: float, gap: float) -> None:
    """The verdict of one row from its Holm p-value and its family-adjusted interval.

    ``no_change_detected`` needs the adjusted interval to contain 0 and to lie inside
    ``[-gap, gap]``: a change the comparison cannot bound below the practical-equivalence gap
    is ``insufficient_evidence``, never "no change".
    """
    lo, hi = row.get("adjusted_ci_low"), row.get("adjusted_ci_high")
    if row["status"] == "undefined" or row.get("change") is None:
        row["conclusion"] = "undefined"
        row["status"] = "undefined"
    elif row["status"] == "insufficient_evidence":
        row["conclusion"] = "insufficient_evidence"
    elif row["p_holm"] is not None and row["p_holm"] < alpha:
        row["conclusion"] = "change_detected"
    elif lo is None or hi is None or row["p_value"] is None:
        row["conclusion"] = "insufficient_evidence"
        row["reason"] = row.get("reason") or "no interval or test for the change"
    elif lo > 0 or hi < 0:
        row["conclusion"] = "insufficient_evidence"
        row["reason"] = row.get("reason") or (
            f"the adjusted interval [{lo:+.3f}, {hi:+.3f}] excludes 0 but the Holm-adjusted "
            f"test (p={fmt_p(row['p_holm'])}) does not reject: a change is likely but not shown"
        )
    elif lo < -gap or hi > gap:
        row["conclusion"] = "insufficient_evidence"
        row["reason"] = row.get("reason") or (
            f"no change detected, but the adjusted interval [{lo:+.3f}, {hi:+.3f}] cannot rule "
            f"out a change of {gap:.2f}"
        )
    else:
        row["conclusion"] = "no_change_detected"


def _adjust(row: dict[str, Any], level_alpha: float) -> None:
    """Fill the row's adjusted interval at ``level_alpha`` (None outside the family)."""
    at = row.pop(ADJUST, None)
    row["adjusted_ci_low"] = row["adjusted_ci_high"] = None
    row["adjusted_ci_level"] = row["adjusted_ci_method"] = None
    if at is None or row["p_holm"] is None:
        return
    lo, hi = at(level_alpha)
    row["adjusted_ci_low"], row["adjusted_ci_high"] = f(lo), f(hi)
    row["adjusted_ci_level"] = round(1.0 - level_alpha, 12)
    row["adjusted_ci_method"] = f"bonferroni ({row['ci_method']} at level 1 - alpha/m)"


def finish(
    metric_rows: list[dict[str, Any]],
    disparity_rows: list[dict[str, Any]],
    alpha: float,
    underpowered_gap: float,
) -> tuple[list[MetricChange], list[DisparityChange], dict[str, object]]:
    """Adjust every p-value of the comparison as one family; conclude; build the rows.

    A row whose status is not ``ok`` (too few rows, undefined) keeps its raw p-value but
    stays out of the family: no adjusted p-value, no adjusted interval, and its verdict is
    never ``change_detected``.
    """
    sizes = {}
    for name, rows in (("metrics", metric_rows), ("disparities", disparity_rows)):
        pvals = np.array(
            [np.nan if r["p_value"] is None or r["status"] != "ok" else r["p_value"] for r in rows]
        )
        p_holm = holm(pvals) if rows else pvals
        p_bh = benjamini_hochberg(pvals) if rows else pvals
        sizes[name] = int(np.isfinite(pvals).sum())
        level_alpha = alpha / max(sizes[name], 1)
        for row, ph, pb in zip(rows, p_holm, p_bh, strict=True):
            row["p_holm"], row["p_bh"] = f(ph), f(pb)
            _adjust(row, level_alpha)
            _conclude(row, alpha, underpowered_gap)
            if (
                row["conclusion"] != "change_detected"
                and row["p_value"] is not None
                and row["p_value"] < alpha
                and row.get("reason") is None
            ):
                row["reason"] = (
                    f"p={fmt_p(row['p_value'])} unadjusted, not significant after Holm "
                    f"adjustment over the {sizes[name]} tests of the {name} family"
                )
    for row in metric_rows:
        row["direction"] = None
        if row["conclusion"] == "change_detected":
            up = row["change"] > 0
            gib = row.get("greater_is_better")
            if gib is None:
                row["direction"] = "higher" if up else "lower"
            else:
                row["direction"] = "better" if up == gib else "worse"
    for row in disparity_rows:
        row["direction"] = None
        if row["conclusion"] == "change_detected":
            wider = row["change"] > 0 if row["statistic"] == "difference" else row["change"] < 0
            row["direction"] = "widened" if wider else "narrowed"
    family = {
        "families": {
            "metrics": "every metric change on every slice with a p-value",
            "disparities": "every fairness-criterion change with a p-value",
        },
        "sizes": sizes,
        "methods": ["holm", "benjamini-hochberg"],
        "conclusions_use": "holm",
        "intervals": "change_ci_low/high are unadjusted (level 1 - alpha) and agree with the "
        "raw p-value; adjusted_ci_low/high are Bonferroni intervals (level 1 - alpha / m, m "
        "the family's size), simultaneous over the family. change_detected needs the "
        "Holm-adjusted p below alpha; no_change_detected needs the adjusted interval to "
        "contain 0 and lie within +/- underpowered_gap; anything else is "
        "insufficient_evidence.",
        "excluded": "rows below the minimum group size or undefined keep their raw p-value "
        "but are not in the family",
        "alpha": round(alpha, 10),
    }
    return (
        [MetricChange(**r) for r in metric_rows],
        [DisparityChange(**r) for r in disparity_rows],
        family,
    )


def fmt_ci(lo: float | None, hi: float | None, signed: bool = False) -> str:
    """``[lo, hi]`` with three decimals, or ``[no interval]``."""
    if lo is None or hi is None:
        return "[no interval]"
    return f"[{lo:+.3f}, {hi:+.3f}]" if signed else f"[{lo:.3f}, {hi:.3f}]"


def _value(x: float | None) -> str:
    return "undefined" if x is None else f"{x:.3f}"


def headline(
    metrics: Sequence[MetricChange],
    disparities: Sequence[DisparityChange],
    base_label: str,
    candidate_label: str,
) -> list[str]:
    """The business framing: performance change, then each selection-rate gap's change."""
    lines: list[str] = []
    overall = {m.metric: m for m in metrics if not m.slice}
    for name in HEADLINE_METRICS:
        m = overall.get(name)
        if m is None or m.change is None:
            continue
        lines.append(
            f"{candidate_label} vs {base_label}: {_NAMES[name]} {_value(m.candidate)} vs "
            f"{_value(m.base)}, change {m.change:+.3f} "
            f"{fmt_ci(m.change_ci_low, m.change_ci_high, signed=True)} "
            f"({m.test}, p={fmt_p(m.p_value)}, Holm p={fmt_p(m.p_holm)})."
        )
        break
    for d in disparities:
        if d.criterion != HEADLINE_CRITERION or d.method != "between_groups":
            continue
        feats = " x ".join(d.features)
        if d.change is None:
            lines.append(f"Selection-rate gap by {feats}: undefined ({d.reason}).")
            continue
        if d.direction == "widened":
            verb = "widens from"
        elif d.direction == "narrowed":
            verb = "narrows from"
        else:
            verb = "goes from"
        lines.append(
            f"Selection-rate gap by {feats} (demographic parity difference) {verb} "
            f"{_value(d.base)} {fmt_ci(d.base_ci_low, d.base_ci_high)} to "
            f"{_value(d.candidate)} {fmt_ci(d.candidate_ci_low, d.candidate_ci_high)}: "
            f"{d.change:+.3f} {fmt_ci(d.change_ci_low, d.change_ci_high, signed=True)}, "
            f"Holm-adjusted p={fmt_p(d.p_holm)} ({d.conclusion.replace('_', ' ')})."
        )
    worse = [d for d in disparities if d.direction == "widened"]
    better = [d for d in disparities if d.direction == "narrowed"]
    lines.append(
        f"{len(worse)} disparity change(s) significantly wider and {len(better)} significantly "
        f"narrower (Holm-adjusted over the {sum(1 for r in disparities if r.p_value is not None)} "
        "criterion changes)."
    )
    return lines


def regressions(disparities: Sequence[DisparityChange]) -> list[str]:
    """One line per disparity that widened significantly (Holm)."""
    out = []
    for d in disparities:
        if d.direction == "widened":
            out.append(
                f"{d.criterion} ({d.method}) by {' x '.join(d.features)}: {_value(d.base)} -> "
                f"{_value(d.candidate)}, change {d.change:+.3f} "
                f"{fmt_ci(d.change_ci_low, d.change_ci_high, signed=True)}, "
                f"Holm p={fmt_p(d.p_holm)}"
            )
    return out
