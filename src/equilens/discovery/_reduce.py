"""From significant slices to findings: error control over the lattice, then overlap reduction.

Every slice with enough support on both sides is one hypothesis (tested, or pruned by the
optimistic bound and entered with p = 1); the p-values are adjusted over all of them at once
(Benjamini-Hochberg, or Benjamini-Yekutieli under arbitrary dependence). Among the significant
slices, a refinement that is not worse than a significant parent by more than noise (a
one-sided test of the slice against the rest of the parent) is ``subsumed``; a slice whose
excess disappears once its significant refinements are taken out (the rest of it is not worse
than the rows outside it) is ``explained`` by them; the others are ``discovered``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from equilens.discovery._evidence import compare
from equilens.discovery._search import Lattice, SumCounter
from equilens.stats import benjamini_hochberg

__all__ = ["Candidate", "RestSums", "adjust", "reduce_overlaps", "significant"]

FloatArray = NDArray[np.float64]
Cells = tuple[tuple[int, int], ...]  # (feature index, level index) per condition
#: Slice masks kept for reuse by the reduction (one byte per unit each).
_CACHED = 64


@dataclass
class Candidate:
    """One significant slice and what the reduction found."""

    cells: Cells
    sums: FloatArray
    p_value: float
    q_value: float
    test: str
    status: str = "discovered"
    parent: Cells | None = None
    p_vs_parent: float | None = None
    explained_by: list[Cells] = field(default_factory=list)


def adjust(p: FloatArray, method: Literal["bh", "by"]) -> FloatArray:
    """Adjusted p-values over one family (BY: BH times ``sum_{i<=m} 1/i``, clipped at 1)."""
    q = benjamini_hochberg(p)
    if method == "by":
        m = int(np.sum(~np.isnan(p)))
        q = np.minimum(q * float(np.sum(1.0 / np.arange(1, m + 1))), 1.0)
    return q


def significant(
    lattice: Lattice, fdr: float, method: Literal["bh", "by"]
) -> tuple[list[Candidate], dict[str, int]]:
    """The slices rejected over the whole lattice, and the counts of the family."""
    keys: list[tuple[tuple[int, ...], int]] = []
    ps: list[FloatArray] = []
    tests: list[NDArray[np.str_]] = []
    n_undefined = n_pruned = n_tested = 0
    for combo, level in lattice.levels.items():
        pruned = level.eligible & ~level.tested
        p = np.where(pruned, 1.0, level.p_value)
        member = level.eligible & ~np.isnan(p)
        n_pruned += int(pruned.sum())
        n_tested += int((level.tested & member).sum())
        n_undefined += int((level.tested & ~member).sum())
        idx = np.flatnonzero(member)
        keys.extend((combo, int(i)) for i in idx)
        ps.append(p[idx])
        tests.append(level.test[idx])
    p_all = np.concatenate(ps) if ps else np.zeros(0)
    test_all = np.concatenate(tests) if tests else np.zeros(0, dtype=np.str_)
    q_all = adjust(p_all, method)
    out = []
    for i in np.flatnonzero(q_all <= fdr):
        combo, cell = keys[i]
        level = lattice.levels[combo]
        lv = np.unravel_index(cell, level.shape)
        cells = tuple((f, int(v)) for f, v in zip(combo, lv, strict=True))
        out.append(
            Candidate(cells, level.sums[cell], float(p_all[i]), float(q_all[i]), str(test_all[i]))
        )
    counts = {
        "n_hypotheses": int(p_all.size),
        "n_tested": n_tested,
        "n_pruned": n_pruned,
        "n_undefined": n_undefined,
        "n_skipped_sets": lattice.skipped_sets,
    }
    return out, counts


def _sums_of(lattice: Lattice, cells: Cells) -> FloatArray:
    combo = tuple(f for f, _ in cells)
    level = lattice.levels[combo]
    out: FloatArray = level.sums[level.cell([v for _, v in cells])]
    return out


class RestSums:
    """Sums over the units of masks built from slices (for the reduction's row-level tests)."""

    def __init__(self, codes: Sequence[NDArray[np.int64]], count: SumCounter) -> None:
        self.codes = codes
        self.count = count
        self._levels: dict[tuple[int, int], NDArray[np.bool_]] = {}
        self._slices: dict[Cells, NDArray[np.bool_]] = {}

    def _level(self, f: int, v: int) -> NDArray[np.bool_]:
        if (f, v) not in self._levels:
            self._levels[(f, v)] = self.codes[f] == v
        return self._levels[(f, v)]

    def mask(self, cells: Cells) -> NDArray[np.bool_]:
        """The units of a slice (the last _CACHED slices' masks are kept: unions reuse them)."""
        if cells in self._slices:
            return self._slices[cells]
        m = np.ones(self.codes[0].shape[0], dtype=bool)
        for f, v in cells:
            m &= self._level(f, v)
        if len(self._slices) >= _CACHED:
            del self._slices[next(iter(self._slices))]
        self._slices[cells] = m
        return m

    def union(self, slices: Sequence[Cells]) -> NDArray[np.bool_]:
        m = np.zeros(self.codes[0].shape[0], dtype=bool)
        for cells in slices:
            m |= self.mask(cells)
        return m

    def sums(self, mask: NDArray[np.bool_]) -> FloatArray:
        return self.count.masked(mask)


def _disjoint(a: Cells, b: Cells) -> bool:
    """Whether two conjunctions cannot share a unit (one feature at two different levels)."""
    levels = dict(a)
    return any(f in levels and levels[f] != v for f, v in b)


def _nested(a: Cells, b: Cells) -> bool:
    sa, sb = frozenset(a), frozenset(b)
    return sa <= sb or sb <= sa


def _p_values(
    slices: list[FloatArray],
    others: list[FloatArray],
    proportion: bool,
    worse: Literal["higher", "lower"],
) -> FloatArray:
    """One-sided p-values of each slice against its other side, in one vectorised call."""
    if not slices:
        return np.zeros(0)
    return compare(np.stack(slices), np.stack(others), proportion, worse).p_value


def reduce_overlaps(
    found: list[Candidate],
    lattice: Lattice,
    rows: RestSums,
    *,
    n_hypotheses: int,
    proportion: bool,
    worse: Literal["higher", "lower"],
    level: float,
) -> None:
    """Mark each candidate ``discovered``, ``subsumed``, ``explained`` or ``weak``.

    1. A refinement not worse than a significant parent's other rows (one-sided, at
       ``level``) is ``subsumed``.
    2. The rest are taken in order of p-value and kept as long as the k-th kept one has
       ``p <= level * k / n_hypotheses`` (the step-down Benjamini-Hochberg criterion within the
       reduced list, the family still being every slice searched). On the way, a slice whose
       rows outside its significant refinements are not worse than the rows outside it (at
       ``level``) is ``explained`` by those refinements; a slice overlapping slices already
       kept (without being nested in them) must meet the criterion on its rows outside them,
       against the rows outside both, else it is ``explained`` by them. Those left are
       ``weak`` (significant in the search, not distinct enough to list).

    Row-level work (masks) is done only for the slices the walk reaches.
    """
    by_key = {frozenset(c.cells): c for c in found}
    pairs: list[tuple[Candidate, Cells]] = []
    for cand in found:
        for j in range(len(cand.cells) if len(cand.cells) > 1 else 0):
            parent = cand.cells[:j] + cand.cells[j + 1 :]
            if frozenset(parent) in by_key:
                pairs.append((cand, parent))
    p_parent = _p_values(
        [c.sums for c, _ in pairs],
        [_sums_of(lattice, par) - c.sums for c, par in pairs],
        proportion,
        worse,
    )
    for (cand, parent), p in zip(pairs, p_parent, strict=True):
        if cand.p_vs_parent is None or not p <= cand.p_vs_parent:
            cand.p_vs_parent = float(p)
        if not p <= level:
            cand.status, cand.parent = "subsumed", parent
    kept = [c for c in found if c.status == "discovered"]
    containing: dict[tuple[int, int], set[int]] = {}
    for i, c in enumerate(kept):
        for cell in c.cells:
            containing.setdefault(cell, set()).add(i)

    def refinements(cand: Candidate) -> list[Cells]:
        idx = set.intersection(*(containing[cell] for cell in cand.cells))
        return [kept[i].cells for i in sorted(idx) if len(kept[i].cells) > len(cand.cells)]

    accepted: list[Candidate] = []
    for cand in sorted(kept, key=lambda c: c.p_value):
        threshold = level * (len(accepted) + 1) / n_hypotheses
        others = [
            a.cells
            for a in accepted
            if not _nested(a.cells, cand.cells) and not _disjoint(a.cells, cand.cells)
        ]
        if not cand.p_value <= threshold:
            cand.status = "explained" if others else "weak"
            cand.explained_by = others
            continue
        below = refinements(cand)
        if below:
            rest = rows.sums(rows.mask(cand.cells) & ~rows.union(below))
            p = _p_values([rest], [lattice.total - cand.sums], proportion, worse)[0]
            if not p <= level:
                cand.status, cand.explained_by = "explained", below
                continue
        if others:
            covered = rows.union(others)
            inside = rows.mask(cand.cells)
            p = _p_values(
                [rows.sums(inside & ~covered)], [rows.sums(~inside & ~covered)], proportion, worse
            )[0]
            if not p <= threshold:
                cand.status, cand.explained_by = "explained", others
                continue
        accepted.append(cand)
