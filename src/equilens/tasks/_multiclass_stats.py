"""The one counting pass of a multiclass audit: K x K confusion counts per finest cell.

Per finest cell (the full intersection of the sensitive features) the pass keeps

* ``rows[c, t, p]``, ``wsum[c, t, p]``, ``wsq[c, t, p]``: rows, sum of weights and sum of
  squared weights with true class ``t`` and predicted class ``p`` (one ``np.bincount`` over
  ``cell * K * K + t * K + p``);
* with class scores (``y_score``, one column per class in sorted class order):
  ``topk_*[c, hit]``: the same three sums split by whether the true class is among the
  ``top_k`` highest scores (ties broken as scikit-learn's ``top_k_accuracy_score``), and
  ``score_hist[c, k, y, b]``: the weighted histogram of class ``k``'s score over ``G``
  equal-width bins of [0, 1], split by ``y = (true class == k)`` (one-vs-rest ROC-AUC);
  ``score_mixed[k, b]`` marks bins holding more than one distinct score (the AUC's binning
  error bound counts only those).

Everything is a sum, so :meth:`MulticlassStats.merge` of two batches equals the statistics of
the concatenated rows (cells aligned by key, classes by label).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilens.data._columns import TaskInputs
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.stats._tables import merged_key_order

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

__all__ = [
    "DEFAULT_TOP_K",
    "MulticlassStats",
    "check_settings",
    "class_order",
    "multiclass_statistics",
    "score_bins_for",
]

#: scikit-learn's default ``k`` of ``top_k_accuracy_score``.
DEFAULT_TOP_K = 2
#: Most histogram entries (cells x classes x 2 x bins) kept for the one-vs-rest AUCs.
MAX_HIST_ENTRIES = 1 << 23
#: Finest and coarsest score grids.
MAX_SCORE_BINS = 4096
MIN_SCORE_BINS = 256
#: Rows handled at once by the score pass (bounds its temporary memory).
_CHUNK = 1 << 18


def check_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the multiclass settings: ``top_k`` (int >= 1, default 2)."""
    unknown = sorted(set(settings) - {"top_k"})
    if unknown:
        raise InvalidParameterError(
            f"Unknown multiclass setting(s) {', '.join(unknown)}; the multiclass task takes "
            "'top_k' (int >= 1)."
        )
    top_k = settings.get("top_k", DEFAULT_TOP_K)
    if isinstance(top_k, bool) or not isinstance(top_k, int | np.integer) or top_k < 1:
        raise InvalidParameterError(
            f"The 'top_k' setting of the multiclass task must be an int >= 1. Got {top_k!r} "
            "instead."
        )
    return {"top_k": int(top_k)}


