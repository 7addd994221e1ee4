"""Fairness criteria: disparities of group metrics within each family, with simultaneous intervals.

Groups below the minimum group size, or where a base metric is undefined, are left out of the
summary and listed in ``excluded_groups`` (the largest-minus-smallest gap of many groups is
biased upward, most for small groups; leaving them in would let noise set the value).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from equilens.audit._compare import reference_choice_correction
from equilens.audit._criteria_intervals import criterion_bounds
from equilens.metrics import CriterionSpec, Evaluated
from equilens.results import Disparity
from equilens.slicing import Family, SlicePlan

FloatArray = NDArray[np.float64]
METHODS = ("between_groups", "to_overall", "to_reference")


def criterion_statistic(
    vals: FloatArray, overall: FloatArray, ref: FloatArray, statistic: str, method: str
) -> FloatArray:
    """Disparity over the last axis of ``vals`` (groups); leading axes are draws."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "between_groups":
            hi, lo = vals.max(axis=-1), vals.min(axis=-1)
            if statistic == "difference":
                return np.asarray(hi - lo, dtype=np.float64)
            return np.asarray(np.where(hi > 0, lo / np.where(hi > 0, hi, 1.0), np.nan))
        other = overall if method == "to_overall" else ref
        o = other[..., None]
        if statistic == "difference":
            return np.asarray(np.abs(vals - o).max(axis=-1), dtype=np.float64)
        ratio = np.minimum(vals / o, o / vals)
        bad = (vals <= 0) | (o <= 0)
        ratio = np.where(bad & (vals == o), 1.0, ratio)
        ratio = np.where(bad & (vals != o), 0.0, ratio)
        return np.asarray(ratio.min(axis=-1), dtype=np.float64)


def worst_positions(
    vals: FloatArray, overall: float, ref: float, statistic: str, method: str
) -> tuple[int, int | None]:
    """Positions of the groups that set the point estimate (second is None for a comparator)."""
    if method == "between_groups":
        return int(np.argmax(vals)), int(np.argmin(vals))
    other = overall if method == "to_overall" else ref
    if statistic == "difference":
        return int(np.argmax(np.abs(vals - other))), None
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.minimum(vals / other, other / vals)
    return int(np.nanargmin(np.where(np.isfinite(r), r, 0.0))), None


def criterion_rows(
    spec: CriterionSpec,
    plan: SlicePlan,
    evaluated: Mapping[str, Evaluated],
    insufficient: NDArray[np.bool_],
    alpha: float,
) -> list[Disparity]:
    """All disparity rows of one criterion: each family x each method."""
    rows: list[Disparity] = []
    bases = [evaluated[m] for m in spec.base_metrics]
    for fam in plan.families:
        members = np.asarray(fam.members)
        eligible = ~insufficient[members]
        for ev in bases:
            eligible &= np.isfinite(ev.value[members])
        excluded = [plan.slices[i].mapping for i in members[~eligible]]
        included = members[eligible]
        ref_ok = bool(fam.reference in set(included.tolist()))
        for method in METHODS:
            rows.append(_one(spec, plan, fam, bases, included, excluded, ref_ok, method, alpha))
    return rows


def _one(
    spec: CriterionSpec,
    plan: SlicePlan,
    fam: Family,
    bases: list[Evaluated],
    included: NDArray[np.int64],
    excluded: list[dict[str, str]],
    ref_ok: bool,
    method: str,
    alpha: float,
) -> Disparity:
    base = {
        "criterion": spec.name,
        "features": list(fam.features),
        "method": method,
        "excluded_groups": excluded,
    }
    need = 2 if method == "between_groups" else 1
    if len(included) < need or (method == "to_reference" and not ref_ok):
        why = (
            "the reference group is too small or its metric is undefined"
            if method == "to_reference" and len(included) >= need
            else "fewer than two groups with enough evidence and a defined value"
        )
        return Disparity(
            **base,  # type: ignore[arg-type]
            value=None,
            ci_low=None,
            ci_high=None,
            ci_method="none",
            status="undefined",
            reason=why,
        )
    combine = np.max if spec.statistic == "difference" else np.min
    points: list[float] = []
    worst_groups: list[dict[str, str]] = []
    best_point = None
    for ev in bases:
        vals = ev.value[included]
        point = float(
            criterion_statistic(
                vals[None, :],
                ev.value[0:1],
                ev.value[fam.reference : fam.reference + 1],
                spec.statistic,
                method,
            )[0]
        )
        points.append(point)
        if best_point is None or (
            point > best_point if spec.statistic == "difference" else point < best_point
        ):
            best_point = point
            i, j = worst_positions(
                vals, float(ev.value[0]), float(ev.value[fam.reference]), spec.statistic, method
            )
            worst_groups = [plan.slices[int(included[i])].mapping]
            if j is not None:
                worst_groups.append(plan.slices[int(included[j])].mapping)
            elif method == "to_overall":
                worst_groups.append({})
            else:
                worst_groups.append(plan.slices[fam.reference].mapping)
    value = float(combine(points))
    # A reference chosen from the data (most_favoured): the intervals of every candidate
    # reference at 1 - alpha/c hold together, so the chosen one's do (as for the p-values).
    scale, correction = 1, None
    if method == "to_reference":
        scale, correction = reference_choice_correction(
            fam.reference_rule, fam.reference_candidates, one_group=False
        )
    bounds = criterion_bounds(bases, included, fam.reference, spec.statistic, method, alpha / scale)
    lo = hi = None
    ci_method = "none"
    reason: str | None = None
    if isinstance(bounds, str):
        reason = bounds
    elif np.isfinite(value):
        lo, hi, ci_method = bounds
        if correction is not None:
            ci_method = f"{ci_method}, level 1 - alpha/{scale} ({correction})"
    four_fifths: Literal["pass", "fail"] | None = None
    # Every ratio of selection rates (disparate impact, demographic parity ratio) is read
    # against the four-fifths rule.
    if spec.statistic == "ratio" and spec.base_metrics == ("selection_rate",):
        four_fifths = "pass" if value >= 0.8 else "fail"
    return Disparity(
        **base,  # type: ignore[arg-type]
        value=value if np.isfinite(value) else None,
        ci_low=lo,
        ci_high=hi,
        ci_level_divisor=scale if correction is not None and lo is not None else 1,
        ci_method=ci_method,
        status="ok" if np.isfinite(value) else "undefined",
        reason=reason if np.isfinite(value) else "the criterion is undefined (zero denominator)",
        groups=worst_groups,
        four_fifths_rule=four_fifths if np.isfinite(value) else None,
    )
