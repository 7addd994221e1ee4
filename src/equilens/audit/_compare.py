"""Each group against its family's reference group: differences, ratios, tests, effect sizes.

Rates (proportions) use Newcombe's hybrid score interval for the difference, the log (Katz)
interval for the ratio, and a chi-square test (Fisher's exact test when an expected count is
below 5). ROC-AUC uses a score-type z-test with the variance under the null from the pooled
histograms and a skewness correction (:func:`~equilens.metrics._scores.auc_difference_test`),
and the MOVER difference of the two groups' Newcombe score intervals. With
``interval_method="bootstrap"`` the rate intervals come from the bootstrap draws instead.
Weighted audits pass Kish effective counts.

The family adjusted by Holm and Benjamini-Hochberg (``docs/design/0003-comparison-family.md``):

* a comparison below the minimum evidence (either group under ``min_group_size`` rows; for
  ROC-AUC also under ``min_class_count`` positives or negatives) gets no p-value, stays out
  of the family and concludes ``insufficient_evidence``;
* a comparison that repeats another's test (FNR is 1 - TPR on the same rows: one 2x2 table)
  is shown as derived from it, with its p-values, and is not counted again;
* when the reference is chosen from the data (``most_favoured``), each p-value is multiplied
  by the number of groups that could have been the reference (Bonferroni over the candidate
  references), which is valid whichever group the rule picks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilens.audit._intervals import draw_interval
from equilens.metrics._evaluated import Evaluated
from equilens.metrics._scores import auc_difference_test
from equilens.metrics._spec import MetricSpec
from equilens.results._log import Comparison, RankTest
from equilens.slicing._plan import Family, SlicePlan
from equilens.stats._corrections import benjamini_hochberg, holm
from equilens.stats._intervals import (
    mover_difference_interval,
    newcombe_difference_interval,
    ratio_interval,
)
from equilens.stats._means import (
    hedges_g,
    log_ratio_interval,
    mean_minimum_detectable_difference,
    welch_test,
)
from equilens.stats._power import _standardised_shift, minimum_detectable_difference
from equilens.stats._ranksum import mann_whitney_from_hist
from equilens.stats._significance import cohens_h, odds_ratio, two_proportion_test

FloatArray = NDArray[np.float64]

#: Test name of the comparison of two means or ratios of sums (``Evaluated.se`` / ``df``).
WELCH_TEST = "welch-t"
#: Test name of the rank test beside it (descriptive, not in the family).
RANK_TEST = "mann-whitney"

#: Test name of the ROC-AUC comparison (:func:`~equilens.metrics._scores.auc_difference_test`).
AUC_TEST = "auc-score-z"


def _f(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def complement_of(spec: MetricSpec, earlier: Sequence[MetricSpec]) -> MetricSpec | None:
    """The earlier proportion whose test ``spec`` repeats (same rows, complementary cells).

    Two proportions over the same denominator cells whose numerators split those cells are
    ``p`` and ``1 - p`` of one 2x2 table (TPR and FNR, TNR and FPR, accuracy and error): the
    same chi-square or Fisher test.
    """
    if spec.kind != "proportion" or not spec.denominator:
        return None  # a proportion without confusion cells (multiclass) repeats no other test
    for other in earlier:
        if other.kind != "proportion" or set(other.denominator) != set(spec.denominator):
            continue
        a, b = set(spec.numerator), set(other.numerator)
        if not a & b and a | b == set(spec.denominator):
            return other
    return None


def comparison_rows(
    plan: SlicePlan,
    evaluated: Mapping[str, Evaluated],
    metric_names: Sequence[str],
    insufficient: NDArray[np.bool_],
    n: NDArray[np.int64],
    alpha: float,
    interval_method: str,
    underpowered_gap: float,
    min_class_count: int = 10,
) -> tuple[list[Comparison], dict[str, Any]]:
    """Comparison rows for every family, metric and non-reference group, adjusted together."""
    raw: list[dict[str, Any]] = []
    names = [m for m in metric_names if m in evaluated]
    specs = [evaluated[m].spec for m in names]
    derived = {
        s.name: c.name
        for i, s in enumerate(specs)
        if (c := complement_of(s, specs[:i])) is not None
    }
    for fam in plan.families:
        ref = fam.reference
        others = np.array([g for g in fam.members if g != ref], dtype=np.int64)
        if others.size == 0:
            continue
        for name in names:
            ev = evaluated[name]
            rows = _family_metric(
                plan, fam.features, ev, others, ref, alpha, interval_method, min_class_count
            )
            _correct_for_reference_choice(rows, fam)
            for row in rows:
                row["derived_from"] = derived.get(name)
            raw.extend(rows)
    for row in raw:
        g, r = row["_g"], row["_r"]
        row["n"], row["n_reference"] = int(n[g]), int(n[r])
        if insufficient[g] or insufficient[r]:
            row["_small"] = "the group or its reference is below the minimum group size"
        small = row["_small"]
        if small is not None and row["status"] == "ok":
            row.update(status="insufficient_evidence", reason=f"{small}: no test")
            row.update(p_value=None, statistic=None, test="none", reference_correction=None)
            row.update(rank_test=None)
        row["in_family"] = row["derived_from"] is None and row["p_value"] is not None
    in_family = [r for r in raw if r["in_family"]]
    pvals = np.array([r["p_value"] for r in in_family], dtype=np.float64)
    if in_family:
        for row, ph, pb in zip(in_family, holm(pvals), benjamini_hochberg(pvals)):
            row["p_holm"], row["p_bh"] = _f(ph), _f(pb)
    primary = {_key(r, r["metric"]): r for r in raw if r["derived_from"] is None}
    out: list[Comparison] = []
    for row in raw:
        source = primary.get(_key(row, row["derived_from"])) if row["derived_from"] else None
        _conclude(row, source, alpha, underpowered_gap)
        for k in ("_g", "_r", "_small", "_mdd_sd"):
            row.pop(k, None)
        out.append(Comparison(**row))
    excluded = sum(
        1
        for r in out
        if r.status == "insufficient_evidence" and r.test == "none" and r.derived_from is None
    )
    family = {
        "size": len(in_family),
        "description": (
            "every group-vs-reference test of this audit (all metrics, all families) with "
            "enough evidence; derived rows (the complement of a rate already tested) and "
            "comparisons below the minimum evidence are not counted"
        ),
        "methods": ["holm", "benjamini-hochberg"],
        "alpha": alpha,
        "conclusions_use": "p_holm",
        "excluded_below_minimum_evidence": excluded,
        "derived_not_counted": sum(1 for r in out if r.derived_from is not None),
        "min_class_count": min_class_count,
    }
    if any(f.reference_rule == "most_favoured" for f in plan.families):
        family["reference_selection"] = (
            "references chosen from the data (most_favoured): each p-value is multiplied by the "
            "number of candidate references in its family (Bonferroni), before Holm/BH"
        )
    return out, family


def _key(row: Mapping[str, Any], metric: str | None) -> tuple[Any, ...]:
    return (metric, row["_g"], row["_r"])


def _conclude(
    row: dict[str, Any], source: Mapping[str, Any] | None, alpha: float, underpowered_gap: float
) -> None:
    """Set ``conclusion`` (and ``reason``); a derived row takes its source's test and verdict."""
    if source is not None and row["status"] == "ok" and source["status"] == "ok":
        row.update(
            test=source["test"],
            statistic=source["statistic"],
            p_value=source["p_value"],
            p_holm=source["p_holm"],
            p_bh=source["p_bh"],
            reference_correction=source["reference_correction"],
            conclusion=source["conclusion"],
            reason=f"the test of {source['metric']} on the same rows (derived, counted once)"
            + (f"; {source['reason']}" if source["reason"] else ""),
        )
        return
    if row["status"] == "undefined":
        row["conclusion"] = "undefined"
    elif row["status"] == "insufficient_evidence":
        row["conclusion"] = "insufficient_evidence"
    elif row["p_holm"] is not None and row["p_holm"] < alpha:
        row["conclusion"] = "difference_detected"
    elif (mdd_sd := row.get("_mdd_sd")) is not None:
        # Means and ratios: the gap is read in standard deviations of the per-unit values
        # (a regression error in dollars has no natural absolute gap of 0.1).
        if mdd_sd > underpowered_gap:
            row["conclusion"] = "insufficient_evidence"
            row["reason"] = row["reason"] or (
                f"no difference detected, but the test could not reliably detect a gap of "
                f"{underpowered_gap:g} standard deviations (minimum detectable difference "
                f"{row['minimum_detectable_difference']:.4g}, {mdd_sd:.3f} standard deviations)"
            )
        else:
            row["conclusion"] = "no_difference_detected"
    elif (mdd := row.get("minimum_detectable_difference")) is None or mdd > underpowered_gap:
        row["conclusion"] = "insufficient_evidence"
        row["reason"] = row["reason"] or (
            f"no difference detected, but the test could not reliably detect a gap of "
            f"{underpowered_gap:g}"
            + (f" (minimum detectable difference {mdd:.3f})" if mdd is not None else "")
        )
    else:
        row["conclusion"] = "no_difference_detected"


