"""The proof: false alarms over 100 looks stay at or below alpha; a shift in one group is found."""

from __future__ import annotations

import math

import pytest

from equilens.monitor._simulate import simulate


@pytest.mark.slow
def test_false_alarms_over_100_looks_stay_at_or_below_alpha() -> None:
    res = simulate(replications=300, looks=100, alpha=0.05, seed=11)
    se = math.sqrt(0.05 * 0.95 / res.replications)
    assert res.false_alarm_rate <= 0.05 + 2 * se


@pytest.mark.slow
def test_a_shift_in_one_groups_fpr_after_look_30_is_detected() -> None:
    res = simulate(replications=100, looks=100, shifted_fpr=0.2, shift_after=30, seed=12)
    assert res.detection_rate >= 0.95
    assert sorted(res.delays)[len(res.delays) // 2] <= 5
    assert res.false_before_shift <= 0.05 * res.replications + 2 * math.sqrt(
        0.05 * 0.95 * res.replications
    )


def test_a_small_shift_is_found_less_often_than_a_large_one() -> None:
    small = simulate(replications=20, looks=40, shifted_fpr=0.115, shift_after=10, seed=3)
    large = simulate(replications=20, looks=40, shifted_fpr=0.25, shift_after=10, seed=3)
    assert small.detection_rate < large.detection_rate == 1.0
