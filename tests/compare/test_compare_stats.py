"""The comparison's statistics against independent implementations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import roc_auc_score
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from equilens.compare._paired import _discordant
from equilens.compare._stats import bootstrap_z_test, delong_paired, mover_difference
from equilens.metrics._scores import delong_variance_from_hist
from equilens.metrics._spec import metrics as registry
from equilens.stats._significance import mcnemar_test


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"), [(30, 100, 20, 90), (1, 12, 7, 15), (0, 40, 3, 35)]
)
def test_mover_on_wilson_is_newcombe(x1: int, n1: int, x2: int, n2: int) -> None:
    l1, u1 = proportion_confint(x1, n1, method="wilson")
    l2, u2 = proportion_confint(x2, n2, method="wilson")
    diff, lo, hi, _, _ = mover_difference(x1 / n1, l1, u1, x2 / n2, l2, u2)
    ref = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb")
    assert float(diff) == pytest.approx(x1 / n1 - x2 / n2)
    assert float(lo) == pytest.approx(ref[0], abs=1e-9)
    assert float(hi) == pytest.approx(ref[1], abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0.05, 0.95),
    st.floats(0.001, 0.2),
    st.floats(0.001, 0.2),
    st.floats(0.05, 0.95),
    st.floats(0.001, 0.2),
    st.floats(0.001, 0.2),
)
def test_mover_test_agrees_with_its_interval(
    e1: float, a1: float, b1: float, e2: float, a2: float, b2: float
) -> None:
    diff, lo, hi, _, p = mover_difference(e1, e1 - a1, e1 + b1, e2, e2 - a2, e2 + b2)
    excludes_zero = lo > 0 or hi < 0
    if abs(float(lo)) > 1e-9 and abs(float(hi)) > 1e-9:
        assert (float(p) < 0.05) == bool(excludes_zero)
    assert lo <= diff <= hi


def test_mover_zero_difference_with_zero_width() -> None:
    _, lo, hi, z, p = mover_difference(1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
    assert float(lo) == float(hi) == 0.0 and float(z) == 0.0 and float(p) == 1.0


def _naive_delong(y: np.ndarray, s1: np.ndarray, s2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """O(m n) DeLong from the definition (placement values over every pair)."""
    pos, neg = y == 1, y == 0
    v10, v01, aucs = [], [], []
    for s in (s1, s2):
        x, z = s[pos], s[neg]
        psi = (x[:, None] > z[None, :]) + 0.5 * (x[:, None] == z[None, :])
        v10.append(psi.mean(axis=1))
        v01.append(psi.mean(axis=0))
        aucs.append(psi.mean())
    cov = np.cov(np.vstack(v10)) / pos.sum() + np.cov(np.vstack(v01)) / neg.sum()
    return np.array(aucs), cov


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_delong_paired_matches_definition_and_sklearn(seed: int, ties: bool) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    y = rng.binomial(1, 0.35, n)
    s1 = rng.normal(y * 0.8, 1.0)
    s2 = 0.6 * s1 + rng.normal(y * 0.5, 0.8)
    if ties:
        s1, s2 = np.round(s1, 1), np.round(s2, 1)
    res = delong_paired(y, s1, s2)
    assert res is not None
    aucs, cov = _naive_delong(y, s1, s2)
    assert np.allclose(aucs, [res.auc_base, res.auc_candidate])
    assert res.auc_base == pytest.approx(roc_auc_score(y, s1), abs=1e-12)
    assert res.auc_candidate == pytest.approx(roc_auc_score(y, s2), abs=1e-12)
    assert res.var_base == pytest.approx(cov[0, 0], rel=1e-9)
    assert res.var_candidate == pytest.approx(cov[1, 1], rel=1e-9)
    assert res.covariance == pytest.approx(cov[0, 1], rel=1e-9)
    # The single-AUC variance agrees with the audit's histogram DeLong.
    values = np.unique(s1)
    idx = np.searchsorted(values, s1)
    neg = np.bincount(idx[y == 0], minlength=values.size).astype(float)
    pos = np.bincount(idx[y == 1], minlength=values.size).astype(float)
    assert res.var_base == pytest.approx(float(delong_variance_from_hist(neg, pos)), rel=1e-9)


def test_delong_paired_identical_scores_has_zero_change() -> None:
    rng = np.random.default_rng(3)
    y = rng.binomial(1, 0.5, 200)
    s = rng.random(200)
    res = delong_paired(y, s, s)
    assert res is not None
    assert res.difference == 0.0 and res.se_difference == pytest.approx(0.0, abs=1e-12)


def test_delong_paired_needs_both_labels() -> None:
    assert delong_paired(np.ones(10), np.random.rand(10), np.random.rand(10)) is None


@pytest.mark.parametrize(
    "metric", ["accuracy_score", "selection_rate", "true_positive_rate", "false_positive_rate"]
)
@pytest.mark.parametrize("seed", [0, 1])
def test_discordant_counts_and_mcnemar_match_statsmodels(metric: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 80 if seed == 0 else 600  # exact branch, then chi-square branch
    y = rng.binomial(1, 0.5, n)
    pb = rng.binomial(1, 0.5, n)
    pc = np.where(rng.random(n) < 0.8, pb, 1 - pb)
    joint = np.zeros((2, 2, 2))
    np.add.at(joint, (y, pb, pc), 1)
    spec = registry.get(metric)
    b, c = _discordant(spec, joint)
    # Row-level: success per model in the metric's sense, over the denominator rows.
    if metric == "accuracy_score":
        den, sb, sc = np.ones(n, bool), pb == y, pc == y
    elif metric == "selection_rate":
        den, sb, sc = np.ones(n, bool), pb == 1, pc == 1
    elif metric == "true_positive_rate":
        den, sb, sc = y == 1, pb == 1, pc == 1
    else:
        den, sb, sc = y == 0, pb == 1, pc == 1
    assert b == int(np.sum(den & sb & ~sc)) and c == int(np.sum(den & ~sb & sc))
    table = [[np.sum(den & sb & sc), b], [c, np.sum(den & ~sb & ~sc)]]
    _, p, name = mcnemar_test(b, c)
    exact = b + c < 25
    ref = mcnemar(table, exact=exact, correction=False)
    assert str(name) == ("mcnemar-exact" if exact else "mcnemar-chi-square")
    assert float(p) == pytest.approx(ref.pvalue, rel=1e-9)


def test_bootstrap_z_test() -> None:
    rng = np.random.default_rng(0)
    draws = rng.normal(0.1, 0.04, size=(500, 3))
    draws[:10, 2] = np.nan
    z, p = bootstrap_z_test(np.array([0.1, 0.0, 0.05]), draws)
    se = np.array([np.std(draws[:, k][np.isfinite(draws[:, k])], ddof=1) for k in range(3)])
    expected_z = np.array([0.1, 0.0, 0.05]) / se
    assert np.allclose(z, expected_z)
    assert np.allclose(p, 2 * stats.norm.sf(np.abs(expected_z)))
    z0, p0 = bootstrap_z_test(np.array([0.0]), np.zeros((100, 1)))
    assert float(z0[0]) == 0.0 and float(p0[0]) == 1.0
