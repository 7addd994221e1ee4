"""Unpaired comparison: two audit logs only, treated as independent samples.

Rates (proportions) are compared from their counts (value x effective n): Newcombe's hybrid
score interval for the difference and the chi-square test (Fisher's exact test for small
expected counts), as the audit compares groups. Every other metric and every fairness
criterion is compared from the two logs' intervals by MOVER (Zou & Donner 2008), with the
normal test that the interval implies.
"""

from __future__ import annotations

from typing import Any

from equilens.compare._finish import ADJUST, f
from equilens.compare._stats import mover_difference, widened
from equilens.metrics._spec import criteria
from equilens.metrics._spec import metrics as metric_registry
from equilens.results._log import AuditLog, Disparity, MetricResult
from equilens.stats._intervals import newcombe_difference_interval
from equilens.stats._significance import two_proportion_test

#: Metrics never compared: a count has no sampling error; the base rate does not depend on
#: the model; FNR and TNR are 1 - TPR and 1 - FPR (the same tests, counted twice).
SKIPPED_METRICS = ("count", "base_rate", "false_negative_rate", "true_negative_rate")
#: Criteria not compared because another one is the same statistic (the ratio of selection
#: rates; the gap in FNR equals the gap in TPR).
SKIPPED_CRITERIA = ("demographic_parity_ratio", "false_negative_rate_difference")


def _key(mapping: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(mapping.items()))


def _status(*statuses: str) -> str:
    if "undefined" in statuses:
        return "undefined"
    if "insufficient_evidence" in statuses:
        return "insufficient_evidence"
    return "ok"


def _metric_row(b: MetricResult, c: MetricResult, alpha: float) -> dict[str, Any]:
    spec = metric_registry.get(b.metric)
    status = _status(b.status, c.status)
    row: dict[str, Any] = {
        "metric": b.metric,
        "slice": b.slice,
        "n_base": b.n,
        "n_candidate": c.n,
        "base": b.value,
        "base_ci_low": b.ci_low,
        "base_ci_high": b.ci_high,
        "candidate": c.value,
        "candidate_ci_low": c.ci_low,
        "candidate_ci_high": c.ci_high,
        "change": None,
        "change_ci_low": None,
        "change_ci_high": None,
        "ci_method": "none",
        "test": "none",
        "statistic": None,
        "p_value": None,
        "greater_is_better": spec.greater_is_better,
        "status": status,
        "reason": None,
    }
    if b.value is None or c.value is None:
        row["reason"] = b.reason if b.value is None else c.reason
        return row
    row["change"] = c.value - b.value
    if status == "insufficient_evidence":
        small = b if b.status == "insufficient_evidence" else c
        row["reason"] = small.reason
    if spec.kind == "proportion" and b.effective_n and c.effective_n:
        nb, nc = b.effective_n, c.effective_n
        xb, xc = b.value * nb, c.value * nc
        lo, hi = newcombe_difference_interval(xc, nc, xb, nb, alpha)
        stat, p, name = two_proportion_test(xc, nc, xb, nb)
        row.update(
            change_ci_low=f(lo),
            change_ci_high=f(hi),
            ci_method="newcombe (independent samples)",
            test=str(name),
            statistic=f(stat),
            p_value=f(p),
        )
        row[ADJUST] = lambda a: newcombe_difference_interval(xc, nc, xb, nb, a)
        return row
    if not _mover_change(row, b, c, alpha, "intervals", "statistic"):
        row["reason"] = row["reason"] or "a log has no interval for this metric"
    return row


def _disparity_row(b: Disparity, c: Disparity, alpha: float) -> dict[str, Any]:
    statistic = criteria.get(b.criterion).statistic
    row: dict[str, Any] = {
        "criterion": b.criterion,
        "features": b.features,
        "method": b.method,
        "statistic": statistic,
        "base": b.value,
        "base_ci_low": b.ci_low,
        "base_ci_high": b.ci_high,
        "candidate": c.value,
        "candidate_ci_low": c.ci_low,
        "candidate_ci_high": c.ci_high,
        "change": None,
        "change_ci_low": None,
        "change_ci_high": None,
        "ci_method": "none",
        "test": "none",
        "statistic_value": None,
        "p_value": None,
        "base_groups": b.groups,
        "candidate_groups": c.groups,
        "excluded_groups": [
            *b.excluded_groups,
            *(g for g in c.excluded_groups if g not in b.excluded_groups),
        ],
        "status": _status(b.status, c.status),
        "reason": None,
    }
    if b.value is None or c.value is None:
        row["reason"] = b.reason if b.value is None else c.reason
        return row
    row["change"] = c.value - b.value
    if not _mover_change(row, b, c, alpha, "bootstrap intervals", "statistic_value"):
        row["reason"] = "a log has no interval for this criterion"
    return row


def _mover_change(
    row: dict[str, Any],
    b: MetricResult | Disparity,
    c: MetricResult | Disparity,
    alpha: float,
    intervals: str,
    statistic_key: str,
) -> bool:
    """Fill ``row``'s change interval and z-test by MOVER from the two logs' intervals.

    ``intervals`` names them in ``ci_method``; the test statistic goes under
    ``statistic_key``. False (``row`` untouched) when a log has no interval.
    """
    if b.ci_low is None or b.ci_high is None or c.ci_low is None or c.ci_high is None:
        return False
    assert b.value is not None and c.value is not None
    _, lo, hi, stat, p = mover_difference(
        c.value, c.ci_low, c.ci_high, b.value, b.ci_low, b.ci_high, alpha
    )
    row.update(
        {
            "change_ci_low": f(lo),
            "change_ci_high": f(hi),
            "ci_method": f"mover (independent samples, from the logs' {intervals})",
            "test": "z (implied by the mover interval)",
            statistic_key: f(stat),
            "p_value": f(p),
        }
    )
    diff = c.value - b.value
    row[ADJUST] = lambda a: widened(diff, float(lo), float(hi), alpha, a)
    return True


def unpaired_rows(
    base: AuditLog,
    candidate: AuditLog,
    *,
    metrics: list[str] | None,
    disparity_methods: tuple[str, ...],
    alpha: float,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Raw metric and disparity change rows of two logs (before the family adjustment)."""
    wanted = set(metrics) if metrics is not None else None
    cand = {(r.metric, _key(r.slice)): r for r in candidate.results}
    metric_rows = []
    for b in base.results:
        if b.metric in SKIPPED_METRICS or (wanted is not None and b.metric not in wanted):
            continue
        c = cand.get((b.metric, _key(b.slice)))
        if c is not None:
            metric_rows.append(_metric_row(b, c, alpha))
    cand_d = {(d.criterion, tuple(d.features), d.method): d for d in candidate.disparities}
    disparity_rows = []
    for bd in base.disparities:
        if bd.method not in disparity_methods or bd.criterion in SKIPPED_CRITERIA:
            continue
        cd = cand_d.get((bd.criterion, tuple(bd.features), bd.method))
        if cd is not None:
            disparity_rows.append(_disparity_row(bd, cd, alpha))
    return metric_rows, disparity_rows
