"""Coverage and size of the regression / measure intervals and tests, by simulation.

Replicates are vectorised: each replicate is one finest cell of one :class:`UnitSums`, so one
call evaluates the intervals of every replicate through the metrics' own code. Monte Carlo
error of a coverage ``c`` over ``R`` replicates: ``sqrt(c (1 - c) / R)`` (0.005 at R = 2,000).
Figures measured (seeded) are in ``docs/design/0011-measures-and-clusters.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import equilens
from equilens.metrics._continuous import UnitContext, measure_metrics, regression_metrics
from equilens.stats._means import welch_test
from equilens.stats._units import unit_sums

pytestmark = pytest.mark.slow


def _context(x: np.ndarray, quantity: str, cluster: np.ndarray | None = None) -> UnitContext:
    """Replicates in rows of ``x`` (R, n): one cell each."""
    r, n = x.shape
    cell = np.repeat(np.arange(r, dtype=np.int64), n)
    values = np.column_stack([np.ones(r * n), x.reshape(-1)])
    sums = unit_sums(cell, r, values, ["weight", quantity], cluster=cluster)
    return UnitContext(sums, np.eye(r), 0.05, "auto", 0, np.random.default_rng(0))


def _coverage(x: np.ndarray, metric: str, truth: float) -> float:
    registry = regression_metrics if metric == "mean_absolute_error" else measure_metrics
    spec = registry.get(metric)
    quantity = "abs_error" if metric == "mean_absolute_error" else "value"
    data = np.abs(x) if metric == "mean_absolute_error" else x
    assert spec.evaluate is not None
    ev = spec.evaluate(spec, _context(data, quantity))
    return float(np.mean((ev.lo <= truth) & (truth <= ev.hi)))


SIZES = {20: 4000, 100: 4000, 1000: 2000, 10000: 300}
#: (distribution, metric) -> (sampler, truth)
CASES = {
    ("normal", "mean"): (lambda g, s: g.normal(1.0, 2.0, s), 1.0),
    ("skewed", "mean"): (lambda g, s: g.exponential(1.0, s), 1.0),
    ("normal", "mean_absolute_error"): (lambda g, s: g.normal(0.0, 1.0, s), np.sqrt(2 / np.pi)),
    # |Exp(1) - 1| has mean 2 / e.
    ("skewed", "mean_absolute_error"): (lambda g, s: g.exponential(1.0, s) - 1.0, 2 / np.e),
}


@pytest.mark.parametrize("n", list(SIZES))
@pytest.mark.parametrize("case", list(CASES))
def test_mean_and_mae_interval_coverage(n: int, case: tuple[str, str]) -> None:
    reps = SIZES[n]
    sampler, truth = CASES[case]
    x = sampler(np.random.default_rng(n), (reps, n))
    cov = _coverage(x, case[1], truth)
    mc = np.sqrt(0.95 * 0.05 / reps)
    # Skewed data at small n: the t interval's known shortfall (measured 0.893-0.916 at
    # n = 20 and 0.931-0.944 at n = 100; documented in the design note), gone by n = 1,000.
    low = {20: 0.88, 100: 0.92}.get(n, 0.0) if case[0] == "skewed" else 0.0
    low = max(low, 0.0) or 0.95 - 4 * mc - 0.01
    assert low <= cov <= 0.95 + 4 * mc, (case, n, cov, mc)


def test_clustered_measure_naive_undercovers_cluster_interval_covers() -> None:
    rng = np.random.default_rng(11)
    reps, k, m, icc = 2000, 50, 10, 0.3
    shared = rng.normal(size=(reps, k, 1)) * np.sqrt(icc)
    x = (shared + rng.normal(size=(reps, k, m)) * np.sqrt(1 - icc)).reshape(reps, k * m)
    cluster = np.tile(np.repeat(np.arange(k), m), reps).astype(np.int64)
    spec = measure_metrics.get("mean")
    assert spec.evaluate is not None
    naive = spec.evaluate(spec, _context(x, "value"))
    clustered = spec.evaluate(spec, _context(x, "value", cluster))
    cov_naive = float(np.mean((naive.lo <= 0) & (naive.hi >= 0)))
    cov_cluster = float(np.mean((clustered.lo <= 0) & (clustered.hi >= 0)))
    print(f"clustered coverage naive {cov_naive:.4f} cluster {cov_cluster:.4f} (MC 0.005)")
    assert cov_naive < 0.80  # design effect 1 + 9 * 0.3 = 3.7: z 1.96 / sqrt(3.7) ~ 0.69
    assert 0.93 <= cov_cluster <= 0.97, cov_cluster


@pytest.mark.parametrize(("n1", "n2", "s2"), [(5, 12, 3.0), (8, 8, 1.0), (20, 6, 0.5)])
def test_welch_size_under_the_null_small_n(n1: int, n2: int, s2: float) -> None:
    """Two cells per replicate (equal means, unequal variances), through the mean's se/df."""
    rng = np.random.default_rng(n1 * 100 + n2)
    reps = 20000
    a = rng.exponential(1.0, (reps, n1))
    b = 1.0 + (rng.exponential(1.0, (reps, n2)) - 1.0) * s2
    spec = measure_metrics.get("mean")
    assert spec.evaluate is not None
    ea = spec.evaluate(spec, _context(a, "value"))
    eb = spec.evaluate(spec, _context(b, "value"))
    assert ea.se is not None and ea.df is not None and eb.se is not None and eb.df is not None
    _, p, _, _, _ = welch_test(ea.value, ea.se, ea.df, eb.value, eb.se, eb.df)
    size = float(np.mean(p < 0.05))
    print(f"welch size n1={n1} n2={n2} sd ratio={s2}: {size:.4f}")
    mc = np.sqrt(0.05 * 0.95 / reps)  # 0.0015
    # Skewed data at n = 5..20: Welch is close to its level, slightly liberal at worst.
    assert 0.02 <= size <= 0.08, (size, mc)


