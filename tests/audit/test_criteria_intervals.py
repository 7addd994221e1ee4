"""Intervals of the between-groups fairness criteria: exact construction, and valid at parity.

The percentile bootstrap of a largest-minus-smallest gap never covered parity (0% of audits with
4 to 8 identical groups); the simultaneous intervals must cover it at least nominally, cover the
true disparity when groups differ, and always contain their point estimate.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import confint_proportions_2indep

from equilens import audit
from equilens.results import AuditLog

ALPHA = 0.05


def _from_counts(groups: dict[str, tuple[int, int]]) -> dict[str, np.ndarray]:
    """Rows with ``selected`` of ``n`` rows selected per group (y_true copies y_pred)."""
    g, pred = [], []
    for name, (selected, n) in groups.items():
        g += [name] * n
        pred += [1] * selected + [0] * (n - selected)
    p = np.array(pred)
    return {"g": np.array(g), "y": p, "pred": p}


def _audit(data: dict[str, np.ndarray], **kw: object) -> AuditLog:
    return audit(data, y_true="y", y_pred="pred", sensitive_features="g", bootstrap=0, **kw)  # type: ignore[arg-type]


def _row(log: AuditLog, criterion: str, method: str = "between_groups"):  # type: ignore[no-untyped-def]
    return next(d for d in log.disparities if d.criterion == criterion and d.method == method)


def _abs_bounds(lo: float, hi: float) -> tuple[float, float]:
    near = lo if lo > 0 else (-hi if hi < 0 else 0.0)
    return near, max(abs(lo), abs(hi))


@pytest.mark.parametrize(
    "counts",
    [
        {"a": (40, 100), "b": (55, 120)},
        {"a": (12, 60), "b": (30, 50), "c": (20, 80), "d": (45, 90)},
        {"a": (0, 40), "b": (9, 45), "c": (20, 70)},
    ],
)
def test_difference_bounds_are_bonferroni_newcombe_over_pairs(
    counts: dict[str, tuple[int, int]],
) -> None:
    """Independent check: statsmodels' Newcombe interval per pair at alpha / pairs."""
    row = _row(_audit(_from_counts(counts)), "demographic_parity_difference")
    pairs = list(itertools.combinations(counts.values(), 2))
    lows, highs = [], []
    for (x1, n1), (x2, n2) in pairs:
        lo, hi = confint_proportions_2indep(
            x1, n1, x2, n2, method="newcomb", compare="diff", alpha=ALPHA / len(pairs)
        )
        near, far = _abs_bounds(float(lo), float(hi))
        lows.append(near)
        highs.append(far)
    assert (row.ci_low, row.ci_high) == pytest.approx((max(lows), max(highs)), abs=1e-9)
    assert f"over {len(pairs)} intervals" in row.ci_method


def _folded(lo: float, hi: float) -> tuple[float, float]:
    """Bounds of ``min(r, 1/r)`` for ``r`` in ``[lo, hi]``."""
    if lo <= 1.0 <= hi:
        return min(lo, 1.0 / hi), 1.0
    return (lo, hi) if hi < 1.0 else (1.0 / hi, 1.0 / lo)


@pytest.mark.parametrize(
    "counts",
    [
        {"a": (120, 300), "b": (50, 150)},  # ratio interval contains 1
        {"a": (150, 300), "b": (45, 150)},  # below 1
        {"a": (45, 150), "b": (150, 300)},  # above 1 (the larger group is the reference)
        {"a": (12, 60), "b": (30, 50), "c": (20, 80), "d": (45, 90)},
    ],
)
def test_ratio_bounds_are_bonferroni_katz_over_pairs(counts: dict[str, tuple[int, int]]) -> None:
    """Independent check: statsmodels' log-ratio (Katz) interval per pair at alpha / pairs,
    folded to min(r, 1/r); for two groups, the single pair's interval at level alpha."""
    log = _audit(_from_counts(counts))
    ref = max(counts, key=lambda k: counts[k][1])  # the default reference: the largest group
    for method, pairs in (
        ("between_groups", list(itertools.combinations(counts.values(), 2))),
        ("to_reference", [(v, counts[ref]) for k, v in counts.items() if k != ref]),
    ):
        row = _row(log, "disparate_impact_ratio", method)
        lows, highs = [], []
        for (x1, n1), (x2, n2) in pairs:
            lo, hi = confint_proportions_2indep(
                x1, n1, x2, n2, method="log", compare="ratio", alpha=ALPHA / len(pairs)
            )
            near, far = _folded(float(lo), float(hi))
            lows.append(near)
            highs.append(far)
        assert (row.ci_low, row.ci_high) == pytest.approx((min(lows), min(highs)), abs=1e-9)
        assert row.ci_method.startswith("simultaneous pairwise log-ratio")
        assert f"over {len(pairs)} intervals" in row.ci_method
        assert row.ci_low <= row.value <= row.ci_high  # type: ignore[operator]


