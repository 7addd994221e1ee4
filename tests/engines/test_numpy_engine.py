"""The numpy engine against scikit-learn, and the merge law of sufficient statistics."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import confusion_matrix

from equilens.engines._numpy import compute_cell_stats
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
