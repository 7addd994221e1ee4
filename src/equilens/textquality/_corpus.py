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

With ``clusters`` the units are clusters, not segments (:mod:`equilens.textquality._clusters`):
a slice's interval resamples its clusters' in-slice sums (BCa, leave-one-cluster-out
jackknife; the overall slice resamples all clusters, no stratification); systems are compared
by a paired cluster bootstrap and randomisation that swaps whole clusters; a group against
the rest gets a joint cluster bootstrap interval and, where clusters nest in the group or its
rest, a permutation of group labels over clusters, else a permutation of the labels within
each cluster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilens.agreement import bca_bounds, resampled_unit_totals
from equilens.exceptions import InvalidInputError
from equilens.stats import holm
from equilens.textquality._clusters import ClusterIndex, joint_draws
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
) -> list[tuple[int, tuple[str | None, str | None, NDArray[np.bool_]]]]:
    """The groups compared with the rest (position in ``masks`` and the slice): all, except
    one of a two-group feature (one test)."""
    out, seen = [], set()
    for at, (feature, group, rows) in enumerate(masks[1:], start=1):
        n_groups = sum(1 for f, _, _ in masks if f == feature)
        if n_groups == 2 and feature in seen:
            continue
        seen.add(feature)
        out.append((at, (feature, group, rows)))
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
    stats: FloatArray,
    inside: NDArray[np.bool_],
    metric: str,
    trials: int,
    rng: np.random.Generator,
    strata: NDArray[np.int64] | None = None,
) -> float:
    """Approximate-randomisation p-value of ``score(inside) - score(outside)`` (labels shuffled).

    With ``strata`` (a code per row) labels are shuffled within each stratum only, so every
    stratum keeps its number of inside rows.
    """
    score = SCORERS[metric]
    total = stats.sum(axis=0)
    t_in = stats[inside].sum(axis=0)
    observed = abs(float(score(t_in[None])[0] - score((total - t_in)[None])[0]))
    n, k_in = len(stats), int(inside.sum())
    if strata is not None:
        # rows sorted by stratum, then at random: a row is inside when its rank within its
        # stratum is below the stratum's inside count
        counts = np.bincount(strata, minlength=int(strata.max()) + 1)
        first = np.concatenate([[0], np.cumsum(counts)[:-1]])[strata]
        quota = np.bincount(strata[inside], minlength=counts.size)[strata]
    hits = 0
    step = max(1, 2_000_000 // max(n, 1))
    for start in range(0, trials, step):
        k = min(step, trials - start)
        if strata is None:
            order = np.argsort(rng.random((k, n)), axis=1)[:, :k_in]
            pick = np.zeros((k, n))
            np.put_along_axis(pick, order, 1.0, axis=1)
        else:
            order = np.argsort(strata + rng.random((k, n)), axis=1)
            rank = np.empty_like(order)
            np.put_along_axis(rank, order, np.arange(n)[None, :], axis=1)
            pick = (rank - first < quota).astype(np.float64)
        t = pick @ stats
        d = score(t) - score(total[None] - t)
        hits += int(np.sum(np.abs(d) >= observed - 1e-12))
    return (hits + 1) / (trials + 1)


def _group_test(
    seg_stats: FloatArray,
    rows_in: NDArray[np.bool_],
    metric: str,
    trials: int,
    rng: np.random.Generator,
    index: ClusterIndex | None,
) -> tuple[float, str]:
    """p-value of a group against the rest and the name of the test that gave it.

    Clusters wholly inside or outside the group: labels permuted over clusters. Clusters
    spanning the group and the rest: labels permuted within each cluster (each keeps its
    number of inside segments, so the slices keep their sizes).
    """
    if index is None:
        p = permutation_p(seg_stats, rows_in, metric, trials, rng) if trials else np.nan
        return p, "approximate randomisation (group labels)"
    if index.nested(rows_in):
        inside = index.present(rows_in)
        p = (
            permutation_p(index.totals(seg_stats), inside, metric, trials, rng)
            if trials
            else np.nan
        )
        return p, f"cluster-level approximate randomisation (group labels over '{index.column}')"
    p = (
        permutation_p(seg_stats, rows_in, metric, trials, rng, strata=index.codes)
        if trials
        else np.nan
    )
    return p, f"approximate randomisation within clusters of '{index.column}' (they span groups)"


def _group_row(
    seg: SegmentStatistics,
    rows_in: NDArray[np.bool_],
    at: int,
    masks: list[tuple[str | None, str | None, NDArray[np.bool_]]],
    slice_draws: list[FloatArray],
    joint: list[FloatArray],
    index: ClusterIndex | None,
    draws: int,
    trials: int,
    rng: np.random.Generator,
) -> dict[str, Any] | None:
    """One group (slice ``at``) against the rest of its feature; None with too few units."""
    score, metric, rest = SCORERS[seg.metric], seg.metric, ~rows_in
    if index is None:
        n_in, n_out = int(rows_in.sum()), int(rest.sum())
    else:
        n_in, n_out = int(index.present(rows_in).sum()), int(index.present(rest).sum())
    if n_in < 2 or n_out < 2:
        return None
    diff = float(score(seg.stats[rows_in].sum(0)[None])[0] - score(seg.stats[rest].sum(0)[None])[0])
    lo = hi = np.nan
    if index is None and draws:
        feature = masks[at][0]
        own = [t for (f, _, _), t in zip(masks, slice_draws, strict=True) if f == feature]
        b_in = slice_draws[at]
        lo, hi = np.quantile(score(b_in) - score(np.sum(own, axis=0) - b_in), [0.025, 0.975])
    elif index is not None and draws:
        d = score(joint[at]) - score(joint[0] - joint[at])
        d = d[np.isfinite(d)]
        if d.size:
            lo, hi = np.quantile(d, [0.025, 0.975])
    p, test = _group_test(seg.stats, rows_in, metric, trials, rng, index)
    row: dict[str, Any] = {
        "difference_vs_rest": diff,
        "ci_low": _f(lo),
        "ci_high": _f(hi),
        "p_value": _f(p),
        "test": test,
    }
    if index is not None:
        row["ci_method"] = f"joint cluster bootstrap percentile ('{index.column}')"
        row["n_clusters"] = n_in
        row["n_clusters_rest"] = n_out
    return row


def corpus_tables(
    systems: Mapping[str, Mapping[str, SegmentStatistics]],
    groups: Mapping[str, Sequence[Any]],
    *,
    draws: int = 1000,
    trials: int = 1000,
    seed: int = 0,
    clusters: Sequence[Any] | NDArray[Any] | ClusterIndex | None = None,
    cluster_column: str = "cluster",
) -> dict[str, list[dict[str, Any]]]:
    """Corpus rows per system, metric and slice; system and group comparisons.

    ``systems`` maps a system (hypothesis column) to its statistics per metric. ``clusters``
    (one id per segment, or a :class:`ClusterIndex`) makes clusters the resampled and
    permuted units (see :mod:`equilens.textquality._clusters`); None resamples segments.
    """
    rng = np.random.default_rng(seed)
    names = list(systems)
    n = next(iter(next(iter(systems.values())).values())).stats.shape[0]
    masks = slice_masks(groups, n)
    index = clusters if isinstance(clusters, ClusterIndex) or clusters is None else None
    if clusters is not None and index is None:
        index = ClusterIndex.of(clusters, cluster_column)
    if index is not None and index.codes.size != n:
        raise InvalidInputError(f"Got {index.codes.size} cluster ids for {n} segments")
    rows: list[dict[str, Any]] = []
    sys_rows: list[dict[str, Any]] = []
    group_rows: list[dict[str, Any]] = []
    if index is None:
        interval = f"segment bootstrap (BCa, {draws} draws)"
    else:
        interval = f"cluster bootstrap (BCa, {draws} draws, clusters of '{index.column}')"
    for system in names:
        segs = systems[system]
        spans, stacked = _stack(segs)
        units: list[FloatArray] = []
        joint: list[FloatArray] = []
        if index is None:
            slice_draws = _slice_draws(stacked, masks, draws, rng)
        else:
            # Each slice's per-cluster sums, once: the joint resample and the slices' units.
            parts = [index.totals(stacked, r) for _, _, r in masks]
            joint = joint_draws(parts, draws, rng)
            units = [part[index.present(r)] for part, (_, _, r) in zip(parts, masks, strict=True)]
            slice_draws = [joint[0]] + [resampled_unit_totals(u, draws, rng) for u in units[1:]]
        for metric, seg in segs.items():
            score, cols = SCORERS[metric], spans[metric]
            for i, ((feature, group, rows_in), boot_totals) in enumerate(
                zip(masks, slice_draws, strict=True)
            ):
                unit_stats = seg.stats[rows_in] if index is None else units[i][:, cols]
                value, lo, hi = _bca(unit_stats, score, boot_totals[:, cols])
                row = {
                    "system": system,
                    "metric": metric,
                    "feature": feature,
                    "group": group,
                    "n_segments": int(rows_in.sum()),
                    "value": _f(value),
                    "ci_low": _f(lo),
                    "ci_high": _f(hi),
                    "ci_method": interval,
                    "signature": seg.signature,
                }
                if index is not None:
                    row["n_clusters"] = int(unit_stats.shape[0])
                rows.append(row)
            for at, (feature, group, rows_in) in _group_masks(masks):
                own = [t[:, cols] for t in slice_draws]
                compared = _group_row(
                    seg,
                    rows_in,
                    at,
                    masks,
                    own,
                    [t[:, cols] for t in joint],
                    index,
                    draws,
                    trials,
                    rng,
                )
                if compared is not None:
                    group_rows.append(
                        {
                            "system": system,
                            "metric": metric,
                            "feature": feature,
                            "group": group,
                            **compared,
                        }
                    )
    paired = "paired bootstrap percentile"
    randomised = "paired approximate randomisation"
    if index is not None:
        paired = f"paired cluster bootstrap percentile ('{index.column}')"
        randomised = f"cluster-level approximate randomisation (clusters of '{index.column}')"
    for other in names[1:]:
        base = names[0]
        for metric in systems[base]:
            for feature, group, rows_in in masks:
                a_all, b_all = systems[other][metric].stats, systems[base][metric].stats
                if index is None:
                    a, b = a_all[rows_in], b_all[rows_in]
                else:
                    a, b = index.units(a_all, rows_in), index.units(b_all, rows_in)
                score = SCORERS[metric]
                diff = float(score(a.sum(0)[None])[0] - score(b.sum(0)[None])[0])
                both = resampled_unit_totals(np.hstack([a, b]), draws, rng)
                q = a.shape[1]
                d = score(both[:, :q]) - score(both[:, q:])
                lo, hi = np.quantile(d, [0.025, 0.975]) if draws else (np.nan, np.nan)
                p = approximate_randomisation(a, b, metric, trials, rng) if trials else np.nan
                row = {
                    "system": other,
                    "baseline": base,
                    "metric": metric,
                    "feature": feature,
                    "group": group,
                    "difference": diff,
                    "ci_low": _f(lo),
                    "ci_high": _f(hi),
                    "ci_method": paired,
                    "p_value": _f(p),
                    "test": randomised,
                }
                if index is not None:
                    row["n_clusters"] = int(a.shape[0])
                sys_rows.append(row)
    for table in (sys_rows, group_rows):
        ps = np.array([r["p_value"] for r in table if r["p_value"] is not None])
        adjusted = iter(holm(ps)) if ps.size else iter(())
        for r in table:
            if r["p_value"] is not None:
                r["p_holm"] = float(next(adjusted))
    return {"corpus": rows, "system_comparisons": sys_rows, "group_comparisons": group_rows}
