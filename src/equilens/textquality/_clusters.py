"""Corpus statistics summed per cluster: the units of the clustered corpus bootstrap and tests.

Corpus BLEU/chrF/TER are functions of summed per-segment statistics, so the segments of one
cluster (a document's sentences, one prompt's generations) add into one unit row and every
resampling scheme of :mod:`equilens.textquality._corpus` works on clusters unchanged:

* a slice's units are its clusters' **in-slice** sums (a cluster spanning slices contributes
  its in-slice part to each slice); the bootstrap resamples them and the BCa jackknife
  leaves one cluster out;
* one **joint** resample of all clusters serves the overall slice and every group-versus-rest
  difference: a draw's inside and outside totals come from the same clusters, so the
  difference keeps the correlation of a cluster's parts on both sides;
* group labels may be permuted over clusters only where each cluster lies wholly inside or
  wholly outside the group (:meth:`ClusterIndex.nested`); otherwise the p-value comes from
  a permutation of the labels within each cluster (``permutation_p(..., strata=codes)``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from equilens.agreement import resampled_unit_totals
from equilens.exceptions import InvalidInputError
from equilens.textquality._sacre import FloatArray

BoolArray = NDArray[np.bool_]


class ClusterIndex:
    """Cluster codes of the segments (``0..K-1``) and the column they came from."""

    def __init__(self, codes: NDArray[np.integer], column: str = "cluster") -> None:
        codes = np.asarray(codes)
        if codes.ndim != 1 or (codes.size and codes.min() < 0):
            raise ValueError("cluster codes must be a 1-d array of non-negative integers")
        self.codes = codes.astype(np.int64)
        self.n_clusters = int(self.codes.max()) + 1 if self.codes.size else 0
        self.column = column

    @classmethod
    def of(cls, ids: object, column: str = "cluster") -> ClusterIndex:
        """Codes of any cluster ids (numbers or strings; order of first appearance)."""
        import pandas as pd

        codes, _ = pd.factorize(pd.Series(np.asarray(ids, dtype=object)), use_na_sentinel=True)
        missing = np.flatnonzero(codes < 0)
        if missing.size:
            raise InvalidInputError(
                f"Column '{column}' (--cluster) has {missing.size} missing values; first at row "
                f"{int(missing[0])}. Remove or fill those rows"
            )
        return cls(codes, column)

    def totals(self, x: FloatArray, rows: BoolArray | None = None) -> FloatArray:
        """Sums of ``x``'s rows (restricted to ``rows``) per cluster: ``(K, q)``."""
        codes = self.codes if rows is None else self.codes[rows]
        part = x if rows is None else x[rows]
        out = np.empty((self.n_clusters, x.shape[1]), dtype=np.float64)
        for j in range(x.shape[1]):
            out[:, j] = np.bincount(codes, weights=part[:, j], minlength=self.n_clusters)
        return out

    def present(self, rows: BoolArray) -> BoolArray:
        """Clusters with at least one segment in ``rows``."""
        return np.bincount(self.codes[rows], minlength=self.n_clusters) > 0

    def units(self, x: FloatArray, rows: BoolArray) -> FloatArray:
        """The in-slice sums of the clusters present in ``rows`` (the slice's units)."""
        return self.totals(x, rows)[self.present(rows)]

    def nested(self, rows: BoolArray) -> bool:
        """Whether every cluster lies wholly inside or wholly outside ``rows``."""
        return not bool(np.any(self.present(rows) & self.present(~rows)))


def joint_draws(parts: list[FloatArray], draws: int, rng: np.random.Generator) -> list[FloatArray]:
    """Totals of each slice's parts in ``draws`` resamples of all clusters (one resample).

    ``parts[i]`` holds slice ``i``'s per-cluster sums (:meth:`ClusterIndex.totals`, all
    clusters in the same order). Returns one ``(draws, q)`` block per slice; block ``i``
    holds, in each draw, the sums of slice ``i``'s parts of the drawn clusters.
    """
    q = parts[0].shape[1]
    both = resampled_unit_totals(np.hstack(parts), draws, rng)
    return [both[:, i * q : (i + 1) * q] for i in range(len(parts))]
