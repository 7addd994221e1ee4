"""The lattice: counts against pandas, pruning that never drops a discovery, honest family size."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from _slices_data import FEATURES, planted_frame
from equilens.discovery import discover_slices, encode_features
from equilens.discovery._evidence import DEN, NUM, ROWS
from equilens.discovery._search import search


def _lattice(df: pd.DataFrame, num: np.ndarray, den: np.ndarray, level: float, **kw: object):
    feats = encode_features(df, FEATURES, bins=4, max_levels=20)
    return feats, search(
        feats, num, den, np.ones_like(num), proportion=True, worse="higher",
        max_order=3, min_support=30, level=level, **kw,
    )  # fmt: skip


def test_cell_sums_match_pandas_groupby() -> None:
    rng = np.random.default_rng(0)
    df = planted_frame(3000, rng, raised=0.3)
    err = (df.y != df.pred).to_numpy(dtype=float)
    feats, lattice = _lattice(df, err, np.ones_like(err), level=1.0)
    coded = pd.DataFrame({f.name: f.codes for f in feats}).assign(err=err)
    for order in (1, 2, 3):
        for combo in itertools.combinations(range(len(feats)), order):
            level = lattice.levels[combo]
            names = [feats[i].name for i in combo]
            ref = coded.groupby(names)["err"].agg(["size", "sum"])
            for key, row in ref.iterrows():
                cell = level.cell(key if isinstance(key, tuple) else (key,))
                assert level.sums[cell, ROWS] == row["size"]
                assert level.sums[cell, NUM] == row["sum"]
                assert level.sums[cell, DEN] == row["size"]


def test_pruning_never_drops_a_cell_that_could_be_significant() -> None:
    """With a rare event the bound prunes; every pruned cell's p-value is above the level."""
    rng = np.random.default_rng(1)
    df = planted_frame(4000, rng)
    y = (df.y == 1).to_numpy(dtype=float)
    miss = (y == 1) & (rng.random(len(df)) < 0.03)  # rare false negatives
    level = 0.05
    _, pruned = _lattice(df, miss.astype(float), y, level)
    _, full = _lattice(df, miss.astype(float), y, level=1.0)
    n_pruned = 0
    for combo, lv in pruned.levels.items():
        ref = full.levels[combo]
        np.testing.assert_array_equal(lv.eligible, ref.eligible)
        cut = lv.eligible & ~lv.tested
        n_pruned += int(cut.sum())
        assert np.all(ref.p_value[cut] > level)
        np.testing.assert_array_equal(lv.p_value[lv.tested], ref.p_value[lv.tested])
    assert n_pruned > 0


def test_family_counts_every_slice_with_support() -> None:
    rng = np.random.default_rng(2)
    df = planted_frame(2000, rng)
    doc = discover_slices(df, features=FEATURES, y_true="y", y_pred="pred", min_support=40)
    feats = encode_features(df, FEATURES, bins=4, max_levels=20)
    coded = pd.DataFrame({f.name: f.codes for f in feats})
    expected = 0
    for order in (1, 2, 3):
        for combo in itertools.combinations(FEATURES, order):
            size = coded.groupby(list(combo)).size()
            expected += int(((size >= 40) & (len(df) - size >= 40)).sum())
    assert doc["n_hypotheses"] == expected
    assert doc["n_tested"] + doc["n_pruned"] == expected


@pytest.mark.parametrize("max_order", [1, 2])
def test_max_order_limits_the_conjunctions(max_order: int) -> None:
    rng = np.random.default_rng(3)
    doc = discover_slices(
        planted_frame(3000, rng, raised=0.6), features=FEATURES, y_true="y", y_pred="pred",
        max_order=max_order,
    )  # fmt: skip
    assert all(r["order"] <= max_order for r in doc["slices"])


@pytest.mark.parametrize("proportion", [True, False])
def test_masked_sums_equal_cell_sums(proportion: bool) -> None:
    from equilens.discovery._search import SumCounter

    rng = np.random.default_rng(4)
    den = (rng.random(500) < 0.6).astype(float) if proportion else rng.integers(1, 9, 500) * 1.0
    num = (den * (rng.random(500) < 0.3)) if proportion else rng.poisson(2.0, 500) * 1.0
    counter = SumCounter(num, den, rng.integers(1, 4, 500) * 1.0, proportion)
    mask = rng.random(500) < 0.4
    np.testing.assert_allclose(counter.masked(mask), counter.cells(mask.astype(np.int64), 2)[1])
