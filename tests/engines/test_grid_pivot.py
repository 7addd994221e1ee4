"""The pivoted single pass (Spark's, and DuckDB's when asked) against the numpy engine.

A pivoted pass groups 8 neighbouring grid bins and counts each in its own column. Counts,
sums, histograms, moments and calibration tables must equal the numpy engine's; a grid bin may
only lose its "exact" flag (never gain one), and the audit's grid AUC stays within the bound
it states. Scores whose repeated values sit a little apart keep the unpivoted pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from equilens import audit
from equilens.engines import _sql, compute_statistics, duckdb_statistics, spark_statistics
from equilens.engines._duckdb import DuckDBDialect
from equilens.engines._numpy import GRID_BINS
from equilens.stats._tables import CellStats

from .conftest import make_rows

RTOL = 1e-9
WEIGHTED: dict[str, Any] = {
    "y_true": "label",
    "y_pred": "guess",
    "y_score": "score",
    "sample_weight": "w",
    "sensitive": ["race", "sex", "dept"],
    "positive_label": "yes",
}
UNWEIGHTED: dict[str, Any] = {
    "y_true": "y",
    "y_pred": "pred",
    "y_score": "score",
    "sensitive": ["race", "dept"],
}


def continuous_rows(n: int = 6000, seed: int = 1) -> pd.DataFrame:
    """Rows with continuous scores, 0.4% of them tied at 0.25 and a few at 0 and 1."""
    rows = make_rows(n, seed)
    rng = np.random.default_rng(seed)
    score = rng.beta(2.0, 3.0, size=n)
    score[rng.random(n) < 0.004] = 0.25
    score[:3] = [0.0, 1.0, 1.0]
    y = (rng.random(n) < 0.2 + 0.6 * score).astype(np.int64)
    pred = (score >= 0.4).astype(np.int64)
    return rows.assign(
        score=score,
        y=y,
        pred=pred,
        label=np.where(y == 1, "yes", "no"),
        guess=np.where(pred == 1, "yes", "no"),
    )


@pytest.fixture
def pivoted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """DuckDB pivots like Spark; yields the SQL of every query run."""
    monkeypatch.setattr(DuckDBDialect, "grid_pivot", 8)
    seen: list[str] = []
    real = _sql._single_pass

    def spy(run: Any, *args: Any) -> Any:
        real_query = run.backend.query

        def query(sql: str) -> Any:
            seen.append(sql)
            return real_query(sql)

        run.backend.query = query
        return real(run, *args)

    monkeypatch.setattr(_sql, "_single_pass", spy)
    return seen


def _numpy(rows: pd.DataFrame, spec: dict[str, Any]) -> CellStats:
    stats, _ = compute_statistics(rows, engine="numpy", score_mode="grid", **spec)
    return stats


def assert_same_up_to_exactness(ref: CellStats, got: CellStats) -> None:
    """Equal tables; ``got``'s exact bins are a subset of ``ref``'s, with the same values."""
    assert got.keys == ref.keys
    np.testing.assert_array_equal(got.rows, ref.rows)
    np.testing.assert_allclose(got.wsum, ref.wsum, rtol=RTOL, atol=0)
    np.testing.assert_allclose(got.wsq, ref.wsq, rtol=RTOL, atol=0)
    assert got.score_hist is not None and ref.score_hist is not None
    np.testing.assert_allclose(got.score_hist, ref.score_hist, rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(got.score_moments, ref.score_moments, rtol=RTOL, atol=0)  # type: ignore[arg-type]
    assert got.calib is not None and ref.calib is not None
    np.testing.assert_allclose(got.calib, ref.calib, rtol=RTOL, atol=0)
    gb, rb = got.score_bins, ref.score_bins
    assert gb is not None and rb is not None and gb.mode == rb.mode == "grid"
    occupied = ref.score_hist.sum(axis=(0, 1)) > 0
    assert not np.any(gb.exact & occupied & ~rb.exact), "a bin became exact"
    both = gb.exact & occupied
    np.testing.assert_array_equal(gb.values[both], rb.values[both])
    centers = (np.arange(GRID_BINS) + 0.5) / GRID_BINS
    np.testing.assert_array_equal(gb.values[~gb.exact], centers[~gb.exact])


@pytest.mark.parametrize("spec", [WEIGHTED, UNWEIGHTED], ids=["weighted", "unweighted"])
def test_pivoted_pass_matches_numpy(
    pivoted: list[str], tmp_path: Path, spec: dict[str, Any]
) -> None:
    rows = continuous_rows()
    path = tmp_path / "rows.parquet"
    rows.to_parquet(path, index=False)
    got, _ = duckdb_statistics(path, score_mode="grid", **spec)
    assert any("AS c7" in sql for sql in pivoted), "the pass was not pivoted"
    ref = _numpy(rows, spec)
    assert_same_up_to_exactness(ref, got)
    assert got.score_bins is not None and ref.score_bins is not None
    # Bins of one score that the whole group of 8 shares stay exact (0 and 1 here).
    for s in (0.0, 1.0):
        b = min(int(s * GRID_BINS), GRID_BINS - 1)
        assert got.score_bins.exact[b] and got.score_bins.values[b] == s
    # The tied 0.25s share their group with other scores: no longer flagged exact.
    assert ref.score_bins.exact[GRID_BINS // 4] and not got.score_bins.exact[GRID_BINS // 4]


def test_pivoted_grid_auc_is_within_the_stated_bound(pivoted: list[str], tmp_path: Path) -> None:
    rows = continuous_rows()
    path = tmp_path / "rows.parquet"
    rows.to_parquet(path, index=False)

    def results(data: Any, engine: str, mode: str) -> list[dict[str, Any]]:
        log = audit(
            data,
            y_true="y",
            y_pred="pred",
            y_score="score",
            sensitive_features=["race", "dept"],
            intersections=True,
            bootstrap=0,
            min_group_size=20,
            score_mode=mode,  # type: ignore[arg-type]
            engine=engine,
        )
        out: list[dict[str, Any]] = log.model_dump(mode="json")["results"]
        return out

    exact = results(rows, "numpy", "exact")
    grid = results(path, "duckdb", "grid")
    assert any("AS c7" in sql for sql in pivoted)
    checked = positive = 0
    for e, g in zip(exact, grid, strict=True):
        if e["metric"] != "roc_auc_score" or e["value"] is None:
            continue
        assert e["slice"] == g["slice"]
        assert 0.0 <= g["error_bound"] < 1e-3
        assert abs(e["value"] - g["value"]) <= g["error_bound"] + 1e-12
        checked += 1
        positive += g["error_bound"] > 0
    assert checked > 10 and positive > 0


def test_close_repeated_scores_keep_the_unpivoted_pass(pivoted: list[str], tmp_path: Path) -> None:
    """Scores rounded to 4 decimals: pivoting would hide exact bins, so it does not pivot."""
    rows = continuous_rows().assign(score=lambda f: f["score"].round(4))
    path = tmp_path / "rows.parquet"
    rows.to_parquet(path, index=False)
    got, _ = duckdb_statistics(path, score_mode="grid", **UNWEIGHTED)
    assert pivoted and not any("AS c0" in sql for sql in pivoted)
    ref = _numpy(rows, UNWEIGHTED)
    assert got.score_bins is not None and ref.score_bins is not None
    np.testing.assert_array_equal(got.score_bins.exact, ref.score_bins.exact)
    np.testing.assert_array_equal(got.score_bins.values, ref.score_bins.values)
    np.testing.assert_array_equal(got.score_hist, ref.score_hist)  # type: ignore[arg-type]


def test_coarse_discrete_scores_are_pivoted_without_loss(
    pivoted: list[str], tmp_path: Path
) -> None:
    """Scores rounded to 3 decimals: one value per group of 8 bins, so nothing is lost."""
    rows = continuous_rows().assign(score=lambda f: f["score"].round(3))
    path = tmp_path / "rows.parquet"
    rows.to_parquet(path, index=False)
    got, _ = duckdb_statistics(path, score_mode="grid", **WEIGHTED)
    assert any("AS c7" in sql for sql in pivoted)
    ref = _numpy(rows, WEIGHTED)
    assert_same_up_to_exactness(ref, got)
    assert got.score_bins is not None and ref.score_bins is not None
    np.testing.assert_array_equal(got.score_bins.exact, ref.score_bins.exact)


def test_spark_pivots_continuous_scores(spark: Any, tmp_path: Path) -> None:
    rows = continuous_rows()
    path = tmp_path / "rows.parquet"
    rows.to_parquet(path, index=False)
    for spec in (WEIGHTED, UNWEIGHTED):
        got, info = spark_statistics(str(path), score_mode="grid", **spec)
        assert info.engine == "spark"
        assert_same_up_to_exactness(_numpy(rows, spec), got)
        assert got.score_bins is not None
        assert not got.score_bins.exact[GRID_BINS // 4]  # pivoted: the tied 0.25s lost it
