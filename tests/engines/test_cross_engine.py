"""numpy, DuckDB and Spark make the same statistics and the same audit from the same rows.

Counts are compared exactly, weighted sums to 1e-9 relative; score bins (values and
exactness) exactly, in exact mode (small data, ``auto``) and on the 16,384-bin grid. The
audits must agree on every result, criterion and comparison. Statistics of two Parquet files
merge (by addition) into the statistics of both files read together.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from equilens import audit
from equilens.engines import compute_statistics, duckdb_statistics, spark_statistics
from equilens.engines._numpy import GRID_BINS
from equilens.stats._tables import CellStats

RTOL = 1e-9

#: Every role and every kind of sensitive feature: string labels given by name, weights,
#: scores on the edges, a string feature with nulls / "" / "<missing>", an int feature and a
#: binned float feature with NaN.
FULL: dict[str, Any] = {
    "y_true": "label",
    "y_pred": "guess",
    "y_score": "score",
    "sample_weight": "w",
    "sensitive": ["race", "sex", "age", "dept"],
    "bins": {"age": [25, 45]},
    "positive_label": "yes",
}
#: 0/1 labels, no scores, no weights.
PLAIN: dict[str, Any] = {"y_true": "y", "y_pred": "pred", "sensitive": ["race", "dept"]}


def assert_same_stats(a: CellStats, b: CellStats) -> None:
    """Identical keys, counts and bins; sums equal to 1e-9 relative."""
    assert a.features == b.features
    assert a.keys == b.keys
    assert a.weighted == b.weighted
    np.testing.assert_array_equal(a.rows, b.rows)
    np.testing.assert_allclose(a.wsum, b.wsum, rtol=RTOL, atol=0)
    np.testing.assert_allclose(a.wsq, b.wsq, rtol=RTOL, atol=0)
    assert a.has_scores == b.has_scores
    if not a.has_scores:
        return
    assert a.score_bins is not None and b.score_bins is not None
    assert a.score_bins.mode == b.score_bins.mode
    np.testing.assert_array_equal(a.score_bins.values, b.score_bins.values)
    np.testing.assert_array_equal(a.score_bins.exact, b.score_bins.exact)
    assert a.score_hist is not None and b.score_hist is not None
    if a.weighted:
        np.testing.assert_allclose(a.score_hist, b.score_hist, rtol=RTOL, atol=0)
    else:
        np.testing.assert_array_equal(a.score_hist, b.score_hist)
    np.testing.assert_allclose(a.score_moments, b.score_moments, rtol=RTOL, atol=0)  # type: ignore[arg-type]
    assert a.calib is not None and b.calib is not None
    np.testing.assert_array_equal(a.calib[..., 0], b.calib[..., 0])
    np.testing.assert_allclose(a.calib, b.calib, rtol=RTOL, atol=0)


def _numpy(rows: pd.DataFrame, spec: dict[str, Any], mode: str) -> CellStats:
    stats, info = compute_statistics(rows, engine="numpy", score_mode=mode, **spec)  # type: ignore[arg-type]
    assert info.engine == "numpy"
    return stats


# --- DuckDB ------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [FULL, PLAIN], ids=["full", "plain"])
@pytest.mark.parametrize("mode", ["auto", "grid"])
@pytest.mark.parametrize("source", ["parquet", "csv", "arrow"])
def test_duckdb_matches_numpy(
    rows: pd.DataFrame, files: dict[str, Path], spec: dict[str, Any], mode: str, source: str
) -> None:
    data: Any = pa.Table.from_pandas(rows) if source == "arrow" else files[source]
    got, info = duckdb_statistics(data, score_mode=mode, **spec)  # type: ignore[arg-type]
    assert info.engine == "duckdb"
    assert_same_stats(_numpy(rows, spec, mode), got)


def test_duckdb_info_matches_numpy(rows: pd.DataFrame, files: dict[str, Path]) -> None:
    _, ref = compute_statistics(rows, engine="numpy", **FULL)
    _, got = compute_statistics(str(files["parquet"]), engine="duckdb", **FULL)
    assert (got.n_rows, got.features, got.weighted) == (ref.n_rows, ref.features, ref.weighted)
    assert got.positive_label == ref.positive_label == "yes"
    assert got.label_values == ref.label_values == ("no", "yes")
    assert got.columns == ref.columns
    assert set(got.fingerprint.columns) == set(ref.fingerprint.columns)


@pytest.mark.parametrize("spec", [FULL, PLAIN], ids=["full", "plain"])
@pytest.mark.parametrize("mode", ["auto", "grid"])
def test_single_pass_and_its_fallback_agree_with_numpy(
    rows: pd.DataFrame,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    spec: dict[str, Any],
    mode: str,
) -> None:
    """One GROUP BY when the sample foresees every value; two passes when it does not."""
    from equilens.engines import _sql

    passes: list[bool] = []
    single_pass = _sql._single_pass

    def spy(*args: Any, **kwargs: Any) -> Any:
        out = single_pass(*args, **kwargs)
        passes.append(out is not None)
        return out

    monkeypatch.setattr(_sql, "_single_pass", spy)
    ref = _numpy(rows, spec, mode)
    got, info = duckdb_statistics(pa.Table.from_pandas(rows), score_mode=mode, **spec)  # type: ignore[arg-type]
    assert passes == [True]
    assert_same_stats(ref, got)
    # A sample of 20 rows sorted so that groups and labels appear only after it: the single
    # pass sees values the sample did not and hands over to the two-pass path.
    monkeypatch.setattr(_sql, "GUARD_ROWS", 20)
    ordered = rows.sort_values(["race", "dept", "y"], na_position="first", kind="stable")
    path = tmp_path / "ordered.parquet"
    ordered.to_parquet(path, index=False)
    passes.clear()
    again, info_again = duckdb_statistics(path, score_mode=mode, **spec)  # type: ignore[arg-type]
    assert passes == [False]
    assert_same_stats(ref, again)
    assert info_again.fingerprint == info.fingerprint
    # A sample that foresees everything, but holds only some of the rows: the single pass.
    shuffled = rows.sample(frac=1.0, random_state=1)
    shuffled.to_parquet(path, index=False)
    monkeypatch.setattr(_sql, "GUARD_ROWS", 2000)
    passes.clear()
    third, info_third = duckdb_statistics(path, score_mode=mode, **spec)  # type: ignore[arg-type]
    assert passes[-1] is True
    assert_same_stats(ref, third)
    assert info_third.fingerprint == info.fingerprint


def test_grid_mode_on_large_data_needs_no_sort(rows: pd.DataFrame, tmp_path: Path) -> None:
    """Above 2M rows ``auto`` is the grid on every engine (here forced with score_mode)."""
    big = pd.concat([rows] * 4, ignore_index=True)
    path = tmp_path / "big.parquet"
    big.to_parquet(path, index=False)
    got, _ = duckdb_statistics(path, score_mode="grid", **FULL)
    ref = _numpy(big, FULL, "grid")
    assert_same_stats(ref, got)
    assert got.score_bins is not None and got.score_bins.n_bins == GRID_BINS
    # Bins holding one repeated score (0.25, 0.5, 1.0) are exact and keep it; the bin of 0.3
    # also holds 0.30000000000000004 (one ulp above), so it is not exact.
    exact, values = got.score_bins.exact, got.score_bins.values
    for s in (0.25, 0.5, 1.0):
        b = min(int(s * GRID_BINS), GRID_BINS - 1)
        assert exact[b] and values[b] == s
    assert not exact[int(0.3 * GRID_BINS)]


def test_grid_bin_holding_two_scores_of_one_group_is_not_exact(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "y": [1, 1, 1, 0],
            "p": [1, 1, 1, 0],
            "s": [0.15, 0.15 + 1e-9, 0.15 + 1e-9, 0.7],
            "g": ["a", "a", "a", "b"],
        }
    )
    path = tmp_path / "two.parquet"
    frame.to_parquet(path, index=False)
    spec = {"y_true": "y", "y_pred": "p", "y_score": "s", "sensitive": "g"}
    got, _ = duckdb_statistics(path, score_mode="grid", **spec)
    assert_same_stats(_numpy(frame, spec, "grid"), got)
    assert got.score_bins is not None
    assert not got.score_bins.exact[int(0.15 * GRID_BINS)]
    assert got.score_bins.exact[int(0.7 * GRID_BINS)]


@pytest.mark.parametrize(
    ("y", "p", "positive"),
    [
        ([True, False, True, False], [True, True, False, False], None),
        ([1, 2, 2, 1], [2, 2, 1, 1], "2"),  # the CLI's string "2" matches the int label 2
        ([0.0, 1.0, 1.0, 0.0], [1.0, 1.0, 0.0, 0.0], None),
        (["b", "a", "a", "b"], ["a", "a", "a", "a"], "a"),
    ],
    ids=["bool", "int-2", "float", "str-one-value-pred"],
)
def test_label_types_match_numpy(tmp_path: Path, y: list[Any], p: list[Any], positive: Any) -> None:
    frame = pd.DataFrame(
        {"y": y * 5, "p": p * 5, "flag": [True, False] * 10, "n": [1.5, 2.0, None, 2.0] * 5}
    )
    path = tmp_path / "labels.parquet"
    frame.to_parquet(path, index=False)
    spec = {"y_true": "y", "y_pred": "p", "sensitive": ["flag", "n"], "positive_label": positive}
    ref, ref_info = compute_statistics(frame, engine="numpy", **spec)
    got, info = duckdb_statistics(path, **spec)
    assert_same_stats(ref, got)
    assert info.positive_label == ref_info.positive_label
    assert type(info.positive_label) is type(ref_info.positive_label)
    assert info.label_values == ref_info.label_values


def test_duckdb_merge_of_two_files_equals_both_files(rows: pd.DataFrame, tmp_path: Path) -> None:
    first, second = tmp_path / "part-1.parquet", tmp_path / "part-2.parquet"
    rows.iloc[:1700].to_parquet(first, index=False)
    rows.iloc[1700:].to_parquet(second, index=False)
    for mode in ("auto", "grid"):
        a, _ = duckdb_statistics(first, score_mode=mode, **FULL)  # type: ignore[arg-type]
        b, _ = duckdb_statistics(second, score_mode=mode, **FULL)  # type: ignore[arg-type]
        both, _ = duckdb_statistics([first, second], score_mode=mode, **FULL)  # type: ignore[arg-type]
        merged = a.merge(b)
        assert merged.n_rows == both.n_rows == len(rows)
        _assert_same_up_to_key_order(merged, both)
        _assert_same_up_to_key_order(merged, _numpy(rows, FULL, mode))


def _assert_same_up_to_key_order(a: CellStats, b: CellStats) -> None:
    """merge() sorts keys as strings; engines order them by group code."""
    order = [a.keys.index(k) for k in b.keys]
    assert sorted(a.keys) == sorted(b.keys)
    np.testing.assert_array_equal(a.rows[order], b.rows)
    np.testing.assert_allclose(a.wsum[order], b.wsum, rtol=RTOL)
    assert a.score_bins is not None and b.score_bins is not None
    occ_a = a.score_hist.sum(axis=(0, 1)) > 0  # type: ignore[union-attr]
    occ_b = b.score_hist.sum(axis=(0, 1)) > 0  # type: ignore[union-attr]
    np.testing.assert_array_equal(a.score_bins.values[occ_a], b.score_bins.values[occ_b])
    np.testing.assert_array_equal(a.score_bins.exact[occ_a], b.score_bins.exact[occ_b])
    hist_a = a.score_hist[order][..., occ_a]  # type: ignore[index]
    np.testing.assert_allclose(hist_a, b.score_hist[..., occ_b], rtol=RTOL)  # type: ignore[index]
    np.testing.assert_allclose(a.score_moments[order], b.score_moments, rtol=RTOL)  # type: ignore[index]
    np.testing.assert_allclose(a.calib[order], b.calib, rtol=RTOL)  # type: ignore[index]


def test_duckdb_reads_a_hive_partitioned_directory(rows: pd.DataFrame, tmp_path: Path) -> None:
    pq.write_to_dataset(pa.Table.from_pandas(rows), tmp_path / "by_sex", partition_cols=["sex"])
    got, info = compute_statistics(tmp_path / "by_sex", **FULL)
    assert info.engine == "duckdb"  # auto: the numpy engine cannot read a directory
    assert_same_stats(_numpy(rows, FULL, "auto"), got)


def test_duckdb_reads_a_duckdb_relation(rows: pd.DataFrame, files: dict[str, Path]) -> None:
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    rel = con.sql(f"SELECT * FROM read_parquet('{files['parquet']}')")
    got, info = compute_statistics(rel, **FULL)
    assert info.engine == "duckdb"
    assert_same_stats(_numpy(rows, FULL, "auto"), got)


# --- fingerprint -------------------------------------------------------------------------------


def test_fingerprint_is_deterministic_and_order_free(rows: pd.DataFrame, tmp_path: Path) -> None:
    shuffled = rows.sample(frac=1.0, random_state=3)
    changed = rows.copy()
    changed.loc[10, "score"] = 0.123456
    paths = {}
    for name, frame in (("same", rows), ("shuffled", shuffled), ("changed", changed)):
        paths[name] = tmp_path / f"{name}.parquet"
        frame.to_parquet(paths[name], index=False)
    digest = {
        name: duckdb_statistics(path, **FULL)[1].fingerprint.digest for name, path in paths.items()
    }
    again = duckdb_statistics(paths["same"], threads=1, **FULL)[1].fingerprint.digest
    assert digest["same"] == again == digest["shuffled"]
    assert digest["changed"] != digest["same"]


# --- audits ------------------------------------------------------------------------------------

_SKIP = {"engine"}


def _same(a: Any, b: Any, path: str = "") -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), path
        for key in a:
            if key not in _SKIP:
                _same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=RTOL, abs_tol=1e-12), (path, a, b)
    else:
        assert a == b, (path, a, b)


def _audit(data: Any, engine: str, mode: str = "auto") -> dict[str, Any]:
    log = audit(
        data,
        y_true="label",
        y_pred="guess",
        y_score="score",
        sample_weight="w",
        positive_label="yes",
        sensitive_features=["race", "sex", "age"],
        bins={"age": [25, 45]},
        intersections=True,
        bootstrap=200,
        min_group_size=20,
        score_mode=mode,  # type: ignore[arg-type]
        engine=engine,
    )
    assert log.spec_resolved["engine"] == engine
    dumped = log.model_dump(mode="json")
    return {k: dumped[k] for k in ("results", "disparities", "comparisons", "families")} | {
        "score_bins": dumped["score_bins"],
        "n_rows": dumped["data"]["n_rows"],
    }


def test_duckdb_audit_matches_numpy_audit(rows: pd.DataFrame, files: dict[str, Path]) -> None:
    _same(_audit(rows, "numpy"), _audit(files["parquet"], "duckdb"))
    _same(_audit(rows, "numpy", "grid"), _audit(files["csv"], "duckdb", "grid"))


def test_grid_auc_within_the_stated_bound(rows: pd.DataFrame, files: dict[str, Path]) -> None:
    """Exact AUC (numpy) vs grid AUC (DuckDB): the difference is within each slice's bound."""
    exact = _audit(rows, "numpy", "exact")["results"]
    grid = _audit(files["parquet"], "duckdb", "grid")["results"]
    checked = 0
    for e, g in zip(exact, grid):
        if e["metric"] != "roc_auc_score" or e["value"] is None:
            continue
        assert e["slice"] == g["slice"]
        assert e["error_bound"] == 0.0
        assert abs(e["value"] - g["value"]) <= g["error_bound"] + 1e-12
        checked += 1
    assert checked > 10


