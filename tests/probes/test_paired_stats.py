"""Paired statistics and bias AUCs checked against scipy, statsmodels and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import roc_auc_score
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.probes import flip_stats, generalized_mean, shift_stats, unintended_bias_aucs


def _pairs(seed: int, n: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ref = rng.uniform(0, 1, n)
    other = np.clip(ref + rng.normal(shift, 0.1, n), 0, 1)
    other[: n // 10] = ref[: n // 10]  # some unchanged pairs (zero differences)
    return ref, other


@pytest.mark.parametrize(("n", "shift"), [(12, 0.0), (40, 0.05), (300, -0.02)])
def test_shift_stats_match_scipy(n: int, shift: float) -> None:
    ref, other = _pairs(n, n, shift)
    res = shift_stats(ref, other, draws=500, seed=1)
    diff = other - ref
    w = stats.wilcoxon(diff, zero_method="wilcox")
    assert res.wilcoxon_statistic == pytest.approx(w.statistic)
    assert res.wilcoxon_p == pytest.approx(w.pvalue)
    nonzero = diff[diff != 0]
    k = int(np.sum(nonzero > 0))
    assert res.n_nonzero == nonzero.size
    assert res.n_increase == k
    assert res.sign_p == pytest.approx(stats.binomtest(k, nonzero.size, 0.5).pvalue)
    lo, hi = proportion_confint(k, nonzero.size, alpha=0.05, method="beta")
    assert (res.increase_ci_low, res.increase_ci_high) == pytest.approx((lo, hi))
    assert res.mean_shift == pytest.approx(diff.mean())
    assert res.dz == pytest.approx(diff.mean() / diff.std(ddof=1))
    assert res.ci_low is not None and res.ci_high is not None
    assert res.ci_low <= res.mean_shift <= res.ci_high
    assert res.dz_ci_low is not None and res.dz_ci_high is not None
    assert res.dz_ci_low <= res.dz <= res.dz_ci_high


def test_shift_interval_is_the_paired_t_interval() -> None:
    """The mean shift's interval and test are the paired t (scipy.stats.ttest_rel); the
    percentile bootstrap it replaced under-covered with 10 pairs (issue 20 item 9)."""
    ref, other = _pairs(3, 50, 0.1)
    res = shift_stats(ref, other, draws=2000, seed=7)
    t = stats.ttest_rel(other, ref)
    ci = t.confidence_interval(0.95)
    assert (res.ci_low, res.ci_high) == pytest.approx((ci.low, ci.high))
    assert (res.t_statistic, res.t_p) == pytest.approx((t.statistic, t.pvalue))
    diff = np.sort(other - ref)
    assert res.median_shift == pytest.approx(np.median(diff))
    # n = 50: the order-statistic interval [x_(18), x_(33)] (coverage 0.967).
    assert (res.median_ci_low, res.median_ci_high) == (diff[17], diff[32])


def test_no_change_gives_p_one_and_undefined_effect() -> None:
    x = np.linspace(0, 1, 20)
    res = shift_stats(x, x.copy(), draws=100)
    assert res.mean_shift == 0.0
    assert res.wilcoxon_p == 1.0
    assert res.wilcoxon_statistic is None
    assert res.sign_p == 1.0
    assert res.increase_rate is None
    assert res.dz is None
    assert (res.ci_low, res.ci_high) == (0.0, 0.0)
    assert res.undefined_draws == 1.0


def test_constant_shift_has_undefined_dz_but_clear_tests() -> None:
    x = np.linspace(0.1, 0.5, 30)
    res = shift_stats(x, x + 0.25, draws=100)
    assert res.mean_shift == pytest.approx(0.25)
    assert res.dz is None  # no spread
    assert res.sign_p == pytest.approx(stats.binomtest(30, 30, 0.5).pvalue)


@pytest.mark.parametrize(("b", "c"), [(0, 0), (3, 9), (2, 20), (40, 22)])
def test_flip_stats_match_statsmodels(b: int, c: int) -> None:
    # ref decisions 0 -> other 1 (b pairs), 1 -> 0 (c pairs), plus 10 concordant of each kind
    ref = np.array([0.2] * b + [0.8] * c + [0.2] * 10 + [0.8] * 10)
    other = np.array([0.7] * b + [0.3] * c + [0.1] * 10 + [0.9] * 10)
    res = flip_stats(ref, other)
    assert (res.up, res.down, res.flips, res.n) == (b, c, b + c, b + c + 20)
    table = [[10, b], [c, 10]]
    exact = b + c < 25
    sm = mcnemar(table, exact=exact, correction=False)
    assert res.p_value == pytest.approx(sm.pvalue)
    assert res.test == ("mcnemar-exact" if exact else "mcnemar-chi-square")
    lo, hi = proportion_confint(b + c, res.n, alpha=0.05, method="beta")
    assert (res.ci_low, res.ci_high) == pytest.approx((lo, hi))
    assert res.rate == pytest.approx((b + c) / res.n)


def test_flip_threshold_and_inputs() -> None:
    res = flip_stats([0.5, 0.49], [0.49, 0.5], threshold=0.5)
    assert (res.up, res.down) == (1, 1)
    with pytest.raises(InvalidInputError, match=r"inconsistent numbers of samples: \[2, 1\]"):
        flip_stats([0.1, 0.2], [0.3])
    with pytest.raises(InvalidInputError, match="finite"):
        shift_stats([0.1, np.nan], [0.3, 0.2])
    with pytest.raises(InvalidParameterError, match="'draws' parameter of shift_stats"):
        shift_stats([0.1], [0.2], draws=0)
    empty = flip_stats([], [])
    assert empty.rate is None and empty.test == "none"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=2, max_size=40))
def test_shift_sign_is_antisymmetric(pairs: list[tuple[int, int]]) -> None:
    a = np.array([p[0] for p in pairs], dtype=float) / 20
    b = np.array([p[1] for p in pairs], dtype=float) / 20
    fwd = shift_stats(a, b, draws=50)
    back = shift_stats(b, a, draws=50)
    assert fwd.mean_shift == pytest.approx(-(back.mean_shift or 0.0))
    assert fwd.wilcoxon_p == pytest.approx(back.wilcoxon_p)
    assert fwd.sign_p == pytest.approx(back.sign_p)
    assert fwd.n_nonzero == back.n_nonzero
    f1, f2 = flip_stats(a, b), flip_stats(b, a)
    assert (f1.up, f1.down) == (f2.down, f2.up)
    assert f1.p_value == pytest.approx(f2.p_value)


# --------------------------------------------------------------------------------------------
# unintended-bias AUCs


def _toxicity_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    n = 600
    group = rng.choice(["a", "b", "c"], size=n)
    y = rng.integers(0, 2, n)
    score = np.round(rng.normal(y * 1.5, 1.0), 1)
    score[group == "b"] += 0.8  # identity term raises every score
    return y, score, {g: group == g for g in ("a", "b", "c")}


def test_bias_aucs_match_sklearn_on_their_row_sets() -> None:
    y, s, groups = _toxicity_data()
    rows, means = unintended_bias_aucs(y, s, groups, draws=200)
    by = {(r.metric, r.subgroup): r for r in rows}
    for g, m in groups.items():
        sub = by[("subgroup_auc", g)]
        assert sub.value == pytest.approx(roc_auc_score(y[m], s[m]))
        bpsn = (m & (y == 0)) | (~m & (y == 1))
        assert by[("bpsn_auc", g)].value == pytest.approx(roc_auc_score(y[bpsn], s[bpsn]))
        bnsp = (m & (y == 1)) | (~m & (y == 0))
        assert by[("bnsp_auc", g)].value == pytest.approx(roc_auc_score(y[bnsp], s[bnsp]))
        for r in (sub, by[("bpsn_auc", g)], by[("bnsp_auc", g)]):
            assert r.ci_low is not None and r.ci_high is not None and r.value is not None
            assert r.ci_low < r.value < r.ci_high
    # the shifted group has a low BPSN AUC and a high BNSP AUC
    assert by[("bpsn_auc", "b")].value < by[("bpsn_auc", "a")].value  # type: ignore[operator]
    assert by[("bnsp_auc", "b")].value > by[("bnsp_auc", "a")].value  # type: ignore[operator]
    for mean in means:
        values = [by[(mean.metric, g)].value for g in groups]
        expected = np.mean(np.array(values) ** -5.0) ** (-1 / 5)
        assert mean.value == pytest.approx(expected)
        assert mean.ci_low is not None and mean.ci_high is not None
        assert mean.ci_low <= mean.value <= mean.ci_high  # type: ignore[operator]
        assert mean.subgroups == 3


def test_generalized_mean() -> None:
    assert generalized_mean([0.5, 0.5]) == pytest.approx(0.5)
    assert generalized_mean([1.0, 0.5]) < 0.6  # the worst group dominates at p = -5
    assert generalized_mean([[1.0, np.nan]]) == pytest.approx([1.0])
    assert np.isnan(generalized_mean([np.nan, np.nan]))
    assert generalized_mean([0.2, 0.8], p=1) == pytest.approx(0.5)
    with pytest.raises(InvalidParameterError):
        generalized_mean([0.5], p=0)


def test_bias_auc_undefined_without_positives() -> None:
    y = np.array([0, 0, 1, 1, 0, 0])
    s = np.array([0.1, 0.2, 0.8, 0.9, 0.3, 0.4])
    only_neg = np.array([True, True, False, False, False, False])
    rows, means = unintended_bias_aucs(y, s, {"g": only_neg}, draws=20)
    sub = rows[0]
    assert sub.metric == "subgroup_auc" and sub.value is None
    assert sub.reason == "no positives among the rows of subgroup_auc"
    assert rows[1].value == pytest.approx(1.0)  # BPSN: perfectly separated
    assert means[0].value is None
    with pytest.raises(InvalidInputError, match="binary"):
        unintended_bias_aucs([0, 2], [0.1, 0.2], {})
    with pytest.raises(InvalidInputError, match="membership flags"):
        unintended_bias_aucs([0, 1], [0.1, 0.2], {"g": [True]})
