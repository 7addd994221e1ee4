"""Automatic slice discovery: conjunctions of features whose metric is worse than the rest's.

:func:`discover_slices` encodes each feature once (categories, or named quantile bins of a
numeric column), counts every conjunction of up to ``max_order`` features from sufficient
statistics, tests each slice against the rows outside it (one-sided), controls the false
discovery rate over every slice searched, and reduces overlapping slices to the most specific
ones that add evidence. The audit's own slice plan (listed features and their crossings) is
:mod:`equilens.slicing`; this package finds the slices nobody listed.
"""

from equilens.discovery._api import FORMAT, discover_slices
from equilens.discovery._features import MISSING_LEVEL, SliceFeature, encode_features
from equilens.discovery._outcomes import DEFAULT_METRIC, METRICS

__all__ = [
    "DEFAULT_METRIC",
    "FORMAT",
    "METRICS",
    "MISSING_LEVEL",
    "SliceFeature",
    "discover_slices",
    "encode_features",
]