# --- Spark -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "spec", "mode"),
    [
        ("parquet", FULL, "auto"),
        ("csv", FULL, "grid"),
        ("frame", FULL, "grid"),
        ("frame", PLAIN, "auto"),
    ],
    ids=["parquet-auto", "csv-grid", "frame-grid", "frame-plain"],
)
def test_spark_matches_numpy(
    spark: Any,
    rows: pd.DataFrame,
    files: dict[str, Path],
    source: str,
    spec: dict[str, Any],
    mode: str,
) -> None:
    data = spark.read.parquet(str(files["parquet"])) if source == "frame" else files[source]
    got, info = spark_statistics(data, score_mode=mode, **spec)  # type: ignore[arg-type]
    assert info.engine == "spark"
    assert_same_stats(_numpy(rows, spec, mode), got)


def test_spark_audit_matches_numpy_audit(
    spark: Any, rows: pd.DataFrame, files: dict[str, Path]
) -> None:
    frame = spark.read.parquet(str(files["parquet"]))
    _same(_audit(rows, "numpy"), _audit(frame, "spark"))


def test_spark_is_chosen_for_a_spark_dataframe_and_ignores_partitioning(
    spark: Any, files: dict[str, Path]
) -> None:
    frame = spark.read.parquet(str(files["parquet"]))
    one, info_one = compute_statistics(frame.coalesce(1), **PLAIN)
    three, info_three = compute_statistics(frame.repartition(3), **PLAIN)
    assert info_one.engine == info_three.engine == "spark"
    assert_same_stats(one, three)
    assert info_one.fingerprint == info_three.fingerprint
