"""Sufficient statistics, the count-level bootstrap, intervals, tests and corrections."""

from equilens.stats._bootstrap import (
    aggregate_draws,
    draw_counts,
    draw_interval,
    percentile_interval,
)
from equilens.stats._corrections import benjamini_hochberg, holm
from equilens.stats._intervals import (
    SMALL_N_THRESHOLD,
    as_float_arrays,
    clopper_pearson_interval,
    mover_difference_interval,
    newcombe_difference_interval,
    proportion_interval,
    ratio_interval,
    wilson_interval,
    z_two_sided,
)
from equilens.stats._paired import median_interval, t_mean_interval, tango_interval
from equilens.stats._roots import bisect
from equilens.stats._significance import cohens_h, mcnemar_test, two_proportion_test, z_test
from equilens.stats._simultaneous import (
    box_gap_bounds,
    box_ratio_bounds,
    pair_gap_bounds,
    pair_ratio_bounds,
)
from equilens.stats._tables import CellStats, ScoreBins

__all__ = [
    "SMALL_N_THRESHOLD",
    "CellStats",
    "ScoreBins",
    "aggregate_draws",
    "as_float_arrays",
    "benjamini_hochberg",
    "bisect",
    "box_gap_bounds",
    "box_ratio_bounds",
    "clopper_pearson_interval",
    "cohens_h",
    "draw_counts",
    "draw_interval",
    "holm",
    "mcnemar_test",
    "median_interval",
    "mover_difference_interval",
    "newcombe_difference_interval",
    "pair_gap_bounds",
    "pair_ratio_bounds",
    "percentile_interval",
    "proportion_interval",
    "ratio_interval",
    "t_mean_interval",
    "tango_interval",
    "two_proportion_test",
    "wilson_interval",
    "z_test",
    "z_two_sided",
]
