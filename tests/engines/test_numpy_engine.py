"""The numpy engine against scikit-learn, and the merge law of sufficient statistics."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import confusion_matrix

from equilens.engines._numpy import cell_codes, compute_cell_stats
from equilens.stats._tables import CellStats


def _stats(
    y: np.ndarray,
    p: np.ndarray,
    g: np.ndarray,
    s: np.ndarray | None = None,
    w: np.ndarray | None = None,
    mode: str = "exact",
    labels: tuple[str, ...] = ("g0", "g1", "g2"),
) -> CellStats:
    return compute_cell_stats(
        y_true=y.astype(np.int8),
        y_pred=p.astype(np.int8),
        feature_names=["g"],
        feature_codes=[g.astype(np.int32)],
        feature_labels=[labels],
        y_score=s,
        sample_weight=w,
        score_mode=mode,  # type: ignore[arg-type]
    )


def test_confusion_counts_match_sklearn_per_group() -> None:
    rng = np.random.default_rng(3)
    n = 5000
    y, p = rng.integers(0, 2, n), rng.integers(0, 2, n)
    g = rng.integers(0, 3, n)
    w = rng.random(n)
    st_ = _stats(y, p, g, w=w)
    for c, key in enumerate(st_.keys):
        m = g == int(key[0][1])
        np.testing.assert_array_equal(st_.rows[c], confusion_matrix(y[m], p[m], labels=[0, 1]))
        np.testing.assert_allclose(
            st_.wsum[c],
            confusion_matrix(y[m], p[m], labels=[0, 1], sample_weight=w[m]),
            rtol=1e-12,
        )


def test_empty_combinations_are_not_cells() -> None:
    y = np.array([0, 1, 1, 0])
    codes = [np.array([0, 0, 1, 1], np.int32), np.array([0, 1, 0, 0], np.int32)]
    st_ = compute_cell_stats(
        y_true=y.astype(np.int8),
        y_pred=y.astype(np.int8),
        feature_names=["a", "b"],
        feature_codes=codes,
        feature_labels=[("x", "y"), ("u", "v")],
    )
    assert st_.keys == (("x", "u"), ("x", "v"), ("y", "u"))
    assert st_.rows.sum() == 4


def test_grid_mode_marks_constant_bins_exact() -> None:
    rng = np.random.default_rng(0)
    s = rng.choice([0.1, 0.2, 0.7], size=1000)
    y = rng.integers(0, 2, 1000)
    st_ = _stats(y, y, np.zeros(1000, int), s=s, mode="grid")
    bins = st_.score_bins
    assert bins is not None and bins.mode == "grid"
    occupied = st_.score_hist.sum(axis=(0, 1)) > 0  # type: ignore[union-attr]
    assert occupied.sum() == 3
    assert bins.exact[occupied].all()
    np.testing.assert_array_equal(np.sort(bins.values[occupied]), [0.1, 0.2, 0.7])


def test_grid_mode_flags_mixed_bins() -> None:
    s = np.array([0.10, 0.100001, 0.5])
    y = np.array([0, 1, 1])
    st_ = _stats(y, y, np.zeros(3, int), s=s, mode="grid")
    assert st_.score_bins is not None
    assert (~st_.score_bins.exact).sum() == 1


batch = st.integers(min_value=1, max_value=60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
        st.lists(st.integers(0, 2), min_size=n, max_size=n),
        st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.9, 1.0]), min_size=n, max_size=n),
        st.lists(st.floats(0.0, 5.0), min_size=n, max_size=n),
    )
)


@settings(max_examples=60, deadline=None)
@given(a=batch, b=batch, mode=st.sampled_from(["exact", "grid"]))
def test_merge_equals_concatenation(a: tuple, b: tuple, mode: str) -> None:
    arrs_a = [np.asarray(x) for x in a]
    arrs_b = [np.asarray(x) for x in b]
    sa = _stats(*arrs_a[:4], w=arrs_a[4].astype(float), mode=mode)
    sb = _stats(*arrs_b[:4], w=arrs_b[4].astype(float), mode=mode)
    cat = [np.concatenate([x, z]) for x, z in zip(arrs_a, arrs_b)]
    sc = _stats(*cat[:4], w=cat[4].astype(float), mode=mode)
    merged = sa.merge(sb)
    assert merged.keys == sc.keys
    np.testing.assert_array_equal(merged.rows, sc.rows)
    np.testing.assert_allclose(merged.wsum, sc.wsum, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(merged.wsq, sc.wsq, rtol=1e-12, atol=1e-12)
    assert merged.score_bins is not None and sc.score_bins is not None
    occ_m = merged.score_hist.sum(axis=(0, 1)) > 0  # type: ignore[union-attr]
    occ_c = sc.score_hist.sum(axis=(0, 1)) > 0  # type: ignore[union-attr]
    np.testing.assert_allclose(merged.score_bins.values[occ_m], sc.score_bins.values[occ_c])
    np.testing.assert_allclose(
        merged.score_hist[..., occ_m],  # type: ignore[index]
        sc.score_hist[..., occ_c],  # type: ignore[index]
        rtol=1e-12,
        atol=1e-12,
    )
    np.testing.assert_allclose(merged.score_moments, sc.score_moments, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(merged.calib, sc.calib, rtol=1e-12, atol=1e-12)


def test_merge_rejects_other_features() -> None:
    y = np.array([0, 1])
    a = _stats(y, y, np.array([0, 1]))
    b = compute_cell_stats(
        y_true=y.astype(np.int8),
        y_pred=y.astype(np.int8),
        feature_names=["h"],
        feature_codes=[np.array([0, 1], np.int32)],
        feature_labels=[("x", "y")],
    )
    with pytest.raises(ValueError, match="Cannot merge statistics over features"):
        a.merge(b)


def _many_features(n: int, sizes: list[int], seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, s, n).astype(np.int32) for s in sizes]


@pytest.mark.parametrize(
    "sizes",
    [
        [5, 4, 2],  # lookup table
        [1000, 1000, 100],  # 1e8 combinations: sorted codes
        [100] * 10 + [7],  # 7e20 combinations: beyond int64, ranked feature by feature
    ],
)
def test_cells_are_the_sorted_present_combinations(sizes: list[int]) -> None:
    n = 3000
    codes = _many_features(n, sizes, seed=len(sizes))
    y = np.random.default_rng(0).integers(0, 2, n).astype(np.int8)
    st_ = compute_cell_stats(
        y_true=y,
        y_pred=y,
        feature_names=[f"f{i}" for i in range(len(sizes))],
        feature_codes=codes,
        feature_labels=[tuple(f"{j:04d}" for j in range(s)) for s in sizes],
    )
    rows = [tuple(int(c[i]) for c in codes) for i in range(n)]
    expected = sorted(set(rows))
    assert st_.keys == tuple(tuple(f"{j:04d}" for j in combo) for combo in expected)
    counts = {combo: 0 for combo in expected}
    for r in rows:
        counts[r] += 1
    np.testing.assert_array_equal(st_.rows.sum(axis=(1, 2)), [counts[c] for c in expected])


def test_cell_codes_beyond_int64() -> None:
    sizes = [2**40, 2**40]  # 2**80 combinations
    codes = [np.array([2**40 - 1, 0, 2**40 - 1, 5]), np.array([3, 1, 3, 2**40 - 1])]
    cell, parts = cell_codes(codes, sizes, 4)
    assert cell.tolist() == [2, 0, 2, 1]
    assert [p.tolist() for p in parts] == [[0, 5, 2**40 - 1], [1, 2**40 - 1, 3]]


def test_merge_orders_numeric_labels_by_value() -> None:
    # Labels as engines give them for a numeric column: "2" < "10", "<missing>" last.
    labels = ("2", "10", "<missing>")
    y = np.array([0, 1, 1, 0])
    a = _stats(y, y, np.array([0, 1, 0, 1]), labels=labels)
    b = _stats(y, y, np.array([1, 2, 1, 2]), labels=labels)
    c = _stats(y[:2], y[:2], np.array([0, 0]), labels=labels)  # "2" only
    d = _stats(y[:2], y[:2], np.array([1, 1]), labels=labels)  # "10" only
    assert a.merge(b).keys == (("2",), ("10",), ("<missing>",))
    assert b.merge(a).keys == (("2",), ("10",), ("<missing>",))
    assert d.merge(c).keys == (("2",), ("10",))  # no batch orders them: numeric order
    np.testing.assert_array_equal(a.merge(b).rows.sum(axis=(1, 2)), [2, 4, 2])


def test_merge_follows_the_batches_order_of_text_labels() -> None:
    # Band labels do not sort as text ("<25" < "25-45" < ">=45" is the engines' order).
    bands = ("<25", "25-45", ">=45")
    y = np.array([0, 1, 1])
    a = _stats(y, y, np.array([0, 1, 2]), labels=bands)
    b = _stats(y[:2], y[:2], np.array([2, 0]), labels=bands)
    assert a.merge(b).keys == tuple((x,) for x in bands)
    assert b.merge(a).keys == tuple((x,) for x in bands)


def test_merge_orders_later_features_within_each_earlier_group() -> None:
    y = np.array([0, 1, 1, 0])
    kw = {"feature_names": ["a", "b"], "feature_labels": [("x", "y"), ("9", "10")]}
    a = compute_cell_stats(
        y_true=y.astype(np.int8),
        y_pred=y.astype(np.int8),
        feature_codes=[np.array([0, 0, 1, 1], np.int32), np.array([0, 1, 1, 1], np.int32)],
        **kw,  # type: ignore[arg-type]
    )
    b = compute_cell_stats(
        y_true=y.astype(np.int8),
        y_pred=y.astype(np.int8),
        feature_codes=[np.array([1, 1, 1, 1], np.int32), np.array([0, 0, 0, 0], np.int32)],
        **kw,  # type: ignore[arg-type]
    )
    assert a.merge(b).keys == (("x", "9"), ("x", "10"), ("y", "9"), ("y", "10"))
