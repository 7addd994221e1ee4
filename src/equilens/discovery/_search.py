"""The search lattice: every conjunction of up to ``max_order`` features, counted from codes.

For each set of features (in lexicographic order, so that consecutive sets share a prefix
whose combined code is reused), the combined code of every unit is a mixed-radix number and
one ``np.bincount`` gives the sums of every cell of that set at once: for rates a single
integer bincount over (cell, outcome profile), otherwise one weighted bincount per sum needed.

Pruning (all of it exact, none of it looks at a slice's own outcome before counting it):

* support: a cell with fewer than ``min_support`` rows is not a hypothesis, and neither is any
  refinement of it (its support is no larger); a feature set none of whose cells in some
  parent set has the support is not counted at all;
* optimistic bound (rates): a cell whose sub-slices cannot reach a one-sided p-value at or
  below the error level (:func:`descendant_bound`) is not expanded: its refinements are
  counted as hypotheses (they enter the family with p = 1, which changes no decision: their
  p-values exceed the level) but not tested.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from equilens.discovery._evidence import DD, DEN, ND, NN, NUM, ROWS, U, compare, descendant_bound
from equilens.discovery._features import SliceFeature

__all__ = ["Lattice", "Level", "SumCounter", "search"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]


@dataclass
class Level:
    """The cells of one feature set: sums, and what the search did with each cell."""

    features: tuple[int, ...]
    shape: tuple[int, ...]
    sums: FloatArray  # (C, Q)
    eligible: BoolArray  # enough support on both sides: a hypothesis
    tested: BoolArray  # eligible and tested
    alive: BoolArray  # may have discoverable refinements
    p_value: FloatArray  # NaN where not tested or undefined
    test: NDArray[np.str_]

    def cell(self, levels: Sequence[int]) -> int:
        return int(np.ravel_multi_index(tuple(levels), self.shape))


@dataclass
class Lattice:
    """Every feature set searched, with the totals of the data."""

    total: FloatArray  # (Q,)
    levels: dict[tuple[int, ...], Level] = field(default_factory=dict)
    skipped_sets: int = 0


class SumCounter:
    """Sums per cell of a combined code (see the module docstring).

    For rates, each unit's outcome profile (0: not in the denominator, 1: no event, 2: event)
    is the most significant digit of the code (:attr:`base`), so that one integer bincount
    gives every sum; callers build codes on top of ``base`` (``base * n_cells + cell``, or
    with :meth:`cells`).
    """

    def __init__(self, num: FloatArray, den: FloatArray, rows: FloatArray, proportion: bool):
        self.proportion = proportion
        self.num, self.den, self.rows = num, den, rows
        n = num.shape[0]
        self.base = (den + num).astype(np.int64) if proportion else np.zeros(n, dtype=np.int64)
        self.unit_den = bool(np.all(den == 1.0))
        self.unit_rows = bool(np.all(rows == 1.0))
        self._flags: tuple[NDArray[np.bool_], NDArray[np.bool_]] | None = None

    def cells(self, cell: IntArray, n_cells: int) -> FloatArray:
        """Sums per cell of a plain cell code in ``range(n_cells)``."""
        return self(self.base * n_cells + cell, n_cells)

    def masked(self, mask: NDArray[np.bool_]) -> FloatArray:
        """Sums over the units where ``mask`` holds (counts of boolean ANDs: no gathering)."""
        out = np.empty(7)
        out[U] = np.count_nonzero(mask)
        if self.proportion:
            if self._flags is None:
                self._flags = (self.base >= 1, self.base == 2)
            counted, event = self._flags
            out[ROWS] = out[U]
            out[DEN] = out[DD] = np.count_nonzero(mask & counted)
            out[NUM] = out[NN] = out[ND] = np.count_nonzero(mask & event)
            return out
        for col, x in (
            (ROWS, self.rows),
            (DEN, self.den),
            (NUM, self.num),
            (NN, self.num * self.num),
            (ND, self.num * self.den),
            (DD, self.den * self.den),
        ):
            out[col] = np.sum(x, where=mask)
        return out

    def __call__(self, code: IntArray, n_cells: int) -> FloatArray:
        out = np.empty((n_cells, 7))
        if self.proportion:
            b = np.bincount(code, minlength=3 * n_cells)
            b = b.reshape(3, n_cells).astype(np.float64)
            out[:, U] = out[:, ROWS] = b.sum(axis=0)
            out[:, DEN] = out[:, DD] = b[1] + b[2]
            out[:, NUM] = out[:, NN] = out[:, ND] = b[2]
            return out

        def w(x: FloatArray) -> FloatArray:
            return np.bincount(code, weights=x, minlength=n_cells).astype(np.float64)

        out[:, U] = np.bincount(code, minlength=n_cells)
        out[:, ROWS] = out[:, U] if self.unit_rows else w(self.rows)
        out[:, NUM] = w(self.num)
        out[:, NN] = w(self.num * self.num)
        if self.unit_den:
            out[:, DEN] = out[:, DD] = out[:, U]
            out[:, ND] = out[:, NUM]
        else:
            out[:, DEN] = w(self.den)
            out[:, ND] = w(self.num * self.den)
            out[:, DD] = w(self.den * self.den)
        return out


def _parent_cells(shape: tuple[int, ...]) -> list[IntArray]:
    """For each position j, the code of every cell's parent without feature j."""
    idx = np.unravel_index(np.arange(int(np.prod(shape))), shape)
    out = []
    for j in range(len(shape)):
        rest = tuple(i for k, i in enumerate(idx) if k != j)
        sub = tuple(s for k, s in enumerate(shape) if k != j)
        out.append(np.ravel_multi_index(rest, sub).astype(np.int64))
    return out


