"""Sufficient statistics of measures per unit: sums, cross-products and random-group sums.

Every task but binary reduces a unit (a row, or a cluster of rows: the generations of one
prompt, the utterances of one speaker, the items of one query) to a few numbers ``x_u`` (for a
regression: 1, the error, its absolute value, its square, ...), and every metric is a smooth
function of a slice's totals ``T = sum_u x_u`` (MAE = T[|e|] / T[1], WER = T[errors] /
T[words], R^2 = 1 - T[e^2] / (T[y^2] - T[y]^2 / T[1])). Per finest cell the engine keeps

* ``totals[c, q]``: the sum of quantity q over the cell's units;
* ``cross[c, q, r]``: the sum over units of ``x_uq * x_ur``;
* ``units[c]``: the number of units; ``rows[c]``: the number of rows;
* ``buckets[c, g, q]``: the sums over random groups of units (for the bootstrap).

All of them add over cells and over batches (a slice is a sum of cells; a cluster must not
straddle two batches). A cluster that spans several cells (a prompt used with every persona,
an item rated in several groups) is one unit per cell there, but one unit in a slice that
holds several of its cells: with clusters the per-unit totals are kept as well
(:class:`UnitTable`), and :func:`slice_sums` and :func:`bucket_draws` regroup them by
cluster within each slice. From a slice's totals, cross-products and unit count, the
with-replacement (design-based) covariance of the totals is
``V = K / (K - 1) * (M - T T' / K)``, and a metric ``f(T)`` gets the linearised (delta-method)
standard error ``sqrt(grad f' V grad f)`` with ``K - 1`` degrees of freedom: the textbook
variance of a ratio estimator when the units are clusters, and the usual ``s / sqrt(n)`` of a
mean when they are rows. Metrics that are not smooth enough for the delta method use the
bootstrap over random groups of units (:func:`bucket_draws`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Random groups of units per cell kept for the bootstrap. A bootstrap over G random groups
#: of iid units has the variance of the unit bootstrap (each group's sum is a sum of iid
#: units); 64 groups keep 1,000 draws over 40 cells at a few million numbers.
DEFAULT_BUCKETS = 64

__all__ = [
    "DEFAULT_BUCKETS",
    "UnitSums",
    "UnitTable",
    "bucket_draws",
    "covariance",
    "gradient",
    "linearised",
    "slice_sums",
    "unit_index",
    "unit_sums",
]


@dataclass(frozen=True)
class UnitTable:
    """Per-unit totals of clustered rows: each unit's cell, cluster and quantities."""

    cell: IntArray  # (U,)
    cluster: IntArray  # (U,)
    values: FloatArray  # (U, Q)

    @functools.cached_property
    def spans(self) -> bool:
        """Whether some cluster has units in more than one cell (found once per table)."""
        return bool(np.unique(self.cluster).size < self.cluster.size)


