"""Statistics and evaluation shared by the regression and measure tasks.

One pass reduces the rows to :class:`~equilens.stats._units.UnitSums` per finest cell (units:
rows, or the rows of one cluster in one cell), histograms of a per-unit value over common bins
(for the rank test) and, without clusters, the within-cell lag-1 products that reveal
repeated measurements stored next to each other (``docs/design/0011-measures-and-clusters.md``).
Everything adds over cells and over batches (:meth:`UnitStatistics.merge`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilens.data import TaskInputs
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.metrics import MetricSpec, RankHistogram, UnitContext, evaluate_all
from equilens.registry import Registry
from equilens.slicing import SlicePlan
from equilens.stats import (
    Bins,
    UnitSums,
    common_bins,
    histogram_codes,
    merged_key_order,
    unit_index,
    unit_sums,
)
from equilens.tasks._base import TaskEvaluation, TaskOptions

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

__all__ = ["CellHistogram", "UnitStatistics", "evaluate_units", "unit_statistics"]

#: Design effect above which the audit warns (intervals over twice as wide in variance as
#: for independent rows).
LARGE_DESIGN_EFFECT = 2.0
#: Lag-1 correlation of consecutive rows in a cell above which (with z >= SERIAL_Z) the audit
#: warns that the rows look like repeated measurements of units.
SERIAL_CORRELATION = 0.1
SERIAL_Z = 4.0
#: Rows sampled (evenly spaced) to choose a grid for the rank histograms.
GRID_SAMPLE = 200_000


@dataclass(frozen=True)
class CellHistogram:
    """Counts of a per-unit value per finest cell over common bins ``(C, B)``."""

    label: str
    bins: Bins
    counts: FloatArray


#: The fact naming the quantities no row has below zero (merged batches keep the common ones).
NONNEGATIVE = "nonnegative_quantities"
#: The fact naming the per-row values that lie in [0, 1] (a slice of all 0 or all 1 then gets
#: the exact worst-case bound of :func:`equilens.stats.all_zero_upper_bound`).
UNIT_INTERVAL = "unit_interval_quantities"


@dataclass(frozen=True)
class UnitStatistics:
    """A regression's or measure's mergeable statistics per finest cell (a ``TaskStatistics``)."""

    features: tuple[str, ...]
    keys: tuple[tuple[str, ...], ...]
    sums: UnitSums
    weighted: bool
    #: Rank histograms by name (unweighted audits only).
    hists: dict[str, CellHistogram] = field(default_factory=dict)
    #: Without clusters: per cell ``[rows, sum x, sum x^2, pairs, sum x_i x_(i+1),
    #: sum (x_i + x_(i+1))]`` of the primary per-row value over consecutive rows of the cell.
    serial: FloatArray | None = None
    #: The columns read (role -> column), for the log.
    columns: dict[str, Any] = field(default_factory=dict)
    #: Task facts (e.g. which measure: ``mean`` or ``ratio_of_sums``).
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def cell_rows(self) -> IntArray:
        return self.sums.rows

    @property
    def cell_weight(self) -> FloatArray:
        return self.sums.totals[:, self.sums.index("weight")]

    @property
    def cell_favoured(self) -> FloatArray | None:
        return None

    def merge(self, other: UnitStatistics) -> UnitStatistics:
        """Statistics of the two batches' rows together (clusters must not straddle them).

        Rank histograms are kept only when both batches binned on the same edges.
        """
        if self.features != other.features or self.sums.quantities != other.sums.quantities:
            raise ValueError("cannot merge statistics of different features or quantities")
        keys = merged_key_order(len(self.features), self.keys, other.keys)
        pos = {k: i for i, k in enumerate(keys)}
        ia = np.array([pos[k] for k in self.keys], dtype=np.int64)
        ib = np.array([pos[k] for k in other.keys], dtype=np.int64)
        c = len(keys)
        sums = self.sums.take(ia, c) + other.sums.take(ib, c)
        hists: dict[str, CellHistogram] = {}
        for name, ha in self.hists.items():
            hb = other.hists.get(name)
            if hb is None or not ha.bins.same(hb.bins):
                continue
            counts = _place(ha.counts, ia, c) + _place(hb.counts, ib, c)
            hists[name] = CellHistogram(ha.label, ha.bins, counts)
        serial = None
        if self.serial is not None and other.serial is not None:
            serial = _place(self.serial, ia, c) + _place(other.serial, ib, c)
        facts = dict(self.facts)
        for key in (NONNEGATIVE, UNIT_INTERVAL):
            if key in facts:
                theirs = set(other.facts.get(key, ()))
                facts[key] = [q for q in facts[key] if q in theirs]
        return UnitStatistics(
            self.features,
            keys,
            sums,
            self.weighted or other.weighted,
            hists,
            serial,
            dict(self.columns),
            facts,
        )


def _place(a: FloatArray, idx: IntArray, c: int) -> FloatArray:
    out = np.zeros((c, *a.shape[1:]), dtype=np.float64)
    out[idx] = a
    return out


def _histogram(
    label: str,
    unit_cell: IntArray,
    n_cells: int,
    values: FloatArray,
) -> CellHistogram:
    """Per-cell counts of the per-unit ``values`` (NaN: unit left out) over common bins."""
    finite = values[np.isfinite(values)]
    sample = finite[:: max(1, finite.size // GRID_SAMPLE)]
    bins = common_bins(sample)
    # The sample's distinct values may not be all of them.
    if (
        bins.exact
        and finite.size > sample.size
        and not np.all(bins.edges[histogram_codes(finite, bins.edges)] == finite)
    ):
        bins = common_bins(sample, grid=True)
    flat = unit_cell * bins.size + bins.codes(values)
    if finite.size < values.size:
        flat = flat[np.isfinite(values)]
    counts = np.bincount(flat, minlength=n_cells * bins.size).astype(np.float64)
    return CellHistogram(label, bins, counts.reshape(n_cells, bins.size))


def _serial(cell: IntArray, n_cells: int, x: FloatArray) -> FloatArray:
    """Per-cell sums for the lag-1 correlation of consecutive rows in the same cell."""
    same = cell[1:] == cell[:-1]
    pc = cell[1:][same]
    a, b = x[:-1][same], x[1:][same]
    cols = [
        np.bincount(cell, minlength=n_cells),
        np.bincount(cell, weights=x, minlength=n_cells),
        np.bincount(cell, weights=x * x, minlength=n_cells),
        np.bincount(pc, minlength=n_cells),
        np.bincount(pc, weights=a * b, minlength=n_cells),
        np.bincount(pc, weights=a + b, minlength=n_cells),
    ]
    return np.stack([np.asarray(c, dtype=np.float64) for c in cols], axis=1)


def serial_correlation(serial: FloatArray) -> tuple[float, float, int]:
    """Lag-1 correlation of consecutive rows around their cell means, its z and pair count.

    Under independent rows (any order) the correlation is about ``N(0, 1 / pairs)``.
    """
    n, sx, sxx, p, sab, ssum = (serial[:, i] for i in range(6))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, sx / np.where(n > 0, n, 1.0), 0.0)
    within = float((sxx - n * mean**2).sum())
    pairs = float(p.sum())
    lagged = float((sab - mean * ssum + mean**2 * p).sum())
    if pairs < 2 or within <= 0:
        return math.nan, math.nan, int(pairs)
    r = (lagged / pairs) / (within / float(n.sum()))
    return r, r * math.sqrt(pairs), int(pairs)


def unit_statistics(
    inputs: TaskInputs,
    quantities: Mapping[str, FloatArray],
    *,
    rank_values: Mapping[str, tuple[str, FloatArray, FloatArray | None]],
    serial_value: FloatArray,
    facts: Mapping[str, Any] | None = None,
    pairs: Sequence[tuple[str, str]] | None = None,
) -> UnitStatistics:
    """One pass over the validated rows.

    Parameters
    ----------
    quantities
        Name -> per-row quantity, already multiplied by the row weight (``weight`` first).
    rank_values
        Name -> (label, numerator, denominator or None): the per-unit value ranked by the
        rank test is ``sum(numerator) / sum(denominator)`` over the unit's rows (a row's value
        when unclustered; units with a zero denominator are left out).
    serial_value
        The per-row value whose lag-1 correlation reveals unflagged clusters.
    pairs
        The cross-products the metrics' standard errors need (None: all).
    """
    cell, keys = inputs.cell_codes()
    n_cells = len(keys)
    names = list(quantities)
    stacked = np.empty((len(names), inputs.n_rows), dtype=np.float64)
    for i, q in enumerate(names):
        stacked[i] = quantities[q]
    values = stacked.T  # (n, Q), each quantity contiguous
    cluster = inputs.values.get("cluster")
    column = inputs.columns.get("cluster")
    if cluster is not None and inputs.n_rows > 0:
        n_clusters = len(inputs.labels["cluster"])
        if n_clusters == inputs.n_rows:
            raise InvalidInputError(
                f"Column '{column}' (--cluster) has a different value on every row "
                f"({n_clusters} clusters in {inputs.n_rows} rows): a cluster groups repeated "
                "measurements of one unit (prompt, speaker, user); leave --cluster out when the "
                "rows are independent"
            )
    sums = unit_sums(cell, n_cells, values, names, cluster=cluster, pairs=pairs)
    weighted = inputs.values.get("sample_weight") is not None
    hists: dict[str, CellHistogram] = {}
    if not weighted:
        unit: IntArray | None = None
        unit_cell = cell
        if cluster is not None:
            unit, unit_cell, _ = unit_index(cell, cluster)
        for name, (label, num, den) in rank_values.items():
            top: FloatArray = np.asarray(num, dtype=np.float64)
            bottom: FloatArray | None = den
            if unit is not None:
                top = np.bincount(unit, weights=num, minlength=unit_cell.size).astype(np.float64)
                bottom = (
                    np.bincount(unit, minlength=unit_cell.size)
                    if den is None
                    else np.bincount(unit, weights=den, minlength=unit_cell.size)
                ).astype(np.float64)
            if bottom is None:
                per_unit = top
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    per_unit = np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1.0), np.nan)
            hists[name] = _histogram(label, unit_cell, n_cells, per_unit)
    serial = None if cluster is not None else _serial(cell, n_cells, serial_value)
    return UnitStatistics(
        tuple(f.name for f in inputs.features),
        keys,
        sums,
        weighted,
        hists,
        serial,
        dict(inputs.columns),
        dict(facts or {}),
    )


def choose_metrics(
    registry: Registry[MetricSpec],
    available: Sequence[str],
    requested: Sequence[str] | None,
    task: str,
    needs: str | None = None,
) -> list[MetricSpec]:
    """The metrics to evaluate: ``requested`` (checked) or every available one.

    ``needs`` says what a known but unavailable metric needs (default: the available list).
    """
    if requested is None:
        return [registry.get(m) for m in available]
    out: list[MetricSpec] = []
    for name in requested:
        if name not in registry:
            raise InvalidParameterError(
                f"Unknown {task} metric '{name}'; {task} metrics: {', '.join(available)}."
            )
        spec = registry.get(name)
        if spec.name not in available:
            raise InvalidParameterError(
                f"The {task} metric '{name}' needs "
                + (needs or f"columns this audit does not have; available: {', '.join(available)}")
                + "."
            )
        if spec not in out:
            out.append(spec)
    return out


def evaluate_units(
    stats: UnitStatistics,
    plan: SlicePlan,
    specs: Sequence[MetricSpec],
    options: TaskOptions,
    *,
    compared: Sequence[str],
) -> TaskEvaluation:
    """Evaluate ``specs`` over the plan's slices; design effects and warnings for the log."""
    memb = plan.membership
    hists = {name: RankHistogram(h.label, memb @ h.counts) for name, h in stats.hists.items()}
    ctx = UnitContext(
        stats.sums,
        memb,
        options.alpha,
        options.interval_method,
        options.bootstrap,
        options.rng,
        hists,
        frozenset(stats.facts.get(NONNEGATIVE, ())),
        unit_interval=frozenset(stats.facts.get(UNIT_INTERVAL, ())),
        weighted=stats.weighted,
    )
    evaluated = evaluate_all(ctx, list(specs))
    weight_total = memb @ stats.cell_weight
    for ev in evaluated.values():
        ev.weight_total = weight_total
    n = np.rint(memb @ stats.sums.rows.astype(np.float64)).astype(np.int64)
    warnings: list[str] = []
    resolved: dict[str, Any] = dict(stats.facts)
    cluster_col = stats.columns.get("cluster")
    if stats.sums.clustered:
        units, rows = float(ctx.k[0]), float(n[0])
        per = rows / units if units else math.nan
        deff = {m: round(d, 6) for m, d in ctx.design_effects.items()}
        icc = {
            m: round((d - 1.0) / (per - 1.0), 6) if per > 1 else None
            for m, d in ctx.design_effects.items()
        }
        resolved["cluster"] = {
            "column": cluster_col,
            "units": int(units),
            "mean_rows_per_unit": round(per, 6),
            "design_effect": deff,
            "intraclass_correlation": icc,
            "note": "units are the rows of one cluster in one cell; intervals and tests count "
            "units; design effect = variance with clusters / variance if rows were "
            "independent (overall slice); ICC = (design effect - 1) / (mean rows per unit - 1)",
        }
        big = {m: d for m, d in deff.items() if d > LARGE_DESIGN_EFFECT}
        if big:
            shown = ", ".join(f"{m} {d:.2f}" for m, d in big.items())
            warnings.append(
                f"Rows of one {cluster_col} cluster are strongly alike (design effect {shown}): "
                f"the {int(units)} clusters, not the {int(rows)} rows, are the independent units; "
                "intervals and tests count clusters"
            )
    elif stats.serial is not None:
        r, z, pairs = serial_correlation(stats.serial)
        resolved["serial_correlation"] = {
            "lag1": None if math.isnan(r) else round(r, 6),
            "z": None if math.isnan(z) else round(z, 3),
            "pairs": pairs,
            "note": "correlation of consecutive rows within a cell, around the cell mean; "
            "about N(0, 1/pairs) when rows are independent",
        }
        if not math.isnan(r) and r >= SERIAL_CORRELATION and z >= SERIAL_Z:
            warnings.append(
                f"Consecutive rows of a group are correlated (lag-1 correlation {r:.2f} over "
                f"{pairs} pairs, z = {z:.1f}): the rows may be repeated measurements of the same "
                "units (prompts, speakers, users) or sorted by a variable related to the value. "
                "If they come in clusters, pass --cluster COLUMN; intervals that treat them as "
                "independent rows are too narrow"
            )
    if stats.weighted:
        resolved["rank_test"] = "not run: the audit is weighted (Mann-Whitney ranks rows)"
    else:
        resolved["rank_test"] = {
            name: {"values": h.label, "bins": h.bins.size, "exact": h.bins.exact}
            for name, h in stats.hists.items()
        }
    names = [s.name for s in specs]
    return TaskEvaluation(
        evaluated=evaluated,
        n=n,
        comparison_metrics=[m for m in names if m in compared],
        warnings=warnings,
        resolved=resolved,
        reported=names,
    )
