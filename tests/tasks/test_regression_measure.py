"""Regression and measure audits: against scikit-learn, scipy and jiwer; merging; bad input."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from scipy import stats as st
from sklearn import metrics as skm

import equilens
from equilens.data._columns import prepare_columns
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.tasks import get_task


def _frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    y = rng.gamma(2.0, 3.0, size=n)
    p = y + rng.normal(0.3, 2.0, size=n) + (g == "c") * 1.0
    w = rng.uniform(0.2, 3.0, size=n)
    return pd.DataFrame({"y": y, "p": p, "g": g, "w": w})


def _rows(log: Any, metric: str) -> dict[str, Any]:
    return {r.slice.get("g", "all"): r for r in log.results if r.metric == metric}


@pytest.mark.parametrize("weighted", [False, True])
def test_regression_metrics_match_sklearn(weighted: bool) -> None:
    df = _frame()
    kw = {"sample_weight": "w"} if weighted else {}
    log = equilens.audit(
        df, task="regression", y_true="y", y_pred="p", sensitive_features=["g"], **kw
    )
    assert log.task == "regression"
    for grp in ("a", "b", "c", "all"):
        sub = df if grp == "all" else df[df.g == grp]
        sw = sub.w if weighted else None
        err = sub.p - sub.y
        expect = {
            "mean_error": np.average(err, weights=sw),
            "mean_absolute_error": skm.mean_absolute_error(sub.y, sub.p, sample_weight=sw),
            "root_mean_squared_error": skm.root_mean_squared_error(sub.y, sub.p, sample_weight=sw),
            "r2_score": skm.r2_score(sub.y, sub.p, sample_weight=sw),
            "mean_prediction": np.average(sub.p, weights=sw),
            "mean_target": np.average(sub.y, weights=sw),
        }
        for metric, value in expect.items():
            row = _rows(log, metric)[grp]
            assert row.value == pytest.approx(value, rel=1e-9), (metric, grp)
            assert row.ci_low is not None and row.ci_low <= row.value <= row.ci_high


def test_mean_interval_is_the_t_interval_and_welch_matches_scipy() -> None:
    df = _frame(seed=1)
    log = equilens.audit(df, task="regression", y_true="y", y_pred="p", sensitive_features=["g"])
    err = {g: (df.p - df.y)[df.g == g].to_numpy() for g in "abc"}
    for g in "abc":
        x = np.abs(err[g])
        half = st.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
        row = _rows(log, "mean_absolute_error")[g]
        assert (row.ci_low, row.ci_high) == pytest.approx((x.mean() - half, x.mean() + half))
    comps = [c for c in log.comparisons if c.metric == "mean_absolute_error"]
    ref = comps[0].reference["g"]
    assert ref == "a"  # the largest group
    for c in comps:
        x, y = np.abs(err[c.slice["g"]]), np.abs(err[ref])
        t = st.ttest_ind(x, y, equal_var=False)
        assert c.test == "welch-t"
        assert c.statistic == pytest.approx(t.statistic, rel=1e-9)
        raw = t.pvalue
        assert c.p_value == pytest.approx(raw, rel=1e-8)
        ci = t.confidence_interval(0.95)
        assert (c.difference_ci_low, c.difference_ci_high) == pytest.approx((ci.low, ci.high))
        assert c.effect_size_name == "hedges_g"
        assert c.rank_test is not None and c.rank_test.test == "mann-whitney"
        mw = st.mannwhitneyu(x, y, method="asymptotic")
        # A fine quantile grid ranks values within a bin as ties: close to the exact test.
        assert c.rank_test.p_value == pytest.approx(mw.pvalue, rel=0.05, abs=1e-3)
        assert c.in_family


def test_rank_test_exact_with_few_distinct_values() -> None:
    rng = np.random.default_rng(4)
    n = 400
    df = pd.DataFrame({"v": rng.integers(1, 6, n).astype(float), "g": rng.choice(["x", "y"], n)})
    log = equilens.audit(df, task="measure", value="v", sensitive_features=["g"])
    (c,) = log.comparisons
    x = df.v[df.g == c.slice["g"]].to_numpy()
    y = df.v[df.g == c.reference["g"]].to_numpy()
    mw = st.mannwhitneyu(x, y, method="asymptotic")
    assert c.rank_test is not None
    assert c.rank_test.statistic == pytest.approx(mw.statistic)
    assert c.rank_test.p_value == pytest.approx(mw.pvalue, rel=1e-9)
    assert log.spec_resolved["task_rank_test"]["value"]["exact"] is True


def test_ratio_of_sums_equals_jiwer_corpus_wer() -> None:
    jiwer = pytest.importorskip("jiwer")  # in the dev extra
    rng = np.random.default_rng(7)
    words = ["the", "a", "cat", "dog", "sat", "on", "mat", "ran", "fast", "slow", "red", "blue"]
    refs, hyps, groups = [], [], []
    for i in range(120):
        ref = list(rng.choice(words, size=rng.integers(3, 12)))
        hyp = [w for w in ref if rng.random() > 0.15]
        hyp = [w if rng.random() > 0.1 else str(rng.choice(words)) for w in hyp]
        if rng.random() < 0.3:
            hyp.insert(int(rng.integers(0, len(hyp) + 1)), str(rng.choice(words)))
        refs.append(" ".join(ref))
        hyps.append(" ".join(hyp) or "the")
        groups.append("f" if i % 3 else "m")
    errors, ref_words = [], []
    for r, h in zip(refs, hyps):
        out = jiwer.process_words(r, h)
        errors.append(out.substitutions + out.deletions + out.insertions)
        ref_words.append(len(r.split()))
    df = pd.DataFrame({"err": errors, "words": ref_words, "g": groups})
    log = equilens.audit(
        df, task="measure", numerator="err", denominator="words", sensitive_features=["g"]
    )
    rows = {r.slice.get("g", "all"): r for r in log.results}
    assert rows["all"].metric == "ratio_of_sums"
    assert rows["all"].value == pytest.approx(jiwer.wer(refs, hyps), rel=1e-12)
    for g in ("f", "m"):
        idx = [i for i, x in enumerate(groups) if x == g]
        expect = jiwer.wer([refs[i] for i in idx], [hyps[i] for i in idx])
        assert rows[g].value == pytest.approx(expect, rel=1e-12)
        assert rows[g].ci_low < rows[g].value < rows[g].ci_high
    assert log.spec_resolved["task_numerator_column"] == "err"


def test_ratio_interval_is_the_ratio_estimator_variance() -> None:
    rng = np.random.default_rng(2)
    den = rng.integers(1, 20, 300).astype(float)
    num = rng.binomial(den.astype(int), 0.2).astype(float)
    df = pd.DataFrame({"n": num, "d": den, "g": "x"})
    log = equilens.audit(
        df, task="measure", numerator="n", denominator="d", sensitive_features=["g"]
    )
    r = num.sum() / den.sum()
    z = (num - r * den) / den.mean()
    se = z.std(ddof=1) / np.sqrt(z.size)
    row = log.results[0]
    # Errors are never negative: the t interval on log(r), se(log r) = se / r (delta method).
    half = st.t.ppf(0.975, 299) * se / r
    assert row.ci_method == "t on the log scale (delta method, K-1 df)"
    assert (row.ci_low, row.ci_high) == pytest.approx(
        (r * np.exp(-half), r * np.exp(half)), rel=1e-6
    )


def _stats(df: pd.DataFrame, task: str, roles: dict[str, Any]) -> Any:
    t = get_task(task)
    inputs = prepare_columns(
        df,
        roles={r.name: roles.get(r.name) for r in t.roles},
        kinds={r.name: r.kind for r in t.roles},
        sensitive=["g"],
    )
    return t.statistics(inputs, {})


def _by_key(stats: Any) -> dict[tuple[str, ...], tuple[np.ndarray, ...]]:
    s = stats.sums
    return {k: (s.totals[i], s.cross[i], s.units[i], s.rows[i]) for i, k in enumerate(stats.keys)}


@settings(max_examples=40, deadline=None)
@given(
    n=hs.integers(4, 60),
    cut=hs.floats(0.1, 0.9),
    seed=hs.integers(0, 10_000),
    clustered=hs.booleans(),
    task=hs.sampled_from(["regression", "measure_mean", "measure_ratio"]),
)
def test_merge_equals_concatenation(
    n: int, cut: float, seed: int, clustered: bool, task: str
) -> None:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "y": rng.normal(size=n).round(2),
            "p": rng.normal(size=n).round(2),
            "d": rng.integers(0, 5, n).astype(float),
            "g": rng.choice(["a", "b", "c"], size=n),
            "cl": rng.integers(0, 5, n),
        }
    )
    df["nu"] = np.minimum(df.d, rng.integers(0, 3, n))
    df.loc[0, "cl"], df.loc[1, "cl"] = 0, 0  # at least one repeated cluster
    roles: dict[str, Any] = {
        "regression": {"y_true": "y", "y_pred": "p"},
        "measure_mean": {"value": "y"},
        "measure_ratio": {"numerator": "nu", "denominator": "d"},
    }[task]
    if clustered:
        roles = {**roles, "cluster": "cl"}
        first = df.cl < int(cut * 5) + 0.5  # batches split by cluster
    else:
        first = np.arange(n) < max(1, int(cut * n))
    name = "regression" if task == "regression" else "measure"
    a, b = df[first], df[~first]
    if a.empty or b.empty:
        return
    parts = (df, a, b)
    if clustered and any(p.cl.nunique() == len(p) for p in parts):
        # A batch with one row per cluster is refused, by design (test_bad_input_messages).
        single = next(p for p in parts if p.cl.nunique() == len(p))
        with pytest.raises(InvalidInputError, match="--cluster"):
            _stats(single, name, roles)
        return
    whole = _stats(df, name, roles)
    merged = _stats(a, name, roles).merge(_stats(b, name, roles))
    kw, km = _by_key(whole), _by_key(merged)
    assert set(kw) == set(km)
    for k, parts in kw.items():
        for x, y in zip(parts, km[k]):
            np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-10)


def test_bad_input_messages() -> None:
    df = _frame()
    df["txt"] = df.g
    df["neg"] = -1.0
    df["rid"] = np.arange(len(df))
    cases: list[tuple[dict[str, Any], type[Exception], str]] = [
        (
            {"task": "regression", "y_true": "txt", "y_pred": "p"},
            InvalidInputError,
            "--task multiclass",
        ),
        ({"task": "measure", "numerator": "y"}, InvalidParameterError, "no denominator"),
        ({"task": "measure", "denominator": "y"}, InvalidParameterError, "no numerator"),
        (
            {"task": "measure", "value": "y", "numerator": "p", "denominator": "w"},
            InvalidParameterError,
            "not both",
        ),
        ({"task": "measure", "numerator": "y", "denominator": "neg"}, InvalidInputError, "'neg'"),
        ({"task": "measure", "value": "y", "cluster": "rid"}, InvalidInputError, "--cluster"),
        ({"task": "measure"}, InvalidParameterError, "--value"),
        (
            {"task": "regression", "y_true": "y", "y_pred": "p", "metrics": ["f1_score"]},
            InvalidParameterError,
            "f1_score",
        ),
    ]
    for kw, err, text in cases:
        with pytest.raises(err) as info:
            equilens.audit(df, sensitive_features=["g"], **kw)
        msg = str(info.value)
        assert text in msg and "\n" not in msg, (kw, msg)


def test_zero_denominator_in_a_slice_is_undefined() -> None:
    df = pd.DataFrame({"n": [0.0, 1, 2, 0, 0, 0], "d": [0.0, 3, 4, 0, 0, 0], "g": list("aaabbb")})
    log = equilens.audit(
        df,
        task="measure",
        numerator="n",
        denominator="d",
        sensitive_features=["g"],
        min_group_size=1,
    )
    rows = {r.slice.get("g", "all"): r for r in log.results}
    assert rows["b"].status == "undefined" and rows["b"].value is None
    assert "denominator sums to zero" in (rows["b"].reason or "")
    (c,) = log.comparisons
    assert c.conclusion == "undefined"


def test_clusters_design_effect_and_serial_warning() -> None:
    rng = np.random.default_rng(5)
    k, m = 200, 10
    cl = np.repeat(np.arange(k), m)
    v = np.repeat(rng.normal(size=k), m) * np.sqrt(0.3) + rng.normal(size=k * m) * np.sqrt(0.7)
    g = np.repeat(rng.choice(["a", "b"], size=k), m)
    df = pd.DataFrame({"v": v, "g": g, "cl": cl})
    naive = equilens.audit(df, task="measure", value="v", sensitive_features=["g"])
    assert any("--cluster" in w for w in naive.warnings)
    assert naive.spec_resolved["task_serial_correlation"]["lag1"] > 0.2
    log = equilens.audit(df, task="measure", value="v", sensitive_features=["g"], cluster="cl")
    info = log.spec_resolved["task_cluster"]
    assert info["units"] == k and info["column"] == "cl"
    assert 2.5 < info["design_effect"]["mean"] < 5.5  # 1 + (m - 1) 0.3 = 3.7
    assert 0.15 < info["intraclass_correlation"]["mean"] < 0.45
    assert any("design effect" in w for w in log.warnings)
    wn = naive.results[0].ci_high - naive.results[0].ci_low
    wc = log.results[0].ci_high - log.results[0].ci_low
    assert wc / wn == pytest.approx(np.sqrt(info["design_effect"]["mean"]), rel=0.02)
    # Shuffled independent rows: no warning.
    iid = df.assign(v=rng.normal(size=k * m))
    quiet = equilens.audit(iid, task="measure", value="v", sensitive_features=["g"])
    assert not any("--cluster" in w for w in quiet.warnings)


def test_bootstrap_interval_method_and_r2_bootstrap() -> None:
    df = _frame(seed=3)
    log = equilens.audit(
        df,
        task="regression",
        y_true="y",
        y_pred="p",
        sensitive_features=["g"],
        interval_method="bootstrap",
        bootstrap=400,
        seed=1,
    )
    mae = _rows(log, "mean_absolute_error")["all"]
    assert mae.ci_method.startswith("bootstrap")
    t_log = equilens.audit(df, task="regression", y_true="y", y_pred="p", sensitive_features=["g"])
    t_mae = _rows(t_log, "mean_absolute_error")["all"]
    assert (mae.ci_high - mae.ci_low) == pytest.approx(t_mae.ci_high - t_mae.ci_low, rel=0.2)
    assert _rows(t_log, "r2_score")["all"].ci_method.startswith("bootstrap")
    assert "r2_score" not in t_log.spec_resolved["comparison_metrics"]


def test_a_group_with_identical_values_gets_no_test() -> None:
    """A variance of zero is not precision: 30 correct answers out of 30 get no Welch test.

    Their values lie in [0, 1], so the row gets the exact bound (Clopper-Pearson's for one
    row per unit); identical values outside [0, 1] get no interval at all.
    """
    rng = np.random.default_rng(9)
    v = np.concatenate([np.ones(30), (rng.random(400) < 0.8).astype(float)])
    df = pd.DataFrame({"v": v, "g": ["small"] * 30 + ["big"] * 400})
    log = equilens.audit(df, task="measure", value="v", sensitive_features=["g"])
    (c,) = log.comparisons
    assert c.slice == {"g": "small"}
    assert c.status == "undefined" and c.p_value is None and not c.in_family
    assert "standard error" in (c.reason or "")
    row = next(r for r in log.results if r.slice == {"g": "small"})
    assert row.ci_high == 1.0
    assert row.ci_low == pytest.approx(st.beta.ppf(0.025, 30, 1), rel=1e-9)
    assert row.ci_method.startswith("exact worst-case bound")
    ratings = equilens.audit(
        df.assign(v=np.where(df.g == "small", 3.0, 1.0 + 4 * rng.random(430))),
        task="measure",
        value="v",
        sensitive_features=["g"],
    )
    row = next(r for r in ratings.results if r.slice == {"g": "small"})
    assert row.ci_low is None and row.reason
