"""Simulations of the multiclass intervals and tests where the truth is known.

Figures (recorded in ``docs/design/0010-multiclass.md``) come from these tests; each states
its Monte Carlo error. Counts are drawn directly (a finest cell's K x K counts are
multinomial), so every replicate is the exact statistics of a sample of rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import special

from equilens.audit._compare import comparison_rows
from equilens.metrics._multiclass import balanced_accuracy, class_sums, f1_average
from equilens.slicing._plan import build_plan, resolve_intersections
from equilens.tasks._multiclass import TASK
from equilens.tasks._multiclass_stats import MulticlassStats
from tasks._multiclass_helpers import options, stats_of

PRIOR = np.array([0.5, 0.3, 0.2])
CONFUSION = np.array([[0.8, 0.15, 0.05], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7]])
PI = PRIOR[:, None] * CONFUSION  # joint P(true, predicted)
CLASSES = ("0", "1", "2")


def _stats(counts: np.ndarray, keys: list[tuple[str, ...]], features: tuple[str, ...]) -> Any:
    return MulticlassStats(
        features=features,
        keys=tuple(keys),
        classes=CLASSES,
        rows=counts.astype(np.int64),
        wsum=counts.astype(np.float64),
        wsq=counts.astype(np.float64),
        weighted=False,
    )


def _mc(p: float, reps: int) -> float:
    return float(np.sqrt(p * (1 - p) / reps))


@pytest.mark.slow
@pytest.mark.parametrize("n", [150, 1000])
def test_coverage_of_per_class_recall_and_macro_f1(n: int) -> None:
    reps = 1000
    rng = np.random.default_rng(100 + n)
    truth = {
        **{f"recall_score[class={c}]": CONFUSION[c, c] for c in range(3)},
        "f1_score[average=macro]": float(f1_average("macro")(class_sums(PI))),
        "balanced_accuracy_score": float(balanced_accuracy(class_sums(PI))),
    }
    hits = dict.fromkeys(truth, 0)
    for r in range(reps):
        counts = rng.multinomial(n, PI.ravel()).reshape(1, 3, 3)
        stats = _stats(counts, [("a",)], ("g",))
        plan = build_plan(stats, [])
        ev = TASK.evaluate(
            stats,
            plan,
            ["recall_score", "f1_score", "balanced_accuracy_score"],
            options(bootstrap=400, seed=r),
        )
        for name, true in truth.items():
            e = ev.evaluated[name]
            hits[name] += bool(e.lo[0] <= true <= e.hi[0])
    se = _mc(0.95, reps)  # 0.0069
    print(f"coverage n={n}:", {k: h / reps for k, h in hits.items()}, f"MC se {se:.4f}")
    for name, h in hits.items():
        cover = h / reps
        # Within 3 Monte Carlo errors of 95% (percentile bootstrap: a little lower at n=150).
        assert 0.95 - 3 * se - (0.01 if n < 500 else 0) <= cover <= 0.95 + 3 * se, (name, cover)


@pytest.mark.slow
def test_size_of_z_test_on_bootstrap_se_for_macro_f1_and_balanced_accuracy() -> None:
    """Identical groups (400 and 600 rows): |z| > 1.96 about 5% of the time."""
    reps = 1000
    rng = np.random.default_rng(7)
    rejects = {"f1_score[average=macro]": 0, "balanced_accuracy_score": 0}
    for r in range(reps):
        counts = np.stack([rng.multinomial(m, PI.ravel()).reshape(3, 3) for m in (600, 400)])
        stats = _stats(counts, [("a",), ("b",)], ("g",))
        plan = build_plan(stats, [("g",)])
        ev = TASK.evaluate(stats, plan, list(rejects), options(bootstrap=400, seed=r))
        for name in rejects:
            e = ev.evaluated[name]
            assert e.se is not None and e.df is not None and np.isinf(e.df).all()
            z = (e.value[2] - e.value[1]) / np.hypot(e.se[1], e.se[2])
            rejects[name] += bool(2 * special.ndtr(-abs(z)) < 0.05)
    print("z-test size:", {k: v / reps for k, v in rejects.items()}, f"MC se {_mc(0.05, reps):.4f}")
    for name, k in rejects.items():
        rate = k / reps
        assert 0.05 - 3 * _mc(0.05, reps) <= rate <= 0.05 + 3 * _mc(0.05, reps), (name, rate)


@pytest.mark.slow
def test_false_finding_rate_of_the_whole_family_on_identical_groups() -> None:
    """Two features and their intersection (6 cells, 3000 rows, class scores): every group
    has the same classifier. Audits with any Holm-significant comparison: at most ~5%."""
    reps = 300
    rng = np.random.default_rng(11)
    any_finding, tests, raw_rejects = 0, 0, 0
    g_levels, h_levels = np.array(["a", "b", "c"]), np.array(["x", "y"])
    n = 3000
    for r in range(reps):
        y = rng.choice(3, n, p=PRIOR)
        logits = rng.normal(size=(n, 3)) + 1.2 * np.eye(3)[y]
        score = np.round(np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True), 3)
        score = score / score.sum(axis=1, keepdims=True)
        pred = score.argmax(axis=1)
        sens = {
            "g": g_levels[rng.choice(3, n, p=[0.6, 0.3, 0.1])],
            "h": h_levels[rng.choice(2, n, p=[0.7, 0.3])],
        }
        stats = stats_of(y, pred, sens, np.clip(score, 0, 1))
        plan = build_plan(stats, resolve_intersections(["g", "h"], True), min_group_size=30)
        ev = TASK.evaluate(stats, plan, None, options(bootstrap=200, seed=r))
        insufficient = ev.n < 30
        rows, _ = comparison_rows(
            plan, ev.evaluated, ev.comparison_metrics, insufficient, ev.n, 0.05, "auto", 0.1, 10
        )
        tested = [c for c in rows if c.in_family]
        tests += len(tested)
        raw_rejects += sum(1 for c in tested if c.p_value is not None and c.p_value < 0.05)
        any_finding += any(c.p_holm is not None and c.p_holm < 0.05 for c in tested)
    rate = any_finding / reps
    per_test = raw_rejects / tests
    print(
        f"family: any Holm finding {rate:.3f} (MC se {_mc(0.05, reps):.3f}), tests/audit "
        f"{tests / reps:.1f}, unadjusted per-test rejection {per_test:.4f}"
    )
    assert tests / reps > 50  # the family holds the per-class and score tests
    assert rate <= 0.05 + 2 * _mc(0.05, reps), rate
    # Unadjusted, each test rejects about 5% of the time (neither broken nor vacuous).
    assert 0.03 <= per_test <= 0.065, per_test


@pytest.mark.slow
def test_coverage_with_skewed_weights() -> None:
    """Weights Gamma(0.5) (design effect 3), independent of the classes, 1,000 rows: Wilson on
    Kish effective counts for recall; the gamma-step count bootstrap for the K x K functions
    (percentile intervals about 1 point under nominal, weighted or not; 0010-multiclass.md)."""
    reps, n = 1000, 1000
    rng = np.random.default_rng(5)
    truth = {
        **{f"recall_score[class={c}]": CONFUSION[c, c] for c in range(3)},
        "f1_score[average=macro]": float(f1_average("macro")(class_sums(PI))),
        "balanced_accuracy_score": float(balanced_accuracy(class_sums(PI))),
    }
    hits = dict.fromkeys(truth, 0)
    for r in range(reps):
        flat = rng.choice(9, n, p=PI.ravel())
        weights = rng.gamma(0.5, 2.0, n)
        stats = stats_of(flat // 3, flat % 3, {"g": np.zeros(n, dtype=int)}, None, weights)
        ev = TASK.evaluate(
            stats,
            build_plan(stats, []),
            ["recall_score", "f1_score", "balanced_accuracy_score"],
            options(bootstrap=300, seed=r),
        )
        for name, true in truth.items():
            e = ev.evaluated[name]
            hits[name] += bool(e.lo[0] <= true <= e.hi[0])
    se = _mc(0.95, reps)
    print("weighted coverage:", {k: h / reps for k, h in hits.items()}, f"MC se {se:.4f}")
    for name, h in hits.items():
        low = 0.95 - 3 * se - (0.02 if "recall" not in name else 0.0)
        assert low <= h / reps <= 0.95 + 3 * se, (name, h / reps)
