"""Verdicts of the paired probes (issue 20 items 6, 7 and 9), with simulations.

The statistics path of a probe run (``_paired_rows`` then ``_finish_comparisons``) is run on
simulated unit x value scores, as a probe of a model with a known behaviour would produce.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest
from scipy import stats

from equilens.probes._paired import invariance_stats, mcnemar_mdd
from equilens.probes._record import group_conclusion
from equilens.probes._run import _Design, _finish_comparisons, _paired_rows
from equilens.results._log import Comparison
from equilens.stats._paired import t_mean_interval


def _run(
    ref: np.ndarray, other: np.ndarray, *, gap: float = 0.05, min_pairs: int = 10, seed: int = 0
) -> dict[str, Comparison]:
    design = _Design(
        groups=[{"a": "ref"}, {"a": "other"}],
        reference={"a": "ref"},
        attributes=["a"],
        scores=np.column_stack([ref, other]),
        first_text=[["r", "o"] for _ in ref],
    )
    _, raw, _, _, _ = _paired_rows(
        design, threshold=0.5, bootstrap=50, seed=seed, alpha=0.05, min_pairs=min_pairs, gap=gap
    )
    comps, _ = _finish_comparisons(raw, 0.05, gap)
    return {c.metric: c for c in comps}


def _conclusion(rows: dict[str, Comparison]) -> str | None:
    return group_conclusion(list(rows.values()))


def _flipping(rng: np.random.Generator, n: int, rate: float, both_ways: bool) -> tuple[Any, Any]:
    """Scores of a model that flips ``rate`` of its decisions (half each way if
    ``both_ways``, else only upwards); unflipped pairs move by small symmetric noise."""
    ref = rng.uniform(0.05, 0.95, n)
    other = np.clip(ref + rng.normal(0, 0.002, n), 0, 1)
    flip = rng.random(n) < rate
    # A flip mirrors the score around the threshold: an up flip needs a negative reference.
    if both_ways:
        other = np.where(flip, 1.0 - ref, other)
    else:
        ref = np.where(flip, rng.uniform(0.05, 0.45, n), ref)
        other = np.where(flip, 1.0 - ref, other)
    flip_exact = (ref >= 0.5) != (other >= 0.5)
    return ref, np.where(~flip & flip_exact, ref, other)


def test_no_discordant_pairs_is_not_no_difference() -> None:
    """10 units, no flip: the positive-rate difference gets Tango's interval (not [0, 0]) and
    the flip rate its Clopper-Pearson interval; neither is narrow enough for "no difference"."""
    rng = np.random.default_rng(0)
    ref = rng.uniform(0, 1, 10)
    rows = _run(ref, ref + 0.001 * (ref < 0.49))
    pos = rows["positive_rate"]
    assert pos.difference == 0.0
    assert pos.difference_ci_low is not None and pos.difference_ci_low < -0.2
    assert pos.difference_ci_high is not None and pos.difference_ci_high > 0.2
    assert pos.conclusion == "insufficient_evidence"
    assert pos.minimum_detectable_difference is not None
    assert pos.minimum_detectable_difference > 0.05
    flip = rows["flip_rate"]
    assert flip.difference_ci_high == pytest.approx(1 - 0.025 ** (1 / 10))
    assert flip.conclusion == "insufficient_evidence"
    assert _conclusion(rows) == "insufficient_evidence"


def test_many_identical_pairs_are_no_difference() -> None:
    """400 units and an invariant model: every row, and the group, read no difference."""
    ref = np.random.default_rng(1).uniform(0, 1, 400)
    rows = _run(ref, ref.copy())
    for name in ("mean_score", "positive_rate", "flip_rate", "mean_absolute_score_shift"):
        assert rows[name].conclusion == "no_difference_detected", name
    assert rows["score_increase_rate"].conclusion == "undefined"
    assert _conclusion(rows) == "no_difference_detected"


def test_both_ways_flips_are_detected_though_the_mean_does_not_move() -> None:
    rng = np.random.default_rng(2)
    ref, other = _flipping(rng, 200, 0.34, both_ways=True)
    rows = _run(ref, other)
    assert rows["flip_rate"].conclusion == "difference_detected"
    assert rows["mean_absolute_score_shift"].conclusion == "difference_detected"
    assert rows["mean_score"].conclusion != "difference_detected"
    assert _conclusion(rows) == "difference_detected"


def test_skewed_zero_mean_shift_is_not_a_mean_difference() -> None:
    """Most pairs drop a little, a few rise a lot: mean 0. The mean's test is the paired t;
    the Wilcoxon test (which rejects: the shifts are not symmetric) is outside the family."""
    rng = np.random.default_rng(3)
    n = 2000
    shift = np.where(rng.random(n) < 0.9, -0.01, 0.09) + rng.normal(0, 1e-4, n)
    shift -= shift.mean()
    ref = rng.uniform(0.2, 0.3, n)
    rows = _run(ref, ref + shift)
    mean = rows["mean_score"]
    assert mean.test == "paired-t"
    assert mean.difference == pytest.approx(0.0, abs=1e-12)
    assert mean.p_value == pytest.approx(1.0)
    assert mean.conclusion == "no_difference_detected"
    assert stats.wilcoxon(shift).pvalue < 1e-100  # what the log used to attach to the mean
    assert all(c.test != "wilcoxon-signed-rank" for c in rows.values())
    # The sign test is the median's test; the median did move (most pairs dropped).
    assert rows["score_increase_rate"].conclusion == "difference_detected"


def test_group_below_min_pairs_is_never_detected() -> None:
    ref = np.linspace(0.1, 0.4, 6)
    rows = _run(ref, ref + 0.5, min_pairs=10)
    for c in rows.values():
        assert c.conclusion in ("insufficient_evidence", "undefined")
        assert c.p_holm is None
    assert _conclusion(rows) == "insufficient_evidence"


def test_invariance_stats_against_scipy() -> None:
    rng = np.random.default_rng(4)
    ref, other = _flipping(rng, 120, 0.2, both_ways=True)
    inv = invariance_stats(ref, other, gap=0.05)
    flips = int(np.sum((ref >= 0.5) != (other >= 0.5)))
    assert inv.flip_p == pytest.approx(
        stats.binomtest(flips, 120, 0.05, alternative="greater").pvalue
    )
    t = stats.ttest_1samp(np.abs(other - ref), 0.05, alternative="greater")
    assert inv.abs_p == pytest.approx(t.pvalue) and inv.abs_statistic == pytest.approx(t.statistic)
    with pytest.raises(Exception, match="'gap' parameter"):
        invariance_stats(ref, other, gap=0.0)


def test_mcnemar_mdd_uses_the_upper_discordance_limit() -> None:
    assert mcnemar_mdd(0, 10) == pytest.approx(
        (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * np.sqrt((1 - 0.025 ** (1 / 10)) / 10)
    )
    assert mcnemar_mdd(0, 10) > mcnemar_mdd(0, 1000)  # type: ignore[operator]


def _rates(verdicts: list[str | None]) -> Counter[str | None]:
    return Counter(verdicts)


@pytest.mark.slow
def test_simulation_no_difference_under_real_flips() -> None:
    """Rate of "no difference" (per row and per group) when the model flips 10% of decisions
    on 10 units (was 35% for the positive-rate row), and for 34% both-way flips on 100 units;
    target at most 5%."""
    reps = 1000
    mc = np.sqrt(0.05 * 0.95 / reps)
    for n, rate, both, label in ((10, 0.10, False, "10 units, 10% flips"),
                                 (100, 0.34, True, "100 units, 34% both ways")):  # fmt: skip
        rng = np.random.default_rng(int(rate * 100) + n)
        pos, group, detected = [], [], []
        for r in range(reps):
            rows = _run(*_flipping(rng, n, rate, both), seed=r)
            pos.append(rows["positive_rate"].conclusion)
            group.append(_conclusion(rows))
            detected.append(_conclusion(rows) == "difference_detected")
        no_pos = _rates(pos)["no_difference_detected"] / reps
        no_group = _rates(group)["no_difference_detected"] / reps
        print(f"{label}: no difference positive_rate {no_pos:.3f}, group {no_group:.3f} "
              f"(+/- {mc:.3f}); group detected {np.mean(detected):.3f}")  # fmt: skip
        assert no_pos <= 0.05 and no_group <= 0.05


@pytest.mark.slow
def test_simulation_sizes_of_the_gap_tests_and_t_coverage() -> None:
    """At the boundary (flip rate = gap; mean |shift| = gap) the one-sided tests reject at most
    alpha; the paired t interval covers the mean shift with 10 pairs."""
    reps, n, gap = 4000, 200, 0.05
    rng = np.random.default_rng(9)
    mc = np.sqrt(0.05 * 0.95 / reps)
    flips = rng.binomial(n, gap, reps)
    size_flip = np.mean(stats.binom.sf(flips - 1, n, gap) < 0.05)
    absd = rng.gamma(4.0, gap / 4.0, size=(reps, n))  # skewed |shift|, mean = gap
    t = (absd.mean(axis=1) - gap) / (absd.std(axis=1, ddof=1) / np.sqrt(n))
    size_abs = np.mean(stats.t.sf(t, n - 1) < 0.05)
    # 10 pairs, normal and moderately skewed shifts with a known mean.
    covers = {}
    for name, draw, mean in (
        ("normal", lambda: rng.normal(0.02, 0.05, (reps, 10)), 0.02),
        ("gamma(4)", lambda: rng.gamma(4.0, 0.01, (reps, 10)), 0.04),
    ):
        limits = [t_mean_interval(row)[1:3] for row in draw()]
        covers[name] = float(np.mean([lo <= mean <= hi for lo, hi in limits]))
    print(f"size flip>gap {size_flip:.3f}, |shift|>gap {size_abs:.3f} (+/- {mc:.4f}); "
          f"t coverage with 10 pairs {covers}")  # fmt: skip
    assert size_flip <= 0.05 + 3 * mc and size_abs <= 0.05 + 3 * mc
    assert all(c >= 0.95 - 3 * mc for c in covers.values()), covers