def reference_choice_correction(
    rule: str, n_candidates: int, *, one_group: bool = True
) -> tuple[int, str | None]:
    """The Bonferroni factor over candidate references, and its description (None: none).

    Comparing group ``g`` with a reference chosen by any data-dependent rule among ``c``
    candidate groups other than ``g`` gives a p-value at least the smallest of the ``c``
    pairwise p-values, so ``min(1, c p)`` is valid under the null whichever group is picked;
    likewise intervals at level ``1 - alpha / c`` for every candidate hold together with
    probability at least ``1 - alpha``, so the chosen one's hold too. ``c`` is the family's
    number of candidates, less one (``g`` itself) when each row compares one group with the
    reference (``one_group``); a row about the whole family (a criterion to the reference)
    counts every candidate. Only ``most_favoured`` chooses from the data: factor 1 otherwise.
    """
    candidates = max(n_candidates - (1 if one_group else 0), 1)
    if rule != "most_favoured" or candidates <= 1:
        return 1, None
    return candidates, (
        f"bonferroni x{candidates}: the reference is the most favoured of "
        f"{n_candidates} candidate groups, chosen from the same data"
    )


def _correct_for_reference_choice(
    rows: list[dict[str, Any]], fam: Family, *, one_group: bool = True
) -> None:
    """Bonferroni over the candidate references when the reference was picked from the data
    (:func:`reference_choice_correction`): ``p_value`` becomes ``min(1, c p)``."""
    candidates, text = reference_choice_correction(
        fam.reference_rule, fam.reference_candidates, one_group=one_group
    )
    for row in rows:
        row["reference_correction"] = None
        if text is None or row["p_value"] is None:
            continue
        row["p_value"] = min(1.0, row["p_value"] * candidates)
        row["reference_correction"] = text


