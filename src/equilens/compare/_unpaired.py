"""Unpaired comparison: two audit logs only, treated as independent samples.

Rates (proportions) are compared from their counts (value x effective n): Newcombe's hybrid
score interval for the difference and the chi-square test (Fisher's exact test for small
expected counts), as the audit compares groups. Every other metric and every fairness
criterion is compared from the two logs' intervals by MOVER (Zou & Donner 2008), with the
normal test that the interval implies.

Logs of the other tasks (multiclass, regression, measure, ranking) compare the same way, row
by row: a share with counts (``effective_n``) by Newcombe and chi-square / Fisher, and a
mean, a ratio of sums or any other metric by MOVER from the two rows' intervals. For the
symmetric t intervals of means MOVER adds the two half-widths in quadrature, t_b se_b and
t_c se_c, so each keeps its own t quantile: at least as wide as Welch's interval of the
difference, conservative at small n (simulated coverage 97.7% at 5 + 5 units, 96.3% at
10 + 10, 95.0% at 200 + 200; tests/readers/test_task_compare.py).

A ``to_reference`` criterion whose reference a log chose from its data (``most_favoured``)
gets the audit's Bonferroni over the candidate references
(:func:`equilens.audit._compare.reference_choice_correction`, every candidate counted, as the
row is about the whole family): the change interval at ``1 - alpha / c`` and ``p = min(1, c
p)``, with ``c`` the candidates' count, recomputed from each log (its family's groups of at
least ``min_group_size`` rows) and the larger of the two logs' counts used.
"""

from __future__ import annotations

from typing import Any

from equilens.audit import reference_choice_correction
from equilens.compare._finish import ADJUST, f
from equilens.compare._stats import mover_difference, widened
from equilens.metrics import criteria
from equilens.results import AuditLog, Disparity, MetricResult, base_name, task_metric_spec
from equilens.stats import newcombe_difference_interval, two_proportion_test

#: Metrics never compared: a count has no sampling error; the base rate does not depend on
#: the model; FNR and TNR are 1 - TPR and 1 - FPR (the same tests, counted twice).
SKIPPED_METRICS = ("count", "base_rate", "false_negative_rate", "true_negative_rate")
#: Criteria not compared because another one is the same statistic (the ratio of selection
#: rates; the gap in FNR equals the gap in TPR).
SKIPPED_CRITERIA = ("demographic_parity_ratio", "false_negative_rate_difference")


def _reference_candidates(log: AuditLog, features: list[str]) -> tuple[str, int]:
    """The log's reference rule for a family and how many groups a data-chosen reference was
    chosen among: groups of at least ``min_group_size`` rows (all non-empty groups if none is
    that large), as :func:`equilens.slicing._plan.build_plan` chose. ``(rule, 1)`` when the
    reference was fixed in advance or the family is not in the log."""
    fam = next((x for x in log.families if x.features == features), None)
    if fam is None or fam.reference_rule != "most_favoured":
        return (fam.reference_rule if fam is not None else "explicit"), 1
    given = log.spec_resolved.get("min_group_size", log.spec_given.get("min_group_size", 30))
    minimum = int(given) if isinstance(given, int | float) else 30
    n = {_key(r.slice): r.n for r in log.results}
    sizes = [n.get(_key(g), 0) for g in fam.groups]
    eligible = sum(s >= minimum for s in sizes) or sum(s > 0 for s in sizes)
    return fam.reference_rule, max(eligible, 1)


def _logged_factor(d: Disparity) -> int:
    """The Bonferroni factor the log's own interval already carries (1 for a log written
    before the audit corrected its to_reference intervals)."""
    return d.ci_level_divisor


def _key(mapping: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(mapping.items()))


def _status(*statuses: str) -> str:
    if "undefined" in statuses:
        return "undefined"
    if "insufficient_evidence" in statuses:
        return "insufficient_evidence"
    return "ok"


def _metric_row(
    b: MetricResult, c: MetricResult, alpha: float, task: str = "binary"
) -> dict[str, Any]:
    # Logs of other tasks name rows ``base[param=value]`` after their own registries; a
    # metric no installed registry knows is compared from its intervals (MOVER).
    spec = task_metric_spec(b.metric, task)
    kind = spec.kind if spec is not None else None
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
        "greater_is_better": spec.greater_is_better if spec is not None else None,
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
    if kind == "proportion" and b.effective_n and c.effective_n:
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


