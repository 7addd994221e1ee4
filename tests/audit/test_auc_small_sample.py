"""ROC-AUC evidence at small counts: the score-type comparison test and the score interval.

Simulations (binormal scores, identical groups for the size, known AUC for the coverage) with
their Monte Carlo error, independent checks of the formulas (scikit-learn, scipy), and the
reproductions from issue 11 (a 6-row perfectly separated group; 3 positives that separate by
chance), which must get no p-value and stay out of the Holm / BH family.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats
from sklearn.metrics import roc_auc_score

from equilens import audit
from equilens.metrics._scores import (
    auc_difference_test,
    auc_interval,
    auc_score_interval,
    delong_variance_from_hist,
    roc_auc_from_hist,
)


def _binormal_hists(
    rng: np.random.Generator,
    reps: int,
    sizes: tuple[int, int, int, int],
    auc: float,
    auc2: float | None = None,
) -> tuple[np.ndarray, ...]:
    """Per-rep histograms (one bin per row, ascending score) of two groups.

    ``sizes`` = (positives, negatives) of group 1, then of group 2. Binormal scores with
    AUC ``auc`` in group 1 and ``auc2`` (default: the same, identical groups) in group 2.
    """
    m1, k1, m2, k2 = sizes
    label = np.concatenate([np.ones(m1), np.zeros(k1), np.ones(m2), np.zeros(k2)])
    group = np.concatenate([np.zeros(m1 + k1), np.ones(m2 + k2)])
    aucs = np.where(group == 0, auc, auc if auc2 is None else auc2)
    score = rng.normal(size=(reps, label.size)) + np.sqrt(2.0) * stats.norm.ppf(aucs) * label
    order = np.argsort(score, axis=1)
    lab, grp = label[order], group[order]
    return tuple(((lab == y) & (grp == g)).astype(float) for g in (0, 1) for y in (0, 1))


# Size of the comparison test under the null: 10 (the default minimum) to 30 positives and
# negatives in the small group, AUC 0.8 to 0.97. Measured with 20,000 replicates per case
# (rejections / nominal at alpha = 0.05, 0.01, 0.001):
#   10+10 vs 300+300, AUC 0.8:  0.88, 0.71, 0.80   (plain z on the pooled variance: 2.9 at 0.001)
#   10+10 vs 300+300, AUC 0.95: 0.60, 0.62, 0.30   (plain z: 10.6; DeLong z: 190 at 0.001)
#   10+100 vs 100+1000, AUC 0.8: 0.88, 0.53, 0.35
#   30+30 vs 300+300, AUC 0.95: 0.73, 0.61, 0.75
SIZE_CASES = [
    ((10, 10, 300, 300), 0.8),
    ((10, 10, 300, 300), 0.95),
    ((10, 100, 100, 1000), 0.8),
    ((30, 30, 300, 300), 0.95),
]


@pytest.mark.slow
@pytest.mark.parametrize(("sizes", "auc"), SIZE_CASES)
def test_auc_difference_test_size_under_the_null(
    sizes: tuple[int, int, int, int], auc: float
) -> None:
    reps = 10_000
    rng = np.random.default_rng(20261204)
    n1, p1, n2, p2 = _binormal_hists(rng, reps, sizes, auc)
    _, p, se = auc_difference_test(n1, p1, n2, p2)
    assert np.isfinite(p).all() and (se > 0).all()
    for level in (0.05, 0.01, 0.001):
        rejections = int((p < level).sum())
        # Fails only if the true size is above the level: the 99.9% binomial quantile.
        limit = stats.binom.ppf(0.999, reps, level)
        assert rejections <= limit, (level, rejections / reps)
    # Not trivially conservative at the usual level (the test keeps its power).
    assert (p < 0.05).mean() > 0.02


@pytest.mark.slow
def test_delong_z_was_invalid_where_the_new_test_holds() -> None:
    """The old test (DeLong's own variances, normal tail) on the same draws: 10-20x too many
    rejections at 0.001. This is the failure the score test replaces."""
    reps = 4000
    n1, p1, n2, p2 = _binormal_hists(np.random.default_rng(7), reps, (10, 10, 300, 300), 0.95)
    var = delong_variance_from_hist(n1, p1) + delong_variance_from_hist(n2, p2)
    diff = roc_auc_from_hist(n1, p1) - roc_auc_from_hist(n2, p2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_old = np.where(var > 0, 2 * stats.norm.sf(np.abs(diff / np.sqrt(var))), 0.0)
    _, p_new, _ = auc_difference_test(n1, p1, n2, p2)
    assert (p_old < 0.001).mean() > 0.05
    assert (p_new < 0.001).sum() <= stats.binom.ppf(0.999, reps, 0.001)


def test_auc_difference_test_has_power_against_a_real_gap() -> None:
    rng = np.random.default_rng(3)
    reps = 400
    n1, p1, n2, p2 = _binormal_hists(rng, reps, (40, 40, 400, 400), 0.6, 0.9)
    _, p, _ = auc_difference_test(n1, p1, n2, p2)
    assert (p < 0.05).mean() > 0.95


def test_null_variance_is_the_u_statistic_variance() -> None:
    """Bamber's exact variance of an AUC of m positives and k negatives drawn from the pooled
    sample (ties included), against scikit-learn AUCs of 20,000 such draws."""
    rng = np.random.default_rng(11)
    # A small pooled population with ties, on 6 score values.
    neg = np.array([5.0, 4, 3, 2, 1, 1])
    pos = np.array([1.0, 1, 2, 3, 4, 6])
    values = np.arange(6)
    m, k = 8, 12
    reps = 20_000
    xs = rng.choice(values, size=(reps, m), p=pos / pos.sum())
    ys = rng.choice(values, size=(reps, k), p=neg / neg.sum())
    # Mann-Whitney U with mid-ranks for ties (scipy), vectorised over the draws: AUC = U / mk.
    aucs = stats.mannwhitneyu(xs, ys, axis=1, method="asymptotic").statistic / (m * k)
    one = 3
    assert aucs[one] == pytest.approx(
        roc_auc_score(np.r_[np.ones(m), np.zeros(k)], np.r_[xs[one], ys[one]]), abs=1e-12
    )
    # The pooled histograms: group 1 is the pooled sample itself, group 2 empty of weight
    # would be undefined, so split the pooled sample in two identical halves instead.
    _, _, se = auc_difference_test(neg / 2, pos / 2, neg / 2, pos / 2, m, k, 10**9, 10**9)
    sd_mc = aucs.std(ddof=1)
    # se^2 = V(m, k) + V(huge) ~ V(m, k); the MC sd has relative error ~ 1 / sqrt(2 reps).
    assert float(se) == pytest.approx(sd_mc, rel=4 / np.sqrt(2 * reps))


def test_auc_difference_test_undefined_when_the_pooled_sample_separates() -> None:
    n1, p1 = np.array([3.0, 0, 0]), np.array([0.0, 0, 2])
    n2, p2 = np.array([5.0, 1, 0]), np.array([0.0, 0, 4])
    stat, p, se = auc_difference_test(n1, p1, n2, p2)
    assert np.isnan(stat) and np.isnan(p) and np.isnan(se)


# Coverage of the score interval (nominal 95%), measured with 10,000 replicates, Bernoulli
# labels (the test below runs 4,000):
#   n = 100, base rate 0.1, AUC 0.95: newcombe 0.967, delong-logit 0.901 (0.9% no interval)
#   n = 30, base rate 0.5, AUC 0.98:  newcombe 0.966, delong-logit 0.726 (25% no interval)
#   n = 100, base rate 0.1, AUC 0.6:  newcombe 0.951, delong-logit 0.939
#   n = 200, base rate 0.05, AUC 0.9: newcombe 0.963, delong-logit 0.887
COVERAGE_CASES = [(100, 0.1, 0.95), (30, 0.5, 0.98), (100, 0.1, 0.6), (200, 0.05, 0.9)]


@pytest.mark.slow
@pytest.mark.parametrize(("n", "rate", "auc"), COVERAGE_CASES)
def test_auc_score_interval_coverage(n: int, rate: float, auc: float) -> None:
    reps = 4000
    rng = np.random.default_rng(n + int(1000 * auc))
    label = (rng.random((reps, n)) < rate).astype(float)
    score = rng.normal(size=(reps, n)) + np.sqrt(2.0) * stats.norm.ppf(auc) * label
    lab = np.take_along_axis(label, np.argsort(score, axis=1), axis=1)
    neg, pos = 1 - lab, lab
    est = roc_auc_from_hist(neg, pos)
    ok = np.isfinite(est)
    lo, hi = auc_score_interval(est, pos.sum(1), neg.sum(1))
    assert np.isfinite(lo[ok]).all() and np.isfinite(hi[ok]).all()  # always an interval
    covered = ((lo <= auc) & (auc <= hi))[ok]
    se = np.sqrt(0.95 * 0.05 / covered.size)
    assert covered.mean() >= 0.95 - 3 * se, covered.mean()
    assert covered.mean() <= 0.99  # not uselessly wide


@settings(max_examples=60, deadline=None)
@given(
    auc=st.floats(0.0, 1.0),
    n_pos=st.integers(1, 500),
    n_neg=st.integers(1, 500),
    level=st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_auc_score_interval_solves_the_score_equation(
    auc: float, n_pos: int, n_neg: int, level: float
) -> None:
    alpha = 1 - level
    lo, hi = (float(x) for x in auc_score_interval(auc, n_pos, n_neg, alpha))
    assert 0.0 <= lo <= auc <= hi <= 1.0
    z2 = stats.norm.ppf(1 - alpha / 2) ** 2
    n_star = (n_pos + n_neg) / 2 - 1

    def f(t: float) -> float:
        q = (1 - t) / (2 - t) + t / (1 + t)
        return (auc - t) ** 2 - z2 * t * (1 - t) / (n_pos * n_neg) * (1 + (n_star - 1) * q)

    # Independent root finding (scipy's brentq) on each side of the estimate.
    # (At AUC 0 or 1 the estimate itself is a trivial root: bracket just inside it.)
    eps = 1e-12
    if auc > 0:
        assert lo == pytest.approx(optimize.brentq(f, 0.0, min(auc, 1 - eps)), abs=1e-9)
    if auc < 1:
        assert hi == pytest.approx(optimize.brentq(f, max(auc, eps), 1.0), abs=1e-9)
    wider = auc_score_interval(auc, n_pos, n_neg, alpha / 2)
    assert float(wider[0]) <= lo + 1e-12 and float(wider[1]) >= hi - 1e-12


def test_auc_score_interval_exists_at_perfect_separation() -> None:
    lo, hi = auc_score_interval(1.0, 15, 15)
    assert 0.8 < float(lo) < 1.0 and float(hi) == 1.0
    # DeLong's variance is zero there: no logit interval at all.
    d_lo, _ = auc_interval(1.0, 0.0)
    assert np.isnan(d_lo)


def _frame_with_small_groups(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_big = 600
    y = rng.integers(0, 2, n_big)
    score = 1 / (1 + np.exp(-(rng.normal(size=n_big) + 1.5 * y)))
    big = pd.DataFrame({"y": y, "score": score, "g": "big"})
    # 6 rows separating perfectly (issue 11: AUC difference +0.33, Holm p = 2e-89 before).
    tiny = pd.DataFrame({"y": [0, 0, 0, 1, 1, 1], "score": [0.1, 0.2, 0.3, 0.7, 0.8, 0.9]})
    tiny["g"] = "tiny"
    # 60 rows with 3 positives that outscore every negative (p = 1e-83, status ok, before).
    neg = rng.uniform(0.0, 0.6, 57)
    few = pd.DataFrame({"y": [0] * 57 + [1] * 3, "score": np.r_[neg, [0.95, 0.96, 0.97]]})
    few["g"] = "few_positives"
    out = pd.concat([big, tiny, few], ignore_index=True)
    out["pred"] = (out.score > 0.5).astype(int)
    return out


def test_small_auc_comparisons_get_no_p_value_and_leave_the_family() -> None:
    log = audit(
        _frame_with_small_groups(0),
        y_true="y",
        y_pred="pred",
        y_score="score",
        sensitive_features=["g"],
        reference={"g": "big"},
        bootstrap=0,
    )
    auc_rows = {c.slice["g"]: c for c in log.comparisons if c.metric == "roc_auc_score"}
    for name in ("tiny", "few_positives"):
        row = auc_rows[name]
        assert row.value == 1.0
        assert row.p_value is None and row.p_holm is None and row.p_bh is None
        assert row.test == "none" and not row.in_family
        assert row.status == "insufficient_evidence"
        assert row.conclusion == "insufficient_evidence"
    assert "positives" in auc_rows["few_positives"].reason
    assert auc_rows["few_positives"].n == 60  # a large enough group, too few positives
    assert log.multiple_comparisons["size"] == sum(
        c.in_family and c.p_value is not None for c in log.comparisons
    )
    # No comparison anywhere says "detected" without an ok status and a family p-value.
    for c in log.comparisons:
        if c.conclusion == "difference_detected":
            assert c.status == "ok" and c.p_holm is not None


def test_min_class_count_is_an_audit_option() -> None:
    frame = _frame_with_small_groups(1)
    kw = dict(y_true="y", y_pred="pred", y_score="score", sensitive_features=["g"])
    strict = audit(frame, **kw, reference={"g": "big"}, bootstrap=0, min_group_size=5)  # type: ignore[arg-type]
    loose = audit(  # type: ignore[arg-type]
        frame, **kw, reference={"g": "big"}, bootstrap=0, min_group_size=5, min_class_count=3
    )
    row = {c.slice["g"]: c for c in loose.comparisons if c.metric == "roc_auc_score"}
    assert row["tiny"].p_value is not None and row["tiny"].in_family
    assert loose.spec_resolved["min_class_count"] == 3
    assert strict.spec_resolved["min_class_count"] == 10
    assert loose.multiple_comparisons["size"] > strict.multiple_comparisons["size"]


def test_console_markdown_and_html_read_the_same_conclusion() -> None:
    """A small group's AUC row (value 1.0, difference +0.1 or more) is nowhere "detected"."""
    import io
    import re

    from rich.console import Console

    from equilens._cli._table import print_summary
    from equilens.report import render_html, render_markdown

    log = audit(
        _frame_with_small_groups(2),
        y_true="y",
        y_pred="pred",
        y_score="score",
        sensitive_features=["g"],
        reference={"g": "big"},
        bootstrap=0,
    )
    tests = [c for c in log.comparisons if c.derived_from is None]
    detected = sum(c.conclusion == "difference_detected" for c in tests)
    buf = io.StringIO()
    print_summary(log, Console(file=buf, width=250))
    console = buf.getvalue()
    assert f"{detected} of {len(tests)} comparisons" in console
    table = console.split("Differences detected", 1)[1]
    assert "roc_auc_score" not in table
    markdown = render_markdown(log)
    assert re.search(rf"\*\*{detected}\*\* differences detected", markdown)
    assert f"of {len(tests)} group-vs-reference comparisons" in markdown
    html = render_html(log)
    auc_rows = re.findall(r'<tr[^>]*data-metric="roc_auc_score"[^>]*>', html)
    assert auc_rows and all('data-conclusion="difference_detected"' not in r for r in auc_rows)


@settings(max_examples=80, deadline=None)
@given(
    counts=st.lists(st.tuples(*(st.integers(0, 6) for _ in range(4))), min_size=2, max_size=12),
    gap=st.integers(0, 3),
)
def test_auc_difference_test_is_symmetric_and_ignores_empty_bins(
    counts: list[tuple[int, int, int, int]], gap: int
) -> None:
    n1, p1, n2, p2 = (np.array(c, dtype=float) for c in zip(*counts))
    stat, p, se = auc_difference_test(n1, p1, n2, p2)
    stat_r, p_r, se_r = auc_difference_test(n2, p2, n1, p1)
    if not np.isfinite(p):
        assert np.isnan(p_r) and np.isnan(stat) and np.isnan(se)
        return
    assert 0.0 <= float(p) <= 1.0 and float(se) > 0
    assert float(p_r) == pytest.approx(float(p), rel=1e-9, abs=1e-15)
    assert float(stat_r) == pytest.approx(-float(stat), rel=1e-9, abs=1e-12)
    assert float(se_r) == pytest.approx(float(se), rel=1e-12)
    # Empty bins inserted between the others change nothing (a finer grid, same scores).
    pad = [np.insert(h, 1, np.zeros(gap)) for h in (n1, p1, n2, p2)]
    assert float(auc_difference_test(*pad)[1]) == pytest.approx(float(p), rel=1e-9, abs=1e-15)