def search(
    features: Sequence[SliceFeature],
    num: FloatArray,
    den: FloatArray,
    rows: FloatArray,
    *,
    proportion: bool,
    worse: Literal["higher", "lower"],
    max_order: int,
    min_support: int,
    level: float,
) -> Lattice:
    """Count and test every conjunction of up to ``max_order`` features (module docstring)."""
    count = SumCounter(num, den, rows, proportion)
    total = count(count.base, 1)[0]
    lattice = Lattice(total)
    n_rows = total[ROWS]
    for order in range(1, min(max_order, len(features)) + 1):
        prefix: tuple[int, ...] = ()
        prefix_code = count.base
        for combo in itertools.combinations(range(len(features)), order):
            parents = [combo[:j] + combo[j + 1 :] for j in range(order)] if order > 1 else []
            if any(
                p not in lattice.levels
                or not (lattice.levels[p].sums[:, ROWS] >= min_support).any()
                for p in parents
            ):
                lattice.skipped_sets += 1
                continue
            shape = tuple(features[f].n_levels for f in combo)
            if combo[:-1] != prefix:
                prefix = combo[:-1]
                prefix_code = count.base
                for f in prefix:
                    prefix_code = prefix_code * features[f].n_levels + features[f].codes
            cell = prefix_code * shape[-1] + features[combo[-1]].codes
            sums = count(cell, int(np.prod(shape)))
            support = sums[:, ROWS] >= min_support
            eligible = support & (n_rows - sums[:, ROWS] >= min_support)
            parents_alive = np.ones(sums.shape[0], dtype=bool)
            for p, pcell in zip(parents, _parent_cells(shape) if parents else [], strict=True):
                parents_alive &= lattice.levels[p].alive[pcell]
            tested = eligible & parents_alive
            p_value = np.full(sums.shape[0], np.nan)
            test = np.full(sums.shape[0], "pruned", dtype="<U12")
            alive = support & parents_alive
            if proportion and alive.any():
                bound = np.ones(sums.shape[0])
                bound[alive] = descendant_bound(sums[alive], total)
                alive &= bound <= level
            lattice.levels[combo] = Level(
                combo, shape, sums, eligible, tested, alive, p_value, test
            )
    _test_all(lattice, proportion, worse)
    return lattice


def _test_all(lattice: Lattice, proportion: bool, worse: Literal["higher", "lower"]) -> None:
    """Test every tested cell against the rest, in one vectorised call."""
    levels = [lv for lv in lattice.levels.values() if lv.tested.any()]
    if not levels:
        return
    sums = np.concatenate([lv.sums[lv.tested] for lv in levels])
    cmp = compare(sums, lattice.total[None, :] - sums, proportion, worse)
    start = 0
    for lv in levels:
        stop = start + int(lv.tested.sum())
        lv.p_value[lv.tested] = cmp.p_value[start:stop]
        lv.test[lv.tested] = cmp.test[start:stop]
        start = stop
