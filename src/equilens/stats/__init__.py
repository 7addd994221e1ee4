"""Sufficient statistics, the count-level bootstrap, intervals, tests and corrections."""

from equilens.stats._bootstrap import (
    aggregate_draws,
    draw_counts,
    draw_interval,
    percentile_interval,
    resampled_totals,
)
from equilens.stats._boundary import all_zero_upper_bound
from equilens.stats._corrections import benjamini_hochberg, holm
from equilens.stats._intervals import (
    SMALL_N_THRESHOLD,
    as_float_arrays,
    clopper_pearson_interval,
    log_scale_interval,
    mover_difference_interval,
    newcombe_difference_interval,
    proportion_interval,
    ratio_interval,
    wilson_interval,
    z_two_sided,
)
from equilens.stats._means import (
    hedges_g,
    log_ratio_interval,
    mean_minimum_detectable_difference,
    welch_test,
)
from equilens.stats._paired import median_interval, t_mean_interval, tango_interval
from equilens.stats._power import minimum_detectable_difference, standardised_shift
from equilens.stats._ranksum import Bins, common_bins, histogram_codes, mann_whitney_from_hist
from equilens.stats._roots import bisect
from equilens.stats._significance import (
    cohens_h,
    mcnemar_test,
    odds_ratio,
    two_proportion_test,
    z_test,
)
from equilens.stats._simultaneous import (
    box_gap_bounds,
    box_ratio_bounds,
    pair_gap_bounds,
    pair_ratio_bounds,
)
from equilens.stats._tables import CellStats, ScoreBins, merged_key_order
from equilens.stats._units import (
    UnitSums,
    UnitTable,
    bucket_draws,
    covariance,
    linearised,
    slice_sums,
    unit_index,
    unit_sums,
)

__all__ = [
    "SMALL_N_THRESHOLD",
    "Bins",
    "CellStats",
    "ScoreBins",
    "UnitSums",
    "UnitTable",
    "aggregate_draws",
    "all_zero_upper_bound",
    "as_float_arrays",
    "benjamini_hochberg",
    "bisect",
    "box_gap_bounds",
    "box_ratio_bounds",
    "bucket_draws",
    "clopper_pearson_interval",
    "cohens_h",
    "common_bins",
    "covariance",
    "draw_counts",
    "draw_interval",
    "hedges_g",
    "histogram_codes",
    "holm",
    "linearised",
    "log_ratio_interval",
    "log_scale_interval",
    "mann_whitney_from_hist",
    "mcnemar_test",
    "mean_minimum_detectable_difference",
    "median_interval",
    "merged_key_order",
    "minimum_detectable_difference",
    "mover_difference_interval",
    "newcombe_difference_interval",
    "odds_ratio",
    "pair_gap_bounds",
    "pair_ratio_bounds",
    "percentile_interval",
    "proportion_interval",
    "ratio_interval",
    "resampled_totals",
    "slice_sums",
    "standardised_shift",
    "t_mean_interval",
    "tango_interval",
    "two_proportion_test",
    "unit_index",
    "unit_sums",
    "welch_test",
    "wilson_interval",
    "z_test",
    "z_two_sided",
]
