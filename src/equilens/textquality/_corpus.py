"""Corpus BLEU/chrF/TER per slice: paired bootstrap intervals and system comparisons.

* **Intervals** (Koehn 2004): segments of the slice resampled with replacement; each draw's
  corpus score is the scorer applied to the resampled totals (one matrix product for all
  draws, :func:`equilens.agreement.resampled_unit_totals`); BCa bounds with the
  leave-one-segment-out jackknife.
* **Systems** (two or more hypothesis columns on the same segments): the paired bootstrap
  interval of the difference (the same resample for both) and sacrebleu's paired approximate
  randomisation test (each segment's statistics swapped between the two systems with
  probability 1/2; ``p = (c + 1) / (R + 1)``, ``c`` the trials whose absolute difference
  reaches the observed one), Holm-adjusted over the comparisons.
* **Groups**: each group against the rest of its feature's segments (disjoint; one test for
  a feature with two groups): the
  difference with an interval from independent bootstraps and an approximate-randomisation
  (permutation) p-value, Holm-adjusted over the groups of all features and metrics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilens.agreement import bca_bounds, resampled_unit_totals
from equilens.stats import holm
from equilens.textquality._sacre import SCORERS, FloatArray, SegmentStatistics


def _f(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def slice_masks(
    groups: Mapping[str, Sequence[Any]], n: int
) -> list[tuple[str | None, str | None, NDArray[np.bool_]]]:
    """(feature, group, rows) for the overall slice and each group of each feature."""
    out: list[tuple[str | None, str | None, NDArray[np.bool_]]] = [
        (None, None, np.ones(n, dtype=bool))
    ]
    for feature, values in groups.items():
        arr = np.asarray([str(v) for v in values])
        for g in sorted(set(arr.tolist())):
            out.append((feature, g, arr == g))
    return out


def _group_masks(
    masks: list[tuple[str | None, str | None, NDArray[np.bool_]]],
) -> list[tuple[str | None, str | None, NDArray[np.bool_]]]:
    """The groups compared with the rest: all, except one of a two-group feature (one test)."""
    out, seen = [], set()
    for feature, group, rows in masks[1:]:
        n_groups = sum(1 for f, _, _ in masks if f == feature)
        if n_groups == 2 and feature in seen:
            continue
        seen.add(feature)
        out.append((feature, group, rows))
    return out


def _stack(segs: Mapping[str, SegmentStatistics]) -> tuple[dict[str, slice], FloatArray]:
    """All metrics' statistics side by side (one resample serves them all) and their spans."""
    spans, at = {}, 0
    for metric, seg in segs.items():
        spans[metric] = slice(at, at + seg.stats.shape[1])
        at += seg.stats.shape[1]
    return spans, np.hstack([seg.stats for seg in segs.values()])


def _slice_draws(
    stacked: FloatArray,
    masks: list[tuple[str | None, str | None, NDArray[np.bool_]]],
    draws: int,
    rng: np.random.Generator,
) -> list[FloatArray]:
    """Bootstrap totals per slice, stratified by each feature's groups (sizes kept).

    The overall slice's draws are the sums of the first feature's groups' draws (the
    stratified bootstrap); without a feature, a plain resample of all segments.
    """
    out: list[FloatArray | None] = [None] * len(masks)
    for i, (feature, _, rows) in enumerate(masks):
        if feature is not None:
            out[i] = resampled_unit_totals(stacked[rows], draws, rng)
    first = masks[1][0] if len(masks) > 1 else None
    parts = [t for (f, _, _), t in zip(masks, out, strict=True) if f == first and t is not None]
    out[0] = sum(parts) if parts else resampled_unit_totals(stacked, draws, rng)  # type: ignore[assignment]
    return [np.asarray(t, dtype=np.float64) for t in out]


def _bca(stats: FloatArray, score: Any, boot_totals: FloatArray) -> tuple[float, float, float]:
    total = stats.sum(axis=0)
    value = float(score(total[None, :])[0])
    if stats.shape[0] < 2 or boot_totals.shape[0] == 0:
        return value, float("nan"), float("nan")
    jack = score(total[None, :] - stats) if stats.shape[0] <= 200_000 else boot_totals[:0, 0]
    lo, hi, _ = bca_bounds(value, score(boot_totals), jack)
    return value, lo, hi