def class_order(labels: set[str] | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Class labels sorted as the columns sort them: numerically when all are numbers."""

    def number(x: str) -> float | None:
        try:
            return float(x)
        except ValueError:
            return None

    items = list(dict.fromkeys(labels))
    if items and all(number(x) is not None for x in items):
        return tuple(sorted(items, key=lambda x: (number(x), x)))
    return tuple(sorted(items))


def score_bins_for(n_cells: int, n_classes: int) -> int:
    """Grid size of the score histograms: the finest power of two within the memory cap."""
    g = MAX_SCORE_BINS
    while g > MIN_SCORE_BINS and n_cells * n_classes * 2 * g > MAX_HIST_ENTRIES:
        g //= 2
    return g


@dataclass(frozen=True)
class MulticlassStats:
    """K x K confusion sums per finest cell, plus top-k hits and score histograms."""

    features: tuple[str, ...]
    keys: tuple[tuple[str, ...], ...]
    classes: tuple[str, ...]
    rows: IntArray  # (C, K, K)
    wsum: FloatArray  # (C, K, K)
    wsq: FloatArray  # (C, K, K)
    weighted: bool
    top_k: int = DEFAULT_TOP_K
    topk_rows: IntArray | None = None  # (C, 2): [miss, hit]
    topk_wsum: FloatArray | None = None
    topk_wsq: FloatArray | None = None
    score_hist: FloatArray | None = None  # (C, K, 2, G): [rest, class]
    score_rep: FloatArray | None = None  # (K, G): one score seen in each bin
    score_mixed: NDArray[np.bool_] | None = None  # (K, G): bin holds several distinct scores

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def has_scores(self) -> bool:
        return self.score_hist is not None

    @property
    def cell_rows(self) -> IntArray:
        return np.asarray(self.rows.sum(axis=(1, 2)), dtype=np.int64)

    @property
    def cell_weight(self) -> FloatArray:
        return np.asarray(self.wsum.sum(axis=(1, 2)), dtype=np.float64)

    @property
    def cell_favoured(self) -> FloatArray | None:
        return None  # no class is the favourable outcome

    def merge(self, other: MulticlassStats) -> MulticlassStats:
        """The statistics of both batches' rows together (cells by key, classes by label)."""
        if self.features != other.features:
            raise InvalidParameterError(
                f"Cannot merge multiclass statistics over different sensitive features "
                f"({', '.join(self.features)} vs {', '.join(other.features)})"
            )
        if self.has_scores != other.has_scores or (
            self.has_scores and (self.top_k, self.classes) != (other.top_k, other.classes)
        ):
            raise InvalidParameterError(
                "Cannot merge multiclass statistics unless both batches have class scores for "
                "the same classes and top_k, or neither has scores"
            )
        keys = merged_key_order(len(self.features), self.keys, other.keys)
        classes = class_order(set(self.classes) | set(other.classes))
        k = len(classes)

        def place(s: MulticlassStats, a: NDArray[Any]) -> NDArray[Any]:
            out = np.zeros((len(keys), k, k), dtype=a.dtype)
            ci = np.array([keys.index(x) for x in s.keys], dtype=np.intp)
            ki = np.array([classes.index(x) for x in s.classes], dtype=np.intp)
            out[np.ix_(ci, ki, ki)] = a
            return out

        def cells(s: MulticlassStats, a: NDArray[Any] | None) -> NDArray[Any] | None:
            if a is None:
                return None
            out = np.zeros((len(keys), *a.shape[1:]), dtype=a.dtype)
            out[[keys.index(x) for x in s.keys]] = a
            return out

        def add(a: NDArray[Any] | None, b: NDArray[Any] | None) -> Any:
            return None if a is None or b is None else a + b

        rep = mixed = None
        if self.has_scores:
            assert self.score_rep is not None and other.score_rep is not None
            assert self.score_mixed is not None and other.score_mixed is not None
            assert self.score_hist is not None and other.score_hist is not None
            if self.score_hist.shape[-1] != other.score_hist.shape[-1]:
                raise InvalidParameterError(
                    "Cannot merge multiclass score histograms on different grids"
                )
            seen_a = self.score_hist.sum(axis=(0, 2)) > 0
            seen_b = other.score_hist.sum(axis=(0, 2)) > 0
            rep = np.where(seen_a, self.score_rep, other.score_rep)
            mixed = self.score_mixed | other.score_mixed
            mixed |= seen_a & seen_b & (self.score_rep != other.score_rep)
        return MulticlassStats(
            features=self.features,
            keys=keys,
            classes=classes,
            rows=place(self, self.rows) + place(other, other.rows),
            wsum=place(self, self.wsum) + place(other, other.wsum),
            wsq=place(self, self.wsq) + place(other, other.wsq),
            weighted=self.weighted or other.weighted,
            top_k=self.top_k,
            topk_rows=add(cells(self, self.topk_rows), cells(other, other.topk_rows)),
            topk_wsum=add(cells(self, self.topk_wsum), cells(other, other.topk_wsum)),
            topk_wsq=add(cells(self, self.topk_wsq), cells(other, other.topk_wsq)),
            score_hist=add(cells(self, self.score_hist), cells(other, other.score_hist)),
            score_rep=rep,
            score_mixed=mixed,
        )


def _label(inputs: TaskInputs, role: str) -> str:
    name = inputs.columns.get(role)
    return f"column '{name}' ({role})" if isinstance(name, str) else role


def _pred_codes(inputs: TaskInputs, classes: tuple[str, ...]) -> IntArray:
    """y_pred codes mapped onto the classes of y_true; a class only predicted is an error."""
    pred_labels = inputs.labels["y_pred"]
    index = {c: i for i, c in enumerate(classes)}
    only_pred = [c for c in pred_labels if c not in index]
    if only_pred:
        shown = ", ".join(repr(c) for c in only_pred[:5]) + (" ..." if len(only_pred) > 5 else "")
        raise InvalidInputError(
            f"{_label(inputs, 'y_pred')} predicts class(es) {shown} that never occur in "
            f"{_label(inputs, 'y_true')} (classes: {', '.join(classes[:10])}"
            f"{' ...' if len(classes) > 10 else ''}); a class's recall and AUC need true "
            "rows of it: check the label encoding, or add rows of that class"
        )
    remap = np.array([index[c] for c in pred_labels], dtype=np.int64)
    return np.asarray(remap[inputs.values["y_pred"]], dtype=np.int64)


def multiclass_statistics(inputs: TaskInputs, settings: Mapping[str, Any]) -> MulticlassStats:
    """One pass over the validated rows: the :class:`MulticlassStats` of an audit."""
    top_k = int(settings.get("top_k", DEFAULT_TOP_K))
    classes = inputs.labels["y_true"]
    unnameable = [c for c in classes if any(ch in c for ch in "[],")]
    if unnameable:
        raise InvalidInputError(
            f"{_label(inputs, 'y_true')} has class label(s) {', '.join(map(repr, unnameable[:3]))}"
            " containing '[', ']' or ',', which metric rows such as recall_score[class=c] "
            "cannot carry; recode the classes"
        )
    k = len(classes)
    y_true = np.asarray(inputs.values["y_true"], dtype=np.int64)
    y_pred = _pred_codes(inputs, classes)
    cell, keys = inputs.cell_codes()
    n_cells = len(keys)
    weights = inputs.values.get("sample_weight")
    if weights is not None and inputs.n_rows and not float(np.sum(weights)) > 0:
        raise InvalidInputError(f"{_label(inputs, 'sample_weight')} is zero on every row")
    flat = (cell * k + y_true) * k + y_pred
    size = n_cells * k * k
    rows = np.bincount(flat, minlength=size).reshape(n_cells, k, k).astype(np.int64)
    if weights is None:
        wsum = rows.astype(np.float64)
        wsq = wsum
    else:
        w = np.asarray(weights, dtype=np.float64)
        wsum = np.asarray(np.bincount(flat, weights=w, minlength=size), dtype=np.float64)
        wsq = np.asarray(np.bincount(flat, weights=w * w, minlength=size), dtype=np.float64)
        wsum, wsq = wsum.reshape(n_cells, k, k), wsq.reshape(n_cells, k, k)
    stats = MulticlassStats(
        features=tuple(f.name for f in inputs.features),
        keys=keys,
        classes=classes,
        rows=rows,
        wsum=wsum,
        wsq=wsq,
        weighted=weights is not None,
        top_k=top_k,
    )
    scores = inputs.values.get("y_score")
    if scores is None:
        return stats
    return _with_scores(stats, inputs, np.asarray(scores), y_true, cell, weights)


def _with_scores(
    stats: MulticlassStats,
    inputs: TaskInputs,
    scores: FloatArray,
    y_true: IntArray,
    cell: IntArray,
    weights: NDArray[Any] | None,
) -> MulticlassStats:
    k, n_cells = stats.n_classes, len(stats.keys)
    names = inputs.columns.get("y_score")
    if scores.ndim != 2 or scores.shape[1] != k:
        got = scores.shape[1] if scores.ndim == 2 else 1
        raise InvalidInputError(
            f"y_score has {got} column(s) ({names}); the multiclass task needs one score "
            f"column per class of y_true, in sorted class order ({k}: "
            f"{', '.join(stats.classes[:10])}{' ...' if k > 10 else ''})"
        )
    outside = (scores < 0) | (scores > 1)
    if outside.any():
        col = int(np.flatnonzero(outside.any(axis=0))[0])
        shown = names[col] if isinstance(names, list) else f"y_score[{col}]"
        bad = outside[:, col]
        raise InvalidInputError(
            f"column '{shown}' (y_score of class {stats.classes[col]}) has {int(bad.sum())} "
            f"values outside [0, 1]; first at row index {int(np.flatnonzero(bad)[0])}. "
            "Pass class probabilities"
        )
    g = score_bins_for(n_cells, k)
    hist = np.zeros(n_cells * k * 2 * g, dtype=np.float64)
    rep = np.zeros((k, g), dtype=np.float64)
    mixed = np.zeros((k, g), dtype=bool)
    seen = np.zeros((k, g), dtype=bool)
    hits = np.zeros(len(y_true), dtype=np.int64)
    classes = np.arange(k, dtype=np.int64)
    for start in range(0, len(y_true), _CHUNK):
        sl = slice(start, start + _CHUNK)
        s, t, c = scores[sl], y_true[sl], cell[sl]
        w = None if weights is None else np.asarray(weights[sl], dtype=np.float64)
        # Rank of the true class as scikit-learn breaks ties: a stable argsort, reversed, so
        # among equal scores the higher class index ranks first.
        s_true = np.take_along_axis(s, t[:, None], axis=1)
        above = (s > s_true) | ((s == s_true) & (classes[None, :] > t[:, None]))
        hits[sl] = above.sum(axis=1) < stats.top_k
        b = np.minimum((s * g).astype(np.int64), g - 1)  # (n, K)
        is_class = (t[:, None] == classes[None, :]).astype(np.int64)
        idx = ((c[:, None] * k + classes[None, :]) * 2 + is_class) * g + b
        wt = None if w is None else np.repeat(w, k)
        hist += np.bincount(idx.ravel(), weights=wt, minlength=hist.size)
        for j in range(k):
            bj, sj = b[:, j], s[:, j]
            fresh = ~seen[j, bj]
            rep[j, bj[fresh][::-1]] = sj[fresh][::-1]  # any one value of a bin first seen here
            seen[j, bj] = True
            mixed[j] |= np.bincount(bj, weights=sj != rep[j, bj], minlength=g) > 0
    flat = cell * 2 + hits
    topk_rows = np.bincount(flat, minlength=n_cells * 2).reshape(n_cells, 2).astype(np.int64)
    if weights is None:
        topk_wsum = topk_rows.astype(np.float64)
        topk_wsq = topk_wsum
    else:
        w_all = np.asarray(weights, dtype=np.float64)
        sums = [np.bincount(flat, weights=x, minlength=n_cells * 2) for x in (w_all, w_all**2)]
        topk_wsum = np.asarray(sums[0], dtype=np.float64).reshape(n_cells, 2)
        topk_wsq = np.asarray(sums[1], dtype=np.float64).reshape(n_cells, 2)
    return MulticlassStats(
        features=stats.features,
        keys=stats.keys,
        classes=stats.classes,
        rows=stats.rows,
        wsum=stats.wsum,
        wsq=stats.wsq,
        weighted=stats.weighted,
        top_k=stats.top_k,
        topk_rows=topk_rows,
        topk_wsum=topk_wsum,
        topk_wsq=topk_wsq,
        score_hist=hist.reshape(n_cells, k, 2, g),
        score_rep=rep,
        score_mixed=mixed,
    )