@dataclass(frozen=True)
class UnitSums:
    """Mergeable sums of per-unit quantities per finest cell (see the module docstring)."""

    quantities: tuple[str, ...]
    totals: FloatArray  # (C, Q)
    cross: FloatArray  # (C, Q, Q)
    units: FloatArray  # (C,)
    rows: IntArray  # (C,)
    buckets: FloatArray  # (C, G, Q)
    bucket_units: FloatArray  # (C, G) units in each random group
    clustered: bool
    #: Row-level cross-products (C, Q, Q) when the units are clusters: the variance the rows
    #: would get if they were independent (for the design effect and the ICC warning).
    row_cross: FloatArray | None = None
    #: Clustered units' own totals, kept so that slices holding several cells of one cluster
    #: count that cluster once (:func:`slice_sums`, :func:`bucket_draws`).
    unit_table: UnitTable | None = None

    def __post_init__(self) -> None:
        c, q = self.totals.shape
        if self.cross.shape != (c, q, q) or self.units.shape != (c,) or self.rows.shape != (c,):
            raise ValueError("UnitSums tables disagree on the number of cells or quantities")
        if self.buckets.ndim != 3 or self.buckets.shape[0] != c or self.buckets.shape[2] != q:
            raise ValueError("UnitSums.buckets must have shape (C, G, Q)")
        if self.bucket_units.shape != self.buckets.shape[:2]:
            raise ValueError("UnitSums.bucket_units must have shape (C, G)")
        if len(self.quantities) != q:
            raise ValueError("UnitSums.quantities must name every quantity")

    def index(self, name: str) -> int:
        """Position of quantity ``name``."""
        return self.quantities.index(name)

    def take(self, cells: IntArray, n_cells: int) -> UnitSums:
        """The same sums placed at positions ``cells`` of ``n_cells`` (zeros elsewhere)."""

        def place(a: NDArray[np.generic]) -> NDArray[np.generic]:
            out = np.zeros((n_cells, *a.shape[1:]), dtype=a.dtype)
            out[cells] = a
            return out

        return UnitSums(
            self.quantities,
            place(self.totals).astype(np.float64),
            place(self.cross).astype(np.float64),
            place(self.units).astype(np.float64),
            place(self.rows).astype(np.int64),
            place(self.buckets).astype(np.float64),
            place(self.bucket_units).astype(np.float64),
            self.clustered,
            None if self.row_cross is None else place(self.row_cross).astype(np.float64),
            None
            if self.unit_table is None
            else UnitTable(
                cells[self.unit_table.cell], self.unit_table.cluster, self.unit_table.values
            ),
        )

    def __add__(self, other: UnitSums) -> UnitSums:
        """Cell-by-cell sum of two batches over the same cells (buckets added by position)."""
        if self.quantities != other.quantities or self.totals.shape != other.totals.shape:
            raise ValueError("cannot add UnitSums over different cells or quantities")
        if self.clustered != other.clustered:
            raise ValueError("cannot add clustered and unclustered UnitSums")
        g = max(self.buckets.shape[1], other.buckets.shape[1])

        def pad(b: FloatArray) -> FloatArray:
            width = [(0, 0), (0, g - b.shape[1])] + [(0, 0)] * (b.ndim - 2)
            return np.pad(b, width)

        row_cross = None
        if self.row_cross is not None and other.row_cross is not None:
            row_cross = self.row_cross + other.row_cross
        table = None
        a, b = self.unit_table, other.unit_table
        if a is not None and b is not None:
            # Clusters do not straddle batches: the second batch's codes follow the first's.
            offset = int(a.cluster.max()) + 1 if a.cluster.size else 0
            table = UnitTable(
                np.concatenate([a.cell, b.cell]),
                np.concatenate([a.cluster, b.cluster + offset]),
                np.concatenate([a.values, b.values]),
            )
        return UnitSums(
            self.quantities,
            self.totals + other.totals,
            self.cross + other.cross,
            self.units + other.units,
            self.rows + other.rows,
            pad(self.buckets) + pad(other.buckets),
            pad(self.bucket_units) + pad(other.bucket_units),
            self.clustered,
            row_cross,
            table,
        )


def _cross(
    cell: IntArray,
    n_cells: int,
    x: FloatArray,
    pairs: set[tuple[int, int]] | None = None,
    totals: FloatArray | None = None,
) -> FloatArray:
    """Per-cell sums of the outer products of the rows of ``x`` (symmetric, upper half once).

    Only ``pairs`` (``i <= j``; None: all) are summed, the others are NaN. A column of ones
    (unweighted rows) needs no pass: its products are the cell's ``totals`` or row counts.
    """
    q = x.shape[1]
    out = np.full((n_cells, q, q), np.nan, dtype=np.float64)
    ones = [bool(x.shape[0] == 0 or (x[0, i] == 1.0 and np.all(x[:, i] == 1.0))) for i in range(q)]
    counts: FloatArray | None = None
    for i in range(q):
        for j in range(i, q):
            if pairs is not None and (i, j) not in pairs:
                continue
            if ones[i] and ones[j]:
                if counts is None:
                    counts = np.bincount(cell, minlength=n_cells).astype(np.float64)
                s = counts
            elif (ones[i] or ones[j]) and totals is not None:
                s = totals[:, j if ones[i] else i]
            else:
                s = np.bincount(cell, weights=x[:, i] * x[:, j], minlength=n_cells).astype(
                    np.float64
                )
            out[:, i, j] = s
            out[:, j, i] = s
    return out


def _pair_index(
    quantities: Sequence[str], pairs: Sequence[tuple[str, str]] | None
) -> set[tuple[int, int]] | None:
    if pairs is None:
        return None
    pos = {q: i for i, q in enumerate(quantities)}
    return {tuple(sorted((pos[a], pos[b]))) for a, b in pairs}  # type: ignore[misc]


def _sums(cell: IntArray, n_cells: int, x: FloatArray) -> FloatArray:
    if x.shape[1] == 0:
        return np.zeros((n_cells, 0), dtype=np.float64)
    return np.stack(
        [np.bincount(cell, weights=x[:, i], minlength=n_cells) for i in range(x.shape[1])],
        axis=1,
    ).astype(np.float64)