def approximate_randomisation(
    a: FloatArray, b: FloatArray, metric: str, trials: int, rng: np.random.Generator
) -> float:
    """Paired AR p-value of ``score(A) - score(B)`` (segments' statistics swapped at random)."""
    score = SCORERS[metric]
    ta, tb = a.sum(axis=0), b.sum(axis=0)
    observed = abs(float(score(ta[None])[0] - score(tb[None])[0]))
    diff = a - b
    hits = 0
    step = max(1, 2_000_000 // max(len(a), 1))
    for start in range(0, trials, step):
        k = min(step, trials - start)
        swap = (rng.random((k, len(a))) < 0.5).astype(np.float64) @ diff
        d = score(ta[None] - swap) - score(tb[None] + swap)
        hits += int(np.sum(np.abs(d) >= observed - 1e-12))
    return (hits + 1) / (trials + 1)


def permutation_p(
    stats: FloatArray, inside: NDArray[np.bool_], metric: str, trials: int, rng: np.random.Generator
) -> float:
    """Approximate-randomisation p-value of ``score(inside) - score(outside)`` (labels shuffled)."""
    score = SCORERS[metric]
    total = stats.sum(axis=0)
    t_in = stats[inside].sum(axis=0)
    observed = abs(float(score(t_in[None])[0] - score((total - t_in)[None])[0]))
    n, k_in = len(stats), int(inside.sum())
    hits = 0
    step = max(1, 2_000_000 // max(n, 1))
    for start in range(0, trials, step):
        k = min(step, trials - start)
        order = np.argsort(rng.random((k, n)), axis=1)[:, :k_in]
        pick = np.zeros((k, n))
        np.put_along_axis(pick, order, 1.0, axis=1)
        t = pick @ stats
        d = score(t) - score(total[None] - t)
        hits += int(np.sum(np.abs(d) >= observed - 1e-12))
    return (hits + 1) / (trials + 1)


def corpus_tables(
    systems: Mapping[str, Mapping[str, SegmentStatistics]],
    groups: Mapping[str, Sequence[Any]],
    *,
    draws: int = 1000,
    trials: int = 1000,
    seed: int = 0,
) -> dict[str, list[dict[str, Any]]]:
    """Corpus rows per system, metric and slice; system and group comparisons.

    ``systems`` maps a system (hypothesis column) to its statistics per metric.
    """
    rng = np.random.default_rng(seed)
    names = list(systems)
    n = next(iter(next(iter(systems.values())).values())).stats.shape[0]
    masks = slice_masks(groups, n)
    rows: list[dict[str, Any]] = []
    sys_rows: list[dict[str, Any]] = []
    group_rows: list[dict[str, Any]] = []
    for system in names:
        segs = systems[system]
        spans, stacked = _stack(segs)
        slice_draws = _slice_draws(stacked, masks, draws, rng)
        for metric, seg in segs.items():
            score, cols = SCORERS[metric], spans[metric]
            for (feature, group, rows_in), boot_totals in zip(masks, slice_draws, strict=True):
                value, lo, hi = _bca(seg.stats[rows_in], score, boot_totals[:, cols])
                rows.append(
                    {
                        "system": system,
                        "metric": metric,
                        "feature": feature,
                        "group": group,
                        "n_segments": int(rows_in.sum()),
                        "value": _f(value),
                        "ci_low": _f(lo),
                        "ci_high": _f(hi),
                        "ci_method": f"segment bootstrap (BCa, {draws} draws)",
                        "signature": seg.signature,
                    }
                )
            for feature, group, rows_in in _group_masks(masks):
                rest = ~rows_in
                if rows_in.sum() < 2 or rest.sum() < 2:
                    continue
                inside = seg.stats[rows_in].sum(axis=0)
                outside = seg.stats[rest].sum(axis=0)
                diff = float(score(inside[None])[0] - score(outside[None])[0])
                lo = hi = np.nan
                if draws:
                    own = [
                        t for (f, _, _), t in zip(masks, slice_draws, strict=True) if f == feature
                    ]
                    at = next(i for i, (f, g, _) in enumerate(masks) if f == feature and g == group)
                    b_in = slice_draws[at][:, cols]
                    b_out = np.sum(own, axis=0)[:, cols] - b_in
                    lo, hi = np.quantile(score(b_in) - score(b_out), [0.025, 0.975])
                p = permutation_p(seg.stats, rows_in, metric, trials, rng) if trials else np.nan
                group_rows.append(
                    {
                        "system": system,
                        "metric": metric,
                        "feature": feature,
                        "group": group,
                        "difference_vs_rest": diff,
                        "ci_low": _f(lo),
                        "ci_high": _f(hi),
                        "p_value": _f(p),
                        "test": "approximate randomisation (group labels)",
                    }
                )
    for other in names[1:]:
        base = names[0]
        for metric in systems[base]:
            for feature, group, rows_in in masks:
                a = systems[other][metric].stats[rows_in]
                b = systems[base][metric].stats[rows_in]
                score = SCORERS[metric]
                diff = float(score(a.sum(0)[None])[0] - score(b.sum(0)[None])[0])
                both = resampled_unit_totals(np.hstack([a, b]), draws, rng)
                q = a.shape[1]
                d = score(both[:, :q]) - score(both[:, q:])
                lo, hi = np.quantile(d, [0.025, 0.975]) if draws else (np.nan, np.nan)
                p = approximate_randomisation(a, b, metric, trials, rng) if trials else np.nan
                sys_rows.append(
                    {
                        "system": other,
                        "baseline": base,
                        "metric": metric,
                        "feature": feature,
                        "group": group,
                        "difference": diff,
                        "ci_low": _f(lo),
                        "ci_high": _f(hi),
                        "ci_method": "paired bootstrap percentile",
                        "p_value": _f(p),
                        "test": "paired approximate randomisation",
                    }
                )
    for table in (sys_rows, group_rows):
        ps = np.array([r["p_value"] for r in table if r["p_value"] is not None])
        adjusted = iter(holm(ps)) if ps.size else iter(())
        for r in table:
            if r["p_value"] is not None:
                r["p_holm"] = float(next(adjusted))
    return {"corpus": rows, "system_comparisons": sys_rows, "group_comparisons": group_rows}