def _family_metric(
    plan: SlicePlan,
    features: tuple[str, ...],
    ev: Evaluated,
    others: NDArray[np.int64],
    ref: int,
    alpha: float,
    interval_method: str,
    min_class_count: int,
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
    small: list[str | None] = [None] * g.shape[0]
    degenerate_reason = ""
    effect_name: str | None = None
    effect, mdd_sd = nan, nan
    ranks: list[RankTest | None] = [None] * g.shape[0]
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
    elif ev.hist is not None and ev.n_pos is not None and ev.n_neg is not None:
        hn, hp = ev.hist[:, 0, :], ev.hist[:, 1, :]
        m1, k1, m2, k2 = ev.n_pos[g], ev.n_neg[g], ev.n_pos[r], ev.n_neg[r]
        stat, p, se = auc_difference_test(hn[g], hp[g], hn[r], hp[r], m1, k1, m2, k2)
        # Power of the test: a true gap of c * se (null standard error) is detected with 80%.
        mdd = _standardised_shift(alpha, 0.8) * se
        tests = np.where(np.isfinite(p), AUC_TEST, "none").astype(object)
        d_lo, d_hi = mover_difference_interval(v1, ev.lo[g], ev.hi[g], v2, ev.lo[r], ev.hi[r])
        ci_method = "mover (newcombe-score intervals)"
        least = np.minimum(np.minimum(m1, k1), np.minimum(m2, k2))
        for k in np.flatnonzero(~(least >= min_class_count)).tolist():
            small[k] = (
                f"{_count(m1[k])} positives and {_count(k1[k])} negatives in the group, "
                f"{_count(m2[k])} and {_count(k2[k])} in its reference, below the minimum of "
                f"{min_class_count} of each class for an AUC comparison"
            )
        degenerate_reason = (
            f"the null variance of the {ev.spec.name} difference is zero (the pooled group and "
            "reference separate perfectly, or a class is absent): no test exists"
        )
    elif ev.se is not None and ev.df is not None:
        stat, p, mdd, d_lo, d_hi, r_lo, r_hi, effect, mdd_sd = _mean_branch(ev, g, r, alpha)
        effect_name = "hedges_g" if ev.sd is not None else None
        tests = np.where(np.isfinite(p), WELCH_TEST, "none").astype(object)
        ci_method = "welch-t (difference), log-scale delta method (ratio)"
        if interval_method == "bootstrap" and ev.draws is not None:
            ci_method = "none"  # the draws' percentile intervals below; Welch's test stays
        degenerate_reason = (
            f"the standard error of {ev.spec.name} is zero or undefined in the group or its "
            "reference (fewer than two units, or every unit has the same value): no test"
        )
        if ev.value_hist is not None:
            ranks = _rank_tests(ev.value_hist, g, r, ev.rank_values or "value")
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
        tested = defined and bool(np.isfinite(p[k]))
        status, reason = "ok", None
        if not defined:
            status = "undefined"
            reason = (
                f"{ev.spec.name} is undefined for the group or its reference "
                f"({ev.spec.undefined_when})"
            )
        elif small[k] is None and not tested and degenerate_reason:
            status, reason = "undefined", degenerate_reason
        rows.append(
            {
                "_g": gi,
                "_r": ref,
                "_small": small[k],
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
                "test": str(tests[k]) if tested else "none",
                "statistic": _f(stat[k]) if tested else None,
                "p_value": _f(p[k]) if tested else None,
                "p_holm": None,
                "p_bh": None,
                "cohens_h": _f(h[k]),
                "odds_ratio": _f(orat[k]),
                "minimum_detectable_difference": _f(mdd[k]),
                "status": status,
                "reason": reason,
                "effect_size_name": effect_name if np.isfinite(effect[k]) else None,
                "effect_size": _f(effect[k]),
                "rank_test": ranks[k] if defined else None,
                "_mdd_sd": _f(mdd_sd[k]) if effect_name is not None else None,
            }
        )
    return rows


def _mean_branch(
    ev: Evaluated, g: NDArray[np.int64], r: NDArray[np.int64], alpha: float
) -> tuple[FloatArray, ...]:
    """Welch's test, t interval, log-ratio interval, Hedges' g and MDD of means or ratios.

    The minimum detectable difference is also returned in standard deviations of the
    per-unit values (``sd``), which the conclusion compares with ``underpowered_gap``.
    """
    assert ev.se is not None and ev.df is not None
    v1, v2 = ev.value[g], ev.value[r]
    se1, se2, df1, df2 = ev.se[g], ev.se[r], ev.df[g], ev.df[r]
    stat, p, df, d_lo, d_hi = welch_test(v1, se1, df1, v2, se2, df2, alpha)
    # A zero standard error on either side is not precision (a group of 30 whose values are
    # all 1 is compatible with a rate of 0.9): no test, no interval.
    flat = ~((se1 > 0) & (se2 > 0))
    stat, p = np.where(flat, np.nan, stat), np.where(flat, np.nan, p)
    d_lo, d_hi = np.where(flat, np.nan, d_lo), np.where(flat, np.nan, d_hi)
    r_lo, r_hi = log_ratio_interval(v1, se1, df1, v2, se2, df2, alpha)
    mdd = mean_minimum_detectable_difference(se1, se2, df, alpha)
    nan = np.full(g.shape, np.nan)
    effect, mdd_sd = nan, nan
    if ev.sd is not None and ev.units is not None:
        n1, n2 = ev.units[g], ev.units[r]
        effect = hedges_g(v1, ev.sd[g], n1, v2, ev.sd[r], n2)
        with np.errstate(divide="ignore", invalid="ignore"):
            pooled = np.sqrt(((n1 - 1) * ev.sd[g] ** 2 + (n2 - 1) * ev.sd[r] ** 2) / (n1 + n2 - 2))
            mdd_sd = np.where(pooled > 0, mdd / pooled, np.nan)
    return stat, p, mdd, d_lo, d_hi, r_lo, r_hi, effect, mdd_sd


def _rank_tests(
    hist: FloatArray, g: NDArray[np.int64], r: NDArray[np.int64], values: str
) -> list[RankTest | None]:
    """Mann-Whitney of each group's per-unit values against its reference's (descriptive)."""
    u, p, ps = mann_whitney_from_hist(hist[g], hist[r])
    return [
        RankTest(
            test=RANK_TEST,
            statistic=_f(u[k]),
            p_value=_f(p[k]),
            probability_of_superiority=_f(ps[k]),
            values=values,
        )
        if np.isfinite(ps[k])
        else None
        for k in range(g.shape[0])
    ]


def _count(x: float) -> str:
    return f"{x:.0f}" if abs(x - round(x)) < 1e-9 else f"{x:.1f}"