def _disparity_row(
    b: Disparity, c: Disparity, alpha: float, correction: tuple[int, str | None] = (1, None)
) -> dict[str, Any]:
    name = base_name(b.criterion)  # per-class criteria: ``..._difference[class=7]``
    statistic = (
        criteria.get(name).statistic
        if name in criteria
        else ("ratio" if name.endswith("_ratio") else "difference")
    )
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
        "reference_correction": None,
    }
    if b.value is None or c.value is None:
        row["reason"] = b.reason if b.value is None else c.reason
        return row
    row["change"] = c.value - b.value
    scale, text = correction
    if not _mover_change(row, b, c, alpha, "criterion intervals", "statistic_value", scale):
        row["reason"] = "a log has no interval for this criterion"
    elif scale > 1 and row["p_value"] is not None:
        row["p_value"] = min(1.0, row["p_value"] * scale)
        row["reference_correction"] = text
        row["ci_method"] += f", level 1 - alpha/{scale} ({text})"
    return row


def _mover_change(
    row: dict[str, Any],
    b: MetricResult | Disparity,
    c: MetricResult | Disparity,
    alpha: float,
    intervals: str,
    statistic_key: str,
    scale: int = 1,
) -> bool:
    """Fill ``row``'s change interval and z-test by MOVER from the two logs' intervals.

    ``intervals`` names them in ``ci_method``; the test statistic goes under
    ``statistic_key``. False (``row`` untouched) when a log has no interval. With ``scale``
    > 1 (a reference chosen from the data) both intervals are taken at level
    ``1 - alpha / scale`` (a log's interval at another level is rescaled with
    :func:`widened`), so the change interval is at that level and the raw p-value is the
    one ``min(1, scale p)`` corrects.
    """
    if b.ci_low is None or b.ci_high is None or c.ci_low is None or c.ci_high is None:
        return False
    assert b.value is not None and c.value is not None
    bounds = []
    for x in (c, b):
        assert x.value is not None and x.ci_low is not None and x.ci_high is not None
        lo_x, hi_x = x.ci_low, x.ci_high
        logged = _logged_factor(x) if isinstance(x, Disparity) else 1
        if logged != scale:
            lo_x, hi_x = widened(x.value, lo_x, hi_x, alpha / logged, alpha / scale)
        bounds.append((x.value, lo_x, hi_x))
    (vc, lc, hc), (vb, lb, hb) = bounds
    alpha = alpha / scale
    _, lo, hi, stat, p = mover_difference(vc, lc, hc, vb, lb, hb, alpha)
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
    row[ADJUST] = lambda a: widened(diff, float(lo), float(hi), alpha, a / scale)
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
        # A name without parameters selects every row of it (``recall_score``: every class).
        chosen = wanted is None or b.metric in wanted or base_name(b.metric) in wanted
        if b.metric in SKIPPED_METRICS or not chosen:
            continue
        c = cand.get((b.metric, _key(b.slice)))
        if c is not None:
            metric_rows.append(_metric_row(b, c, alpha, base.task))
    cand_d = {(d.criterion, tuple(d.features), d.method): d for d in candidate.disparities}
    disparity_rows = []
    for bd in base.disparities:
        if bd.method not in disparity_methods or base_name(bd.criterion) in SKIPPED_CRITERIA:
            continue
        cd = cand_d.get((bd.criterion, tuple(bd.features), bd.method))
        if cd is None:
            continue
        correction: tuple[int, str | None] = (1, None)
        if bd.method == "to_reference":
            (rule_b, n_b), (rule_c, n_c) = (
                _reference_candidates(log, bd.features) for log in (base, candidate)
            )
            rule = "most_favoured" if "most_favoured" in (rule_b, rule_c) else rule_b
            correction = reference_choice_correction(rule, max(n_b, n_c), one_group=False)
        disparity_rows.append(_disparity_row(bd, cd, alpha, correction))
    return metric_rows, disparity_rows