def test_a_group_without_selections_gets_an_informative_ratio_interval() -> None:
    """The log-ratio is undefined at zero selections: the whole criterion uses the box."""
    log = _audit(_from_counts({"a": (0, 40), "b": (20, 50), "c": (25, 60)}))
    row = _row(log, "disparate_impact_ratio")
    assert row.value == 0.0
    assert row.ci_low == 0.0 and row.ci_high is not None and row.ci_high > 0.0
    assert row.ci_method.startswith("simultaneous per-group")


def test_equalized_odds_point_estimate_lies_in_its_interval_in_the_reported_case() -> None:
    rng = np.random.default_rng(4)
    n = 400
    g = rng.choice(["a", "b", "c", "d", "e"], size=n)
    y = rng.integers(0, 2, n)
    pred = np.where(y == 1, rng.random(n) < 0.7, rng.random(n) < 0.3).astype(int)
    log = audit({"g": g, "y": y, "pred": pred}, y_true="y", y_pred="pred", sensitive_features="g")
    for d in log.disparities:
        if d.value is not None and d.ci_low is not None:
            assert d.ci_low <= d.value <= d.ci_high, d


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40), st.integers(0, 40)),
        min_size=2,
        max_size=5,
    )
)
def test_every_point_estimate_lies_in_its_interval(cells: list[tuple[int, ...]]) -> None:
    """Any confusion counts, including groups with no selections or no positives."""
    g, y, pred = [], [], []
    for k, (tn, fp, fn, tp) in enumerate(cells):
        for (yt, yp), c in zip(((0, 0), (0, 1), (1, 0), (1, 1)), (tn, fp, fn, tp), strict=True):
            g += [f"g{k}"] * c
            y += [yt] * c
            pred += [yp] * c
    if len(set(g)) < 2 or len(set(y)) < 2:
        return
    log = audit(
        {"g": np.array(g), "y": np.array(y), "pred": np.array(pred)},
        y_true="y",
        y_pred="pred",
        sensitive_features="g",
        bootstrap=0,
        min_group_size=1,
    )
    for d in log.disparities:
        if d.value is not None and d.ci_low is not None:
            assert d.ci_high is not None
            assert d.ci_low - 1e-12 <= d.value <= d.ci_high + 1e-12, d
            if d.criterion.endswith("ratio"):
                assert 0.0 <= d.ci_low <= d.ci_high <= 1.0
            else:
                assert 0.0 <= d.ci_low <= d.ci_high


def _simulate(
    sizes: list[int], tpr: list[float], fpr: list[float], reps: int, seed: int
) -> dict[tuple[str, str], np.ndarray]:
    """(value, ci_low, ci_high) per criterion and method over ``reps`` audits."""
    rng = np.random.default_rng(seed)
    gi = np.repeat(np.arange(len(sizes)), sizes)
    g = np.array([f"g{k}" for k in range(len(sizes))])[gi]
    t, f = np.asarray(tpr)[gi], np.asarray(fpr)[gi]
    out: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    for _ in range(reps):
        y = rng.random(gi.size) < 0.4
        pred = np.where(y, rng.random(gi.size) < t, rng.random(gi.size) < f)
        log = audit(
            {"g": g, "y": y.astype(int), "pred": pred.astype(int)},
            y_true="y",
            y_pred="pred",
            sensitive_features="g",
            bootstrap=0,
        )
        for d in log.disparities:
            out.setdefault((d.criterion, d.method), []).append(
                (d.value, d.ci_low, d.ci_high)  # type: ignore[arg-type]
            )
    return {k: np.array(v, dtype=float) for k, v in out.items()}


