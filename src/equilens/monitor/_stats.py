"""A batch reduced to the sufficient statistics the monitor needs; batches merge by addition.

Per group (``overall`` and every group of every sensitive feature): the row counts of the four
confusion cells and, with scores, a histogram of scores on :data:`SCORE_BINS` equal-width bins
of [0, 1]. Per drift feature: counts per category (categorical columns) or per bin of fixed,
reference-derived edges (numeric columns; missing values in a last bin). The group tables come
from the engine's finest-cell statistics (:func:`equilens.engines.compute_cell_stats`), summed
over the cells of each group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from equilens.data import (
    MISSING_LABEL,
    AuditInputs,
    ColumnRequest,
    group_label,
    load_columns,
    prepare_inputs,
)
from equilens.engines import compute_cell_stats
from equilens.exceptions import InvalidInputError

IntArray = NDArray[np.int64]

__all__ = ["OVERALL", "SCORE_BINS", "BatchStats", "ColumnSpec", "GroupRef", "reduce_batch"]

#: Equal-width score bins on [0, 1] (bin k is [k/100, (k+1)/100), the last one includes 1).
SCORE_BINS = 100

#: Quantile bins of a numeric drift feature, from the reference.
NUMERIC_BINS = 20


@dataclass(frozen=True, order=True)
class GroupRef:
    """A monitored group: ``feature=label``, or the whole population (feature None)."""

    feature: str | None
    label: str

    @property
    def name(self) -> str:
        """``overall`` or ``feature=label``."""
        return "overall" if self.feature is None else f"{self.feature}={self.label}"


OVERALL = GroupRef(None, "overall")


@dataclass(frozen=True)
class ColumnSpec:
    """Which columns a batch is read from (the same for the reference and every batch)."""

    y_true: str
    y_pred: str
    sensitive: tuple[str, ...]
    y_score: str | None = None
    positive_label: str | int | float | bool | None = None
    bins: Mapping[str, Sequence[float]] = field(default_factory=dict)
    features: tuple[str, ...] = ()


@dataclass(frozen=True)
class BatchStats:
    """Sufficient statistics of one batch (or of several, merged).

    Attributes
    ----------
    n_rows : int
    groups : tuple of GroupRef
        Groups present, ``overall`` first.
    conf : int array, shape (G, 2, 2)
        Row counts ``conf[g, y_true, y_pred]``.
    score_hist : int array, shape (G, SCORE_BINS), or None
    categorical : dict
        Drift feature -> category -> row count.
    numeric : dict
        Drift feature -> counts per bin of the monitor's edges, missing values last.
    """

    n_rows: int
    groups: tuple[GroupRef, ...]
    conf: IntArray
    score_hist: IntArray | None = None
    categorical: dict[str, dict[str, int]] = field(default_factory=dict)
    numeric: dict[str, IntArray] = field(default_factory=dict)

    def group_index(self, group: GroupRef) -> int | None:
        """Index of ``group`` in the tables, None when absent from this batch."""
        try:
            return self.groups.index(group)
        except ValueError:
            return None

    def merge(self, other: BatchStats) -> BatchStats:
        """The statistics of both batches together (tables added, groups aligned)."""
        if (self.score_hist is None) != (other.score_hist is None):
            raise InvalidInputError("Cannot merge monitor statistics with and without scores")
        if set(self.numeric) != set(other.numeric) or set(self.categorical) != set(
            other.categorical
        ):
            raise InvalidInputError("Cannot merge monitor statistics of different drift features")
        groups = tuple(sorted(set(self.groups) | set(other.groups), key=_group_order))
        conf = np.zeros((len(groups), 2, 2), dtype=np.int64)
        hist = None if self.score_hist is None else np.zeros((len(groups), SCORE_BINS), np.int64)
        for part in (self, other):
            idx = np.array([groups.index(g) for g in part.groups], dtype=np.int64)
            np.add.at(conf, idx, part.conf)
            if hist is not None and part.score_hist is not None:
                np.add.at(hist, idx, part.score_hist)
        categorical = {
            name: _add_counts(self.categorical[name], other.categorical[name])
            for name in self.categorical
        }
        numeric = {name: self.numeric[name] + other.numeric[name] for name in self.numeric}
        return BatchStats(self.n_rows + other.n_rows, groups, conf, hist, categorical, numeric)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (lists of ints)."""
        return {
            "n_rows": self.n_rows,
            "groups": [[g.feature, g.label] for g in self.groups],
            "conf": self.conf.tolist(),
            "score_hist": None if self.score_hist is None else self.score_hist.tolist(),
            "categorical": {k: dict(v) for k, v in self.categorical.items()},
            "numeric": {k: v.tolist() for k, v in self.numeric.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BatchStats:
        """Inverse of :meth:`to_dict`."""
        groups = tuple(GroupRef(f, str(lab)) for f, lab in data["groups"])
        conf = np.asarray(data["conf"], dtype=np.int64).reshape(len(groups), 2, 2)
        hist = data.get("score_hist")
        return cls(
            n_rows=int(data["n_rows"]),
            groups=groups,
            conf=conf,
            score_hist=None
            if hist is None
            else np.asarray(hist, dtype=np.int64).reshape(len(groups), SCORE_BINS),
            categorical={
                k: {str(c): int(n) for c, n in v.items()}
                for k, v in data.get("categorical", {}).items()
            },
            numeric={k: np.asarray(v, dtype=np.int64) for k, v in data.get("numeric", {}).items()},
        )


def _group_order(g: GroupRef) -> tuple[int, str, str]:
    return (0, "", "") if g.feature is None else (1, g.feature, g.label)


def _add_counts(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return dict(sorted(out.items()))


def _group_tables(inputs: AuditInputs) -> tuple[tuple[GroupRef, ...], IntArray, IntArray | None]:
    """Per-group confusion counts and score histograms, from the engine's finest cells."""
    feats = inputs.features
    cells = compute_cell_stats(
        y_true=inputs.y_true,
        y_pred=inputs.y_pred,
        feature_names=[f.name for f in feats],
        feature_codes=[f.codes for f in feats],
        feature_labels=[f.labels for f in feats],
        y_score=inputs.y_score,
        score_mode="grid",
        grid_bins=SCORE_BINS,
    )
    groups: list[GroupRef] = [OVERALL]
    members: list[NDArray[np.bool_]] = [np.ones(cells.n_cells, dtype=bool)]
    for j, f in enumerate(feats):
        labels = [key[j] for key in cells.keys]
        for label in f.labels:
            mask = np.array([lab == label for lab in labels], dtype=bool)
            if mask.any():
                groups.append(GroupRef(f.name, label))
                members.append(mask)
    member = np.vstack(members).astype(np.int64)  # (G, cells)
    conf = np.einsum("gc,cij->gij", member, cells.rows).astype(np.int64)
    hist = None
    if cells.score_hist is not None:
        per_cell = np.rint(cells.score_hist.sum(axis=1)).astype(np.int64)  # (cells, bins)
        hist = (member @ per_cell).astype(np.int64)
    return tuple(groups), conf, hist


def _feature_counts(
    data: object, spec: ColumnSpec, edges: Mapping[str, Sequence[float]] | None
) -> tuple[dict[str, dict[str, int]], dict[str, IntArray], dict[str, NDArray[np.float64]]]:
    """Counts of the drift features; numeric columns' raw values too (to set edges)."""
    categorical: dict[str, dict[str, int]] = {}
    numeric: dict[str, IntArray] = {}
    raw: dict[str, NDArray[np.float64]] = {}
    if not spec.features:
        return categorical, numeric, raw
    loaded = load_columns(
        data, [ColumnRequest(name, "drift feature") for name in spec.features], max_groups=1000
    )
    for name in spec.features:
        col = loaded.columns[name]
        is_numeric = pa.types.is_integer(col.type) or pa.types.is_floating(col.type)
        if edges is not None and name in edges and not is_numeric:
            raise InvalidInputError(
                f"Drift feature '{name}' in {loaded.where} is not numeric, but it was numeric "
                "in the monitor's reference"
            )
        if is_numeric and (edges is None or name in edges):
            values = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False)
            values = np.asarray(values, dtype=np.float64)
            if edges is None:
                raw[name] = values
                continue
            cuts = np.asarray(edges[name], dtype=np.float64)
            finite = np.isfinite(values)
            idx = np.where(finite, np.searchsorted(cuts, values, side="right"), cuts.size + 1)
            numeric[name] = np.bincount(idx, minlength=cuts.size + 2).astype(np.int64)
        else:
            texts = [
                MISSING_LABEL if v is None or v == "" else group_label(str(v))
                for v in col.to_pylist()
            ]
            uniq, counts = np.unique(np.asarray(texts, dtype=object), return_counts=True)
            categorical[name] = {str(u): int(c) for u, c in zip(uniq, counts, strict=True)}
    return categorical, numeric, raw


def numeric_edges(values: NDArray[np.float64], n_bins: int = NUMERIC_BINS) -> list[float]:
    """Interior bin edges at the reference's quantiles ``j / n_bins`` (distinct, finite)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return []
    qs = np.quantile(finite, np.arange(1, n_bins) / n_bins)
    return [float(q) for q in np.unique(qs)]


def reduce_batch(
    data: object,
    spec: ColumnSpec,
    *,
    numeric_bin_edges: Mapping[str, Sequence[float]] | None,
) -> tuple[BatchStats, str, dict[str, list[float]]]:
    """Read one batch and reduce it to :class:`BatchStats`.

    Parameters
    ----------
    data : DataFrame, Table, dict, str or Path
        The rows (a CSV/Parquet path, a DataFrame, ...) as for :func:`equilens.data.prepare_inputs`.
    spec : ColumnSpec
    numeric_bin_edges : mapping or None
        Edges of each numeric drift feature; None for the reference, whose quantiles set them.

    Returns
    -------
    stats : BatchStats
    fingerprint : str
        The data fingerprint digest of the label, score and sensitive columns.
    edges : dict
        The numeric drift features' edges (the given ones, or those set from this batch).
    """
    inputs = prepare_inputs(
        data,
        y_true=spec.y_true,
        y_pred=spec.y_pred,
        y_score=spec.y_score,
        sensitive=list(spec.sensitive),
        positive_label=spec.positive_label,
        bins={k: list(v) for k, v in spec.bins.items()} or None,
    )
    groups, conf, hist = _group_tables(inputs)
    categorical, numeric, raw = _feature_counts(data, spec, numeric_bin_edges)
    edges = {k: list(v) for k, v in (numeric_bin_edges or {}).items()}
    for name, values in raw.items():
        edges[name] = numeric_edges(values)
        cuts = np.asarray(edges[name], dtype=np.float64)
        finite = np.isfinite(values)
        idx = np.where(finite, np.searchsorted(cuts, values, side="right"), cuts.size + 1)
        numeric[name] = np.bincount(idx, minlength=cuts.size + 2).astype(np.int64)
    stats = BatchStats(inputs.n_rows, groups, conf, hist, categorical, numeric)
    return stats, inputs.fingerprint.digest, edges