def _any_detected(log: equilens.AuditLog) -> bool:
    return any(c.conclusion == "difference_detected" for c in log.comparisons)


def test_regression_audit_false_finding_rate_identical_groups() -> None:
    rng = np.random.default_rng(21)
    reps, n = 300, 900
    hits = 0
    for _ in range(reps):
        y = rng.gamma(2.0, 2.0, n)
        df = pd.DataFrame(
            {"y": y, "p": y + rng.normal(0, 1.5, n), "g": rng.choice(["a", "b", "c"], n)}
        )
        hits += _any_detected(
            equilens.audit(
                df,
                task="regression",
                y_true="y",
                y_pred="p",
                sensitive_features=["g"],
                bootstrap=50,
            )
        )
    rate = hits / reps
    print(f"regression audit family-wise false findings {rate:.4f} over {reps}")
    # Holm over 8 tests: family-wise rate <= 0.05 (MC error 0.013).
    assert rate <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / reps), rate


def test_clustered_measure_false_finding_rate_identical_groups() -> None:
    rng = np.random.default_rng(22)
    reps, k, m, icc = 300, 90, 8, 0.3
    hits_cluster = hits_naive = 0
    cl = np.repeat(np.arange(k), m)
    for _ in range(reps):
        v = np.repeat(rng.normal(size=k), m) * np.sqrt(icc) + rng.normal(size=k * m) * np.sqrt(
            1 - icc
        )
        g = np.repeat(rng.choice(["a", "b", "c"], size=k), m)
        df = pd.DataFrame({"v": v, "g": g, "cl": cl})
        kw = {"task": "measure", "value": "v", "sensitive_features": ["g"], "bootstrap": 50}
        hits_cluster += _any_detected(equilens.audit(df, cluster="cl", **kw))
        hits_naive += _any_detected(equilens.audit(df, **kw))
    mc = np.sqrt(0.05 * 0.95 / reps)
    print(
        f"clustered measure false findings: cluster {hits_cluster / reps:.4f}, rows "
        f"{hits_naive / reps:.4f} over {reps}"
    )
    assert hits_cluster / reps <= 0.05 + 3 * mc, hits_cluster / reps
    assert hits_naive / reps > 0.15  # rows as independent units: far too many findings


@pytest.mark.parametrize("n", [30, 200])
def test_r2_bootstrap_coverage(n: int) -> None:
    """R^2's random-group bootstrap percentile interval (population R^2 = 0.75)."""
    reps = 500
    rng = np.random.default_rng(n + 77)
    y = rng.normal(size=(reps, n))
    e = rng.normal(0.0, 0.5, (reps, n))
    cell = np.repeat(np.arange(reps, dtype=np.int64), n)
    values = np.column_stack([np.ones(reps * n), y.ravel(), (y * y).ravel(), (e * e).ravel()])
    sums = unit_sums(cell, reps, values, ["weight", "target", "target_sq", "error_sq"])
    ctx = UnitContext(sums, np.eye(reps), 0.05, "auto", 300, np.random.default_rng(1))
    spec = regression_metrics.get("r2_score")
    assert spec.evaluate is not None
    ev = spec.evaluate(spec, ctx)
    cov = float(np.mean((ev.lo <= 0.75) & (ev.hi >= 0.75)))
    print(f"r2 bootstrap coverage n={n}: {cov:.4f} (MC {np.sqrt(cov * (1 - cov) / reps):.4f})")
    # Measured 0.925 (n = 30) and 0.934 (n = 200) over 1,500 reps: a little short (R^2 is
    # biased low in small samples and the percentile interval does not correct bias).
    assert 0.89 <= cov <= 0.97