def _coverage(rows: np.ndarray, truth: float) -> tuple[float, float]:
    hit = (rows[:, 1] <= truth + 1e-12) & (truth - 1e-12 <= rows[:, 2])
    cov = float(hit.mean())
    return cov, float(np.sqrt(max(cov * (1 - cov), 0.05 * 0.95) / len(rows)))


PARITY = {
    "demographic_parity_difference": 0.0,
    "disparate_impact_ratio": 1.0,
    "equalized_odds_difference": 0.0,
    "equal_opportunity_ratio": 1.0,
}

# Rates strictly between 0 and 1 keep every pair's log-ratio defined in these simulations, so
# the ratio rows test the pairwise (Katz) intervals, not the per-group box they fall back to.


@pytest.mark.slow
@pytest.mark.parametrize("groups", [4, 8])
@pytest.mark.parametrize("size", [40, 150, 600])
def test_intervals_cover_parity_at_least_nominally(groups: int, size: int) -> None:
    """Identical groups: every criterion's interval reaches parity in >= 95% of audits."""
    reps = 150
    res = _simulate([size] * groups, [0.7] * groups, [0.2] * groups, reps, seed=groups * size)
    for criterion, truth in PARITY.items():
        for method in ("between_groups", "to_overall", "to_reference"):
            rows = res[(criterion, method)]
            assert (rows[:, 1] <= rows[:, 0] + 1e-12).all() and (
                rows[:, 0] <= rows[:, 2] + 1e-12
            ).all()
            cov, se = _coverage(rows, truth)
            print(f"G={groups} n={size} {criterion} {method}: coverage {cov:.3f} +/- {se:.3f}")
            assert cov >= 1 - ALPHA - 2 * se, (criterion, method, cov)


@pytest.mark.slow
def test_intervals_cover_the_true_disparity_when_groups_differ() -> None:
    tpr, fpr = [0.6, 0.7, 0.7, 0.8], [0.2, 0.2, 0.25, 0.3]
    sel = [0.4 * t + 0.6 * f for t, f in zip(tpr, fpr, strict=True)]
    truths = {
        "demographic_parity_difference": max(sel) - min(sel),
        "disparate_impact_ratio": min(sel) / max(sel),
        "equalized_odds_difference": max(max(tpr) - min(tpr), max(fpr) - min(fpr)),
        "equal_opportunity_difference": max(tpr) - min(tpr),
    }
    res = _simulate([300, 250, 200, 150], tpr, fpr, reps=200, seed=3)
    for criterion, truth in truths.items():
        cov, se = _coverage(res[(criterion, "between_groups")], truth)
        print(f"differing groups {criterion}: truth {truth:.3f} coverage {cov:.3f} +/- {se:.3f}")
        assert cov >= 1 - ALPHA - 2 * se, (criterion, cov)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sizes", "tpr", "fpr"),
    [
        ([300, 150], [0.7, 0.6], [0.2, 0.12]),
        ([400, 350, 300, 250, 200, 150, 100, 80], [0.7] * 4 + [0.6] * 4, [0.2] * 4 + [0.12] * 4),
    ],
)
def test_ratio_intervals_cover_a_true_ratio_away_from_parity(
    sizes: list[int], tpr: list[float], fpr: list[float]
) -> None:
    """Disparate impact about 0.78 (between groups and to the largest group, the reference)
    and equal opportunity 0.86: the pairwise log-ratio intervals cover the true ratio."""
    sel = [0.4 * t + 0.6 * f for t, f in zip(tpr, fpr, strict=True)]
    truths = {
        ("disparate_impact_ratio", "between_groups"): min(sel) / max(sel),
        ("disparate_impact_ratio", "to_reference"): min(min(s / sel[0], sel[0] / s) for s in sel),
        ("equal_opportunity_ratio", "between_groups"): min(tpr) / max(tpr),
        ("equal_opportunity_ratio", "to_reference"): min(min(t / tpr[0], tpr[0] / t) for t in tpr),
    }
    res = _simulate(sizes, tpr, fpr, reps=300, seed=len(sizes))
    for key, truth in truths.items():
        rows = res[key]
        cov, se = _coverage(rows, truth)
        print(f"G={len(sizes)} {key}: truth {truth:.3f} coverage {cov:.3f} +/- {se:.3f}")
        assert cov >= 1 - ALPHA - 2 * se, (key, cov)
