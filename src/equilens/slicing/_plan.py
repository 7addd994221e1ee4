"""Slices (groups) of an audit and how they are built from the finest cells.

A :class:`Slice` is a mapping feature -> value (the overall population is the empty mapping).
A :class:`Family` is a set of disjoint slices that partition the population: one sensitive
feature, or one intersection of features. Comparisons and fairness criteria are computed within
a family, against its reference slice.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from equilens.exceptions import InvalidParameterError

ReferenceRule = Literal["largest", "most_favoured"]


@dataclass(frozen=True)
class Slice:
    """One group: the features it fixes and their values (both empty for the overall)."""

    features: tuple[str, ...]
    values: tuple[str, ...]

    @property
    def mapping(self) -> dict[str, str]:
        """The slice as a mapping feature -> value."""
        return dict(zip(self.features, self.values))

    def label(self) -> str:
        """A short human-readable label."""
        if not self.features:
            return "overall"
        return ", ".join(f"{f}={v}" for f, v in zip(self.features, self.values))


@dataclass(frozen=True)
class Family:
    """Disjoint slices over the same features, with the reference slice for comparisons."""

    features: tuple[str, ...]
    members: tuple[int, ...]
    reference: int
    reference_rule: str
    reference_candidates: int = 1
    """How many groups the rule could have picked as the reference from the data (1 when
    the reference is explicit or the largest group: fixed in advance for the tests)."""

    def label(self) -> str:
        """The family's features joined with ' x '."""
        return " x ".join(self.features)


@dataclass(frozen=True)
class SlicePlan:
    """Every slice an audit reports, with its membership over the finest cells."""

    slices: tuple[Slice, ...]
    membership: NDArray[np.float64]
    families: tuple[Family, ...]

    @property
    def n_slices(self) -> int:
        """Number of slices, the overall included (index 0)."""
        return len(self.slices)


def resolve_intersections(
    features: Sequence[str], intersections: bool | Sequence[Sequence[str]]
) -> list[tuple[str, ...]]:
    """Families to report: each feature alone, then the requested intersections.

    ``intersections=True`` means every combination of two or more features.
    """
    families: list[tuple[str, ...]] = [(f,) for f in features]
    if intersections is True:
        for r in range(2, len(features) + 1):
            families.extend(itertools.combinations(features, r))
    elif intersections:
        for combo in intersections:
            combo_t = tuple(combo)
            unknown = [f for f in combo_t if f not in features]
            if unknown or len(combo_t) < 2 or len(set(combo_t)) != len(combo_t):
                raise InvalidParameterError(
                    f"The 'intersections' parameter of audit must list two or more distinct "
                    f"sensitive features; got {list(combo_t)} "
                    f"(sensitive features: {', '.join(features)})."
                )
            ordered = tuple(f for f in features if f in combo_t)
            if ordered not in families:
                families.append(ordered)
    return families


class CellSummary(Protocol):
    """What slicing reads of an engine's statistics: the finest cells and their sizes."""

    @property
    def features(self) -> tuple[str, ...]: ...

    @property
    def keys(self) -> tuple[tuple[str, ...], ...]: ...

    @property
    def cell_rows(self) -> NDArray[np.int64]:
        """Rows per cell."""
        ...

    @property
    def cell_weight(self) -> NDArray[np.float64]:
        """Total weight per cell (rows when unweighted)."""
        ...

    @property
    def cell_favoured(self) -> NDArray[np.float64] | None:
        """Weight of the favourable outcome per cell (None: the task has none)."""
        ...


def build_plan(
    stats: CellSummary,
    families: Sequence[tuple[str, ...]],
    *,
    reference: Mapping[str, str] | None = None,
    reference_rule: ReferenceRule = "largest",
    min_group_size: int = 1,
) -> SlicePlan:
    """Build all slices as sums of finest cells, and pick each family's reference slice.

    ``most_favoured`` picks the highest selection rate among the groups of at least
    ``min_group_size`` rows (all groups if none is that large): a tiny group with a high rate
    by chance would make every comparison of its family too small to judge.
    """
    reference = dict(reference or {})
    for feat, val in reference.items():
        if feat not in stats.features:
            raise InvalidParameterError(
                f"The 'reference' parameter of audit names feature '{feat}', which is not a "
                f"sensitive feature ({', '.join(stats.features)})."
            )
        idx = stats.features.index(feat)
        seen = {k[idx] for k in stats.keys}
        if val not in seen:
            raise InvalidParameterError(
                f"The reference group '{val}' of feature '{feat}' does not occur in the data; "
                f"groups: {', '.join(sorted(seen)[:10])}."
            )
    n_cells = len(stats.keys)
    rows_per_cell = stats.cell_rows
    sel_per_cell = stats.cell_favoured
    w_per_cell = stats.cell_weight
    if reference_rule == "most_favoured" and sel_per_cell is None:
        raise InvalidParameterError(
            "The 'reference_rule' parameter of audit is 'most_favoured', but this task has no "
            "favourable outcome to rank groups by; use 'largest' or name the reference groups."
        )
    slices: list[Slice] = [Slice((), ())]
    member_rows: list[NDArray[np.float64]] = [np.ones(n_cells)]
    out_families: list[Family] = []
    for fam in families:
        positions = [stats.features.index(f) for f in fam]
        groups: dict[tuple[str, ...], list[int]] = {}
        for c, key in enumerate(stats.keys):
            groups.setdefault(tuple(key[i] for i in positions), []).append(c)
        members: list[int] = []
        sizes: list[int] = []
        rates: list[float] = []
        for values in sorted(groups, key=_sort_key):
            m = np.zeros(n_cells)
            m[groups[values]] = 1.0
            members.append(len(slices))
            slices.append(Slice(fam, values))
            member_rows.append(m)
            sizes.append(int(rows_per_cell[groups[values]].sum()))
            wtot = float(w_per_cell[groups[values]].sum())
            favoured = 0.0 if sel_per_cell is None else float(sel_per_cell[groups[values]].sum())
            rates.append(favoured / wtot if wtot > 0 else -1.0)
        ref_pos, rule, candidates = _choose_reference(
            fam,
            [slices[i].values for i in members],
            sizes,
            rates,
            reference,
            reference_rule,
            min_group_size,
        )
        out_families.append(Family(fam, tuple(members), members[ref_pos], rule, candidates))
    return SlicePlan(tuple(slices), np.vstack(member_rows), tuple(out_families))


def _sort_key(values: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    # "<missing>" sorts last within each feature.
    return tuple((1 if v == "<missing>" else 0, v) for v in values)


def _choose_reference(
    fam: tuple[str, ...],
    values: list[tuple[str, ...]],
    sizes: list[int],
    rates: list[float],
    reference: Mapping[str, str],
    rule: ReferenceRule,
    min_group_size: int,
) -> tuple[int, str, int]:
    """Position of the reference among the family's groups, the rule used, and the number
    of groups the rule chose among when it chose from the data (else 1)."""
    if all(f in reference for f in fam):
        wanted = tuple(reference[f] for f in fam)
        if wanted in values and sizes[values.index(wanted)] > 0:
            return values.index(wanted), "explicit", 1
    if rule == "most_favoured":
        eligible = np.asarray(sizes) >= min_group_size
        if not eligible.any():
            eligible = np.asarray(sizes) > 0
        masked = np.where(eligible, np.asarray(rates), -np.inf)
        return int(np.argmax(masked)), "most_favoured", int(eligible.sum())
    return int(np.argmax(sizes)), "largest", 1
