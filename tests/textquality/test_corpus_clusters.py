"""Corpus metrics with clusters: cluster sums, the one-segment-per-cluster differential test,
and simulations (coverage of the corpus interval; false findings of group and system
comparisons when every group / system is identical), clustered against unclustered.

Data: tests/_clustered_corpus.py (a cluster shares a latent quality; the truth
is the population corpus score). The seeded figures are in docs/design/0017.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _clustered_corpus import layout, population_score, quality, statistics
from equilens.exceptions import InvalidInputError
from equilens.textquality import SegmentStatistics, corpus_tables

MC_05 = float(np.sqrt(0.05 * 0.95))  # x 1/sqrt(reps): Monte Carlo error of a 5% / 95% rate


@settings(max_examples=40, deadline=None)
@given(
    codes=st.lists(st.integers(0, 6), min_size=1, max_size=40),
    seed=st.integers(0, 2**16),
)
def test_cluster_totals_equal_a_pandas_groupby_sum(codes: list[int], seed: int) -> None:
    from equilens.textquality._clusters import ClusterIndex

    rng = np.random.default_rng(seed)
    x = rng.integers(0, 20, (len(codes), 3)).astype(float)
    rows = rng.random(len(codes)) < 0.6
    index = ClusterIndex.of([f"c{c}" for c in codes], "doc")
    frame = pd.DataFrame(x, columns=list("abc")).assign(doc=[f"c{c}" for c in codes])
    expected = frame[rows].groupby("doc", sort=False)[list("abc")].sum()
    got = index.units(x, rows)
    # units come in order of first appearance among all segments
    order = [c for c in dict.fromkeys(frame["doc"]) if c in expected.index]
    np.testing.assert_array_equal(got, expected.loc[order].to_numpy())
    nested = frame.assign(r=rows).groupby("doc")["r"].nunique().le(1).all()
    assert index.nested(rows) == bool(nested)


def _two_systems(n: int = 150, seed: int = 0) -> dict[str, dict[str, SegmentStatistics]]:
    rng = np.random.default_rng(seed)
    z = quality(rng, 1, np.arange(n) // 3, sd_system=0.3, systems=2)[:, 0]
    return {
        name: {m: SegmentStatistics(m, statistics(rng, m, z[i]), "") for m in ("bleu", "chrf")}
        for i, name in enumerate(("A", "B"))
    }


def test_one_segment_per_cluster_agrees_with_the_segment_tables() -> None:
    """Singleton clusters are segments: same values; bounds and p-values within MC error."""
    systems = _two_systems()
    groups = {"g": np.random.default_rng(1).choice(["x", "y", "z"], 150).tolist()}
    plain = corpus_tables(systems, groups, draws=4000, trials=2000, seed=1)
    single = corpus_tables(systems, groups, draws=4000, trials=2000, seed=2, clusters=range(150))
    for table, value in (
        ("corpus", "value"),
        ("system_comparisons", "difference"),
        ("group_comparisons", "difference_vs_rest"),
    ):
        assert len(plain[table]) == len(single[table]) > 0
        for a, b in zip(plain[table], single[table], strict=True):
            assert a[value] == pytest.approx(b[value], abs=1e-9)
            width = a["ci_high"] - a["ci_low"]
            # 2.5% quantile of B draws: sd ~ 2.7 sigma / sqrt(B) ~ 0.04 sigma = 0.011 width
            # per run; the group rows' joint resample is unstratified (a little wider).
            tol = 0.06 if table != "group_comparisons" else 0.12
            assert abs(a["ci_low"] - b["ci_low"]) <= tol * width
            assert abs(a["ci_high"] - b["ci_high"]) <= tol * width
            if a.get("p_value") is not None:
                mc = np.sqrt(max(a["p_value"], 0.01) / 2000)
                assert abs(a["p_value"] - b["p_value"]) <= 5 * mc + 0.01
    assert all(r["n_clusters"] == r["n_segments"] for r in single["corpus"])
    assert "cluster bootstrap" in single["corpus"][0]["ci_method"]
    assert "cluster-level approximate randomisation" in single["system_comparisons"][0]["test"]


def test_cluster_ids_must_match_the_segments_and_not_be_missing() -> None:
    systems = _two_systems(30)
    with pytest.raises(InvalidInputError, match="30 segments"):
        corpus_tables(systems, {}, draws=10, trials=0, clusters=range(29))
    ids: list[Any] = [1, 2, None, *range(27)]
    with pytest.raises(InvalidInputError, match=r"'doc' .*missing"):
        corpus_tables(systems, {}, draws=10, trials=0, clusters=ids, cluster_column="doc")


def _rate(hits: int, reps: int) -> tuple[float, float]:
    return hits / reps, MC_05 / np.sqrt(reps)


@pytest.mark.slow
@pytest.mark.parametrize("metric", ["chrf", "bleu", "ter"])
def test_clustered_corpus_interval_covers_the_population_score(metric: str) -> None:
    """60 clusters of 3-8 segments sharing a quality; clustered ~0.95, segments far below."""
    rng = np.random.default_rng(10)
    truth = population_score(metric)
    codes = layout(rng, 60)
    reps = 600
    data = statistics(rng, metric, quality(rng, reps, codes)[0])
    hits = {True: 0, False: 0}
    for r in range(reps):
        seg = {"s": {metric: SegmentStatistics(metric, data[r], "")}}
        for clustered in (True, False):
            row = corpus_tables(
                seg, {}, draws=400, trials=0, seed=r, clusters=codes if clustered else None
            )["corpus"][0]
            hits[clustered] += row["ci_low"] <= truth <= row["ci_high"]
    (cov, mc), (plain, _) = _rate(hits[True], reps), _rate(hits[False], reps)
    print(f"{metric} coverage clustered {cov:.3f} ({mc:.3f}) segments {plain:.3f}")
    assert abs(cov - 0.95) <= 3.5 * mc
    assert plain < 0.80


def _groups(design: str, rng: np.random.Generator, codes: np.ndarray) -> np.ndarray:
    k, n = int(codes.max()) + 1, codes.size
    if design == "nested":  # a document's segments share its group
        return np.where(rng.random(k) < 0.4, "a", "b")[codes]
    if design == "spanning-even":  # each segment's group drawn at random
        return np.where(rng.random(n) < 0.5, "a", "b")
    share = np.where(rng.random(k) < 0.5, 0.85, 0.15)[codes]  # spanning, uneven shares
    return np.where(rng.random(n) < share, "a", "b")


@pytest.mark.slow
@pytest.mark.parametrize("design", ["nested", "spanning", "spanning-even"])
def test_group_against_rest_keeps_its_size_under_the_null(design: str) -> None:
    """Identical groups: clustered ~0.05 (labels permuted over / within clusters);
    segment-level approximate randomisation inflated where groups gather in clusters (with
    groups drawn at random per segment it is valid, and not run here)."""
    rng = np.random.default_rng(11)
    codes = layout(rng, 60)
    reps = 500
    data = statistics(rng, "chrf", quality(rng, reps, codes)[0])
    rejections = {True: 0, False: 0}
    tests = set()
    modes = (True, False) if design != "spanning-even" else (True,)
    for r in range(reps):
        seg = {"s": {"chrf": SegmentStatistics("chrf", data[r], "")}}
        groups = {"g": _groups(design, rng, codes).tolist()}
        for clustered in modes:
            row = corpus_tables(
                seg, groups, draws=0, trials=200, seed=r, clusters=codes if clustered else None
            )["group_comparisons"][0]
            rejections[clustered] += row["p_value"] < 0.05
            if clustered:
                tests.add(row["test"])
    (size, mc), (plain, _) = _rate(rejections[True], reps), _rate(rejections[False], reps)
    shown = f"{plain:.3f}" if False in modes else "not run"
    print(f"{design}: false findings clustered {size:.3f} ({mc:.3f}) segments {shown}")
    expected = "cluster-level" if design == "nested" else "within clusters"
    assert len(tests) == 1 and expected in tests.pop()
    assert abs(size - 0.05) <= 3.5 * mc
    assert design == "spanning-even" or plain > 0.15


@pytest.mark.slow
def test_system_comparison_keeps_its_size_under_the_null() -> None:
    """Two systems from one distribution, each better on some documents (a system x cluster
    effect): cluster-swapping randomisation ~0.05, segment swapping inflated."""
    rng = np.random.default_rng(12)
    codes = layout(rng, 60)
    reps = 400
    z = quality(rng, reps, codes, sd_system=0.5, systems=2)
    a, b = statistics(rng, "chrf", z[0]), statistics(rng, "chrf", z[1])
    rejections = {True: 0, False: 0}
    covered = 0
    for r in range(reps):
        systems = {
            "A": {"chrf": SegmentStatistics("chrf", a[r], "")},
            "B": {"chrf": SegmentStatistics("chrf", b[r], "")},
        }
        for clustered in (True, False):
            row = corpus_tables(
                systems,
                {},
                draws=200 if clustered else 0,
                trials=200,
                seed=r,
                clusters=codes if clustered else None,
            )["system_comparisons"][0]
            rejections[clustered] += row["p_value"] < 0.05
            if clustered:
                covered += row["ci_low"] <= 0 <= row["ci_high"]
    (size, mc), (plain, _) = _rate(rejections[True], reps), _rate(rejections[False], reps)
    print(
        f"systems: false findings clustered {size:.3f} ({mc:.3f}) segments {plain:.3f}; "
        f"paired cluster interval covers 0: {covered / reps:.3f}"
    )
    assert abs(size - 0.05) <= 3.5 * mc
    assert abs(covered / reps - 0.95) <= 4 * mc
    assert plain > 0.15


def test_permuting_within_clusters_keeps_each_clusters_inside_count() -> None:
    """Clusters wholly inside or outside: every shuffle reproduces the observed split (p = 1);
    one spanning cluster: shuffles differ, yet all keep the slice sizes."""
    from equilens.textquality._corpus import permutation_p

    rng = np.random.default_rng(3)
    codes = np.repeat(np.arange(10), 4)
    x = statistics(rng, "ter", quality(rng, 1, codes)[0, 0])
    inside = codes < 4
    assert permutation_p(x, inside, "ter", 200, rng, strata=codes) == 1.0
    inside[0], inside[4] = False, True  # clusters 0 and 1 now span
    assert permutation_p(x, inside, "ter", 200, rng, strata=codes) < 1.0


@pytest.mark.slow
def test_near_zero_bleu_group_test_is_not_fooled_by_slice_size() -> None:
    """BLEU with zero-match orders depends on corpus size ('exp' smoothing): a small group
    scores higher than the large rest. Labels permuted within clusters keep the sizes, so
    the artefact is in the null distribution (a jackknife t-test rejected 7.5% here)."""
    rng = np.random.default_rng(13)
    codes = layout(rng, 40)
    reps = 400
    z = quality(rng, reps, codes)[0] - 3.8  # BLEU ~1, most 4-gram matches zero
    data = statistics(rng, "bleu", z)
    rejections = 0
    for r in range(reps):
        seg = {"s": {"bleu": SegmentStatistics("bleu", data[r], "")}}
        groups = {"g": np.where(rng.random(codes.size) < 0.2, "a", "b").tolist()}
        row = corpus_tables(seg, groups, draws=0, trials=200, seed=r, clusters=codes)
        rejections += row["group_comparisons"][0]["p_value"] < 0.05
    size, mc = _rate(rejections, reps)
    print(f"near-zero BLEU, small spanning group: false findings {size:.3f} ({mc:.3f})")
    assert abs(size - 0.05) <= 3.5 * mc
