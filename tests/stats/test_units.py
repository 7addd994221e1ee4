"""Unit sums, the design-based covariance, the delta method and the random-group bootstrap."""

from __future__ import annotations

import numpy as np
import pytest

from equilens.stats._units import (
    bucket_draws,
    covariance,
    linearised,
    slice_sums,
    unit_index,
    unit_sums,
)


def _data(n: int = 900, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    cell = rng.integers(0, 3, n).astype(np.int64)
    x = np.column_stack([np.ones(n), rng.gamma(2.0, 1.0, n), rng.normal(size=n)])
    cluster = rng.integers(0, 40, n).astype(np.int64)
    return cell, x, cluster


def _mean(t: np.ndarray) -> np.ndarray:
    return t[..., 1] / t[..., 0]


def test_rows_sums_match_numpy() -> None:
    cell, x, _ = _data()
    s = unit_sums(cell, 3, x, ["w", "a", "b"])
    for c in range(3):
        rows = x[cell == c]
        np.testing.assert_allclose(s.totals[c], rows.sum(axis=0))
        np.testing.assert_allclose(s.cross[c], rows.T @ rows)
        assert s.units[c] == s.rows[c] == rows.shape[0]
    assert s.buckets.sum(axis=1) == pytest.approx(s.totals)


def test_clustered_sums_are_per_cluster_units() -> None:
    cell, x, cluster = _data()
    s = unit_sums(cell, 3, x, ["w", "a", "b"], cluster=cluster)
    unit, unit_cell, unit_cluster = unit_index(cell, cluster)
    for c in range(3):
        keys = sorted({int(k) for k in cluster[cell == c]})
        per = np.array([x[(cell == c) & (cluster == k)].sum(axis=0) for k in keys])
        np.testing.assert_allclose(s.totals[c], per.sum(axis=0))
        np.testing.assert_allclose(s.cross[c], per.T @ per)
        assert s.units[c] == len(keys) == int((unit_cell == c).sum())
    assert s.row_cross is not None
    assert unit.max() + 1 == unit_cell.size == unit_cluster.size


def test_delta_se_of_a_mean_is_s_over_sqrt_n() -> None:
    cell, x, _ = _data()
    s = unit_sums(cell, 3, x, ["w", "a", "b"])
    t, m, k = slice_sums(s, np.eye(3))
    value, se = linearised(_mean, t, covariance(t, m, k))
    for c in range(3):
        a = x[cell == c, 1]
        assert value[c] == pytest.approx(a.mean())
        assert se[c] == pytest.approx(a.std(ddof=1) / np.sqrt(a.size), rel=1e-6)


def test_pairs_not_kept_are_nan_and_do_not_touch_a_mean() -> None:
    cell, x, _ = _data()
    s = unit_sums(cell, 3, x, ["w", "a", "b"], pairs=[("a", "a"), ("a", "w"), ("w", "w")])
    assert np.isnan(s.cross[:, 1, 2]).all() and np.isnan(s.cross[:, 2, 2]).all()
    full = unit_sums(cell, 3, x, ["w", "a", "b"])
    t, m, k = slice_sums(s, np.eye(3))
    tf, mf, kf = slice_sums(full, np.eye(3))
    _, se = linearised(_mean, t, covariance(t, m, k))
    _, se_full = linearised(_mean, tf, covariance(tf, mf, kf))
    np.testing.assert_allclose(se, se_full)


def test_covariance_needs_two_units() -> None:
    v = covariance(np.ones((1, 2)), np.ones((1, 2, 2)), np.ones(1))
    assert np.isnan(v).all()


def test_bucket_bootstrap_matches_the_delta_variance() -> None:
    """The bootstrap over 64 random groups per cell estimates the delta-method variance.

    With G groups its variance estimate has about G - 1 degrees of freedom (a relative SE
    of about 9% on the standard error at G = 64), so the check averages over datasets.
    """
    ratios = []
    memb = np.array([[1.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    for seed in range(12):
        rng = np.random.default_rng(seed)
        n = 3000
        cell = rng.integers(0, 2, n).astype(np.int64)
        x = np.column_stack([np.ones(n), rng.exponential(size=n)])
        s = unit_sums(cell, 2, x, ["w", "a"])
        draws = bucket_draws(s, memb, 1000, np.random.default_rng(seed))
        assert draws.shape == (1000, 3, 2)
        t, m, k = slice_sums(s, memb)
        _, se = linearised(_mean, t, covariance(t, m, k))
        ratios.append(_mean(draws).std(axis=0) / se)
        # Every cell keeps its number of groups: draws' row counts average the cell's rows.
        assert draws[:, 1, 0].mean() == pytest.approx(t[1, 0], rel=0.01)
    r = np.array(ratios)
    print(f"bootstrap SE / delta SE: mean {r.mean():.3f}, range {r.min():.2f}-{r.max():.2f}")
    assert r.mean() == pytest.approx(1.0, abs=0.04)
    assert np.all((r > 0.7) & (r < 1.3))