def unit_index(cell: IntArray, cluster: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Units of clustered rows: the rows of one cluster in one cell.

    Returns each row's unit code ``(n,)`` and each unit's cell and cluster ``(U,)``, units
    ordered by (cell, cluster).
    """
    n_clusters = int(cluster.max()) + 1 if cluster.size else 1
    key = cell.astype(np.int64) * n_clusters + cluster.astype(np.int64)
    ukeys, unit = np.unique(key, return_inverse=True)
    return (
        unit.astype(np.int64).reshape(-1),
        (ukeys // n_clusters).astype(np.int64),
        (ukeys % n_clusters).astype(np.int64),
    )


def unit_sums(
    cell: IntArray,
    n_cells: int,
    values: FloatArray,
    quantities: Sequence[str],
    *,
    cluster: IntArray | None = None,
    buckets: int = DEFAULT_BUCKETS,
    pairs: Sequence[tuple[str, str]] | None = None,
) -> UnitSums:
    """Reduce rows to :class:`UnitSums`.

    Parameters
    ----------
    cell : int array (n,)
        Finest-cell code of each row, ``0 .. n_cells - 1``.
    values : float array (n, Q)
        The per-row quantities (already multiplied by the row weight where weighted).
    cluster : int array (n,), optional
        Cluster code of each row (``>= 0``). Rows of one cluster in one cell form one unit.
    buckets : int
        Random groups of units per cell for the bootstrap.
    pairs : sequence of (str, str), optional
        The cross-products to keep (None: all); the others are NaN. A metric whose gradient
        touches only kept pairs gets its standard error (:func:`linearised`).
    """
    values = np.asarray(values, dtype=np.float64)
    keep = _pair_index(quantities, pairs)
    n, q = values.shape
    rows = np.bincount(cell, minlength=n_cells).astype(np.int64)
    if cluster is None:
        totals = _sums(cell, n_cells, values)
        cross = _cross(cell, n_cells, values, keep, totals)
        # Rows go to groups by position; the groups of a cell are then iid samples of rows.
        bucket = cell * buckets + np.arange(n, dtype=np.int64) % buckets
        flat = _sums(bucket, n_cells * buckets, values)
        counts = np.bincount(bucket, minlength=n_cells * buckets).astype(np.float64)
        return UnitSums(
            tuple(quantities),
            totals,
            cross,
            rows.astype(np.float64),
            rows,
            flat.reshape(n_cells, buckets, q),
            counts.reshape(n_cells, buckets),
            clustered=False,
        )
    unit, unit_cell, unit_cluster = unit_index(cell, cluster)
    per_unit = _sums(unit, unit_cell.size, values)
    totals = _sums(unit_cell, n_cells, per_unit)
    cross = _cross(unit_cell, n_cells, per_unit, keep)
    units = np.bincount(unit_cell, minlength=n_cells).astype(np.float64)
    # Clusters go to groups by their code, so a cluster lies in one group whatever the batch.
    bucket = unit_cell * buckets + unit_cluster % buckets
    flat = _sums(bucket, n_cells * buckets, per_unit)
    counts = np.bincount(bucket, minlength=n_cells * buckets).astype(np.float64)
    return UnitSums(
        tuple(quantities),
        totals,
        cross,
        units,
        rows,
        flat.reshape(n_cells, buckets, q),
        counts.reshape(n_cells, buckets),
        clustered=True,
        row_cross=_cross(cell, n_cells, values, keep, totals),
        unit_table=UnitTable(unit_cell, unit_cluster, per_unit),
    )


def slice_sums(sums: UnitSums, membership: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Totals ``(S, Q)``, cross-products ``(S, Q, Q)`` and unit counts ``(S,)`` per slice.

    Where a cluster spans cells, a slice holding several of them counts it once: its units
    in the slice are added up before the cross-products (cross-products not kept stay NaN).
    """
    t = membership @ sums.totals
    m = np.einsum("sc,cqr->sqr", membership, sums.cross, optimize=True)
    k = membership @ sums.units
    table = sums.unit_table
    if table is None or not table.spans:
        return t, m, k
    kept = ~np.isnan(sums.cross).all(axis=0) if sums.cross.shape[0] else None
    n_clusters = int(table.cluster.max()) + 1
    for i in range(membership.shape[0]):
        inside = membership[i, table.cell] > 0
        if not inside.any():
            continue
        cl = table.cluster[inside]
        if np.unique(cl).size == cl.size:
            continue  # no cluster has two cells in this slice
        x = table.values[inside]
        per = np.stack(
            [np.bincount(cl, weights=x[:, j], minlength=n_clusters) for j in range(x.shape[1])],
            axis=1,
        )
        present = np.bincount(cl, minlength=n_clusters) > 0
        per = per[present]
        mm = per.T @ per
        m[i] = mm if kept is None else np.where(kept, mm, np.nan)
        k[i] = float(present.sum())
    return t, m, k


def covariance(t: FloatArray, m: FloatArray, k: FloatArray) -> FloatArray:
    """With-replacement covariance of the totals, ``K / (K - 1) (M - T T' / K)`` per slice.

    NaN where a slice has fewer than two units.
    """
    ok = k > 1
    kk = np.where(ok, k, 2.0)[:, None, None]
    v = kk / (kk - 1.0) * (m - np.einsum("sq,sr->sqr", t, t) / kk)
    return np.where(ok[:, None, None], v, np.nan)


def gradient(f: Callable[[FloatArray], FloatArray], t: FloatArray) -> FloatArray:
    """Central-difference gradient of ``f`` (totals ``(..., Q)`` -> values ``(...)``)."""
    q = t.shape[-1]
    out = np.empty(t.shape, dtype=np.float64)
    scale = np.maximum(np.abs(t), 1.0)
    for i in range(q):
        h = 1e-6 * scale[..., i]
        up, down = t.copy(), t.copy()
        up[..., i] += h
        down[..., i] -= h
        with np.errstate(divide="ignore", invalid="ignore"):
            out[..., i] = (f(up) - f(down)) / (2 * h)
    return out


def linearised(
    f: Callable[[FloatArray], FloatArray], t: FloatArray, v: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Value ``f(T)`` and its delta-method standard error from the covariance ``v`` of ``T``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        value = f(t)
    g = gradient(f, t)
    # Cross-products not kept (NaN) count only where the gradient touches them.
    touched = (g[:, :, None] != 0) & (g[:, None, :] != 0)
    var = np.einsum("sq,sqr,sr->s", g, np.where(touched, v, 0.0), g)
    se = np.sqrt(np.where(var >= 0, var, np.nan))
    return value, se


def bucket_draws(
    sums: UnitSums, membership: FloatArray, draws: int, rng: np.random.Generator
) -> FloatArray:
    """Bootstrap draws of every slice's totals, ``(B, S, Q)``.

    Each cell's non-empty random groups are resampled with replacement (multinomial counts,
    the cell's number of groups fixed: strata are the finest cells, as in the count-level
    bootstrap of the binary audit). When a cluster spans cells the groups are resampled
    jointly over the cells instead (a cluster bootstrap: cell sizes vary between draws).
    """
    c, g = sums.buckets.shape[:2]
    if sums.unit_table is not None and sums.unit_table.spans:
        # A cluster's units share one random group (its code mod G) in every cell; resampling
        # the groups jointly keeps a spanning cluster's cells together.
        used = np.flatnonzero(sums.bucket_units.sum(axis=0) > 0)
        picks = rng.integers(0, max(used.size, 1), size=(draws, used.size))
        joint = np.zeros((draws, g), dtype=np.float64)
        if used.size:
            np.add.at(joint, (np.arange(draws)[:, None], used[picks]), 1.0)
        cell_draws = np.einsum("bg,cgq->bcq", joint, sums.buckets, optimize=True)
        return np.asarray(np.einsum("sc,bcq->bsq", membership, cell_draws, optimize=True))
    occupied = sums.bucket_units > 0
    k = occupied.sum(axis=1)
    # The j-th occupied group of each cell; k_c uniform picks with replacement per cell and
    # draw (a multinomial(k_c, 1/k_c) count per group), counted in one bincount.
    order = np.argsort(~occupied, axis=1, kind="stable")  # occupied groups first
    pick = np.floor(rng.random((draws, c, g)) * np.maximum(k, 1)[None, :, None]).astype(np.int64)
    group = np.take_along_axis(np.broadcast_to(order, (draws, c, g)), pick, axis=2)
    valid = np.broadcast_to(np.arange(g)[None, None, :] < k[None, :, None], group.shape)
    flat = (np.arange(draws)[:, None, None] * c + np.arange(c)[None, :, None]) * g + group
    weights = np.bincount(flat[valid], minlength=draws * c * g).astype(np.float64)
    weights = weights.reshape(draws, c, g)  # (B, C, G)
    cell_draws = np.einsum("bcg,cgq->bcq", weights, sums.buckets, optimize=True)
    return np.asarray(np.einsum("sc,bcq->bsq", membership, cell_draws, optimize=True))
