"""The multiclass task against scikit-learn, on edge cases, bad input, and its properties."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from equilens import audit
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.tasks import get_task
from equilens.tasks._multiclass_stats import MulticlassStats
from tasks._multiclass_helpers import evaluate, slice_index, stats_of


def _data(seed: int, n: int = 1500, k: int = 4, grid: int | None = None) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y]
    score = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    if grid is not None:  # scores on the histogram grid: the binned AUC is exact
        score = np.floor(score * grid) / grid
    pred = score.argmax(axis=1)
    group = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    # Group "c" never has true class 0 (an absent class in a group).
    y = np.where((group == "c") & (y == 0), 1, y)
    return {
        "y": y,
        "pred": pred,
        "score": score,
        "group": group,
        "w": rng.gamma(2.0, 1.0, n),
    }


def _sk(func: Any, *args: Any, **kw: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kw)


@pytest.mark.parametrize("weighted", [False, True])
def test_every_metric_equals_scikit_learn_on_every_slice(weighted: bool) -> None:
    d = _data(1, grid=4096)
    w = d["w"] if weighted else None
    stats = stats_of(d["y"], d["pred"], {"group": d["group"]}, d["score"], w, {"top_k": 2})
    plan, ev = evaluate(stats)
    classes = list(range(4))
    for s, sl in enumerate(plan.slices):
        rows = np.ones(d["y"].size, bool)
        for f, v in sl.mapping.items():
            rows &= d[f] == v
        yt, yp, sc = d["y"][rows], d["pred"][rows], d["score"][rows]
        sw = None if w is None else w[rows]

        def val(name: str, s: int = s) -> float:
            return float(ev.evaluated[name].value[s])

        assert val("accuracy_score") == pytest.approx(skm.accuracy_score(yt, yp, sample_weight=sw))
        assert val("balanced_accuracy_score") == pytest.approx(
            _sk(skm.balanced_accuracy_score, yt, yp, sample_weight=sw)
        )
        for avg in ("macro", "micro", "weighted"):
            want = _sk(skm.f1_score, yt, yp, average=avg, sample_weight=sw, zero_division=0)
            assert val(f"f1_score[average={avg}]") == pytest.approx(want), (sl, avg)
        prec = _sk(skm.precision_score, yt, yp, labels=classes, average=None, sample_weight=sw)
        rec = _sk(skm.recall_score, yt, yp, labels=classes, average=None, sample_weight=sw)
        mcm = skm.multilabel_confusion_matrix(yt, yp, labels=classes, sample_weight=sw)
        auc = [
            _sk(skm.roc_auc_score, yt == c, sc[:, c], sample_weight=sw)
            if 0 < (yt == c).sum() < yt.size
            else np.nan
            for c in classes
        ]
        for c in classes:
            predicted = np.any(yp == c)
            present = np.any(yt == c)
            p = val(f"precision_score[class={c}]")
            assert (p == pytest.approx(prec[c])) if predicted else np.isnan(p)
            r = val(f"recall_score[class={c}]")
            assert (r == pytest.approx(rec[c])) if present else np.isnan(r)
            tn, fp = mcm[c][0]
            assert val(f"false_positive_rate[class={c}]") == pytest.approx(fp / (tn + fp))
            assert val(f"selection_rate[class={c}]") == pytest.approx(
                np.average(yp == c, weights=sw)
            )
            a = val(f"roc_auc_score[class={c}]")
            assert (a == pytest.approx(auc[c])) if np.isfinite(auc[c]) else np.isnan(a)
            assert float(ev.evaluated[f"roc_auc_score[class={c}]"].error_bound[s]) == 0 or (
                np.isnan(a)
            )
        assert val("top_k_accuracy_score[k=2]") == pytest.approx(
            skm.top_k_accuracy_score(yt, sc, k=2, labels=classes, sample_weight=sw)
        )
        counts = skm.confusion_matrix(yt, yp, labels=classes, sample_weight=sw)
        if s == 0 or len(sl.features) == 1:
            cm = next(m for m in ev.confusion_matrices or [] if m["slice"] == sl.mapping)
            np.testing.assert_allclose(cm["counts"], counts)
    # Group "c" has no true class 0: recall undefined, macro F1 over the classes present.
    c = slice_index(plan, {"group": "c"})
    assert np.isnan(ev.evaluated["recall_score[class=0]"].value[c])


def test_auc_of_continuous_scores_within_its_stated_binning_bound() -> None:
    d = _data(2, n=4000)
    stats = stats_of(d["y"], d["pred"], {"group": d["group"]}, d["score"])
    _, ev = evaluate(stats, ["roc_auc_score"])
    for c in range(4):
        e = ev.evaluated[f"roc_auc_score[class={c}]"]
        want = skm.roc_auc_score(d["y"] == c, d["score"][:, c])
        assert abs(e.value[0] - want) <= e.error_bound[0] + 1e-12
        assert e.error_bound[0] < 1e-3
        assert e.lo[0] < e.value[0] < e.hi[0]


def test_ties_in_top_k_broken_as_scikit_learn() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 5, 800)
    score = rng.integers(0, 3, (800, 5)) / 4.0  # many ties
    stats = stats_of(y, y, {"g": np.repeat(["x", "y"], 400)}, score, settings={"top_k": 3})
    _, ev = evaluate(stats, ["top_k_accuracy_score"], bootstrap=0)
    want = _sk(skm.top_k_accuracy_score, y, score, k=3, labels=list(range(5)))
    assert ev.evaluated["top_k_accuracy_score[k=3]"].value[0] == pytest.approx(want)


def test_two_classes_give_the_binary_audit_numbers() -> None:
    rng = np.random.default_rng(4)
    n = 2000
    y = rng.integers(0, 2, n)
    pred = np.where(rng.random(n) < 0.8, y, 1 - y)
    g = rng.choice(["a", "b"], n)
    log = audit(None, y_true=y, y_pred=pred, sensitive_features={"g": g}, bootstrap=0)
    plan, ev = evaluate(stats_of(y, pred, {"g": g}), bootstrap=0)
    pairs = {
        "accuracy_score": "accuracy_score",
        "recall_score[class=1]": "true_positive_rate",
        "precision_score[class=1]": "precision_score",
        "false_positive_rate[class=1]": "false_positive_rate",
        "selection_rate[class=1]": "selection_rate",
        "recall_score[class=0]": "true_negative_rate",
    }
    for s, sl in enumerate(plan.slices):
        for mine, theirs in pairs.items():
            row = log.result(theirs, sl.mapping)
            e = ev.evaluated[mine]
            assert e.value[s] == pytest.approx(row.value)
            assert (e.lo[s], e.hi[s]) == pytest.approx((row.ci_low, row.ci_high))


def test_one_class_only() -> None:
    y = np.zeros(100, dtype=int)
    stats = stats_of(y, y, {"g": np.repeat(["a", "b"], 50)})
    _, ev = evaluate(stats, bootstrap=50)
    assert stats.classes == ("0",)
    assert ev.evaluated["accuracy_score"].value[0] == 1.0
    assert ev.evaluated["balanced_accuracy_score"].value[0] == 1.0
    assert ev.evaluated["f1_score[average=macro]"].value[0] == 1.0
    assert np.isnan(ev.evaluated["false_positive_rate[class=0]"].value[0])


def test_string_and_numeric_classes_sort_as_labels() -> None:
    y = np.array([10, 9, 100, 9, 10, 100] * 20)
    stats = stats_of(y, y[::-1], {"g": np.repeat(["a", "b"], 60)})
    assert stats.classes == ("9", "10", "100")
    s = np.array(["b", "a", "c"] * 40)
    assert stats_of(s, s, {"g": np.repeat(["a", "b"], 60)}).classes == ("a", "b", "c")


# ---------------------------------------------------------------------------------- bad input


def test_class_only_predicted_names_the_column() -> None:
    data = {"truth": [0, 1, 2] * 10, "guess": [0, 1, 3] * 10, "g": ["a", "b"] * 15}
    from equilens.data._columns import prepare_columns
    from equilens.tasks._multiclass import TASK

    inputs = prepare_columns(
        data,
        roles={"y_true": "truth", "y_pred": "guess"},
        kinds={"y_true": "labels", "y_pred": "labels"},
        sensitive="g",
    )
    with pytest.raises(InvalidInputError, match=r"column 'guess' \(y_pred\).*'3'"):
        TASK.statistics(inputs, {})


def test_class_labels_that_metric_names_cannot_carry() -> None:
    y = np.array(["[0, 5)", "[5, 10)"] * 10)
    with pytest.raises(InvalidInputError, match=r"class label\(s\) '\[0, 5\)'.*recode"):
        stats_of(y, y, {"g": np.array(["a", "b"] * 10)})


def test_bad_scores_and_settings() -> None:
    y = np.array([0, 1, 2] * 10)
    g = {"g": np.array(["a", "b"] * 15)}
    with pytest.raises(InvalidInputError, match="one score column per class"):
        stats_of(y, y, g, np.full((30, 2), 0.5))
    bad = np.full((30, 3), 0.3)
    bad[4, 1] = 1.5
    with pytest.raises(InvalidInputError, match=r"y_score\[1\].*outside \[0, 1\].*row index 4"):
        stats_of(y, y, g, bad)
    task = get_task("multiclass")
    with pytest.raises(InvalidParameterError, match="top_k"):
        task.check_settings({"top_k": 0})
    with pytest.raises(InvalidParameterError, match="Unknown multiclass setting"):
        task.check_settings({"k": 3})
    with pytest.raises(InvalidParameterError, match="Unknown multiclass metric 'auc_pr'"):
        evaluate(stats_of(y, y, g), ["auc_pr"])


def test_metric_selection_by_base_or_row_name() -> None:
    d = _data(5, n=300)
    stats = stats_of(d["y"], d["pred"], {"group": d["group"]})
    _, ev = evaluate(stats, ["recall_score[class=2]", "f1_score"], bootstrap=20)
    assert ev.reported == [
        "f1_score[average=macro]",
        "f1_score[average=micro]",
        "f1_score[average=weighted]",
        "recall_score[class=2]",
    ]
    # The per-class criteria's bases are evaluated even when not reported.
    assert "selection_rate[class=0]" in ev.evaluated
    assert {c.name for c in ev.criteria} >= {
        "demographic_parity_difference[class=1]",
        "equal_opportunity_ratio[class=3]",
    }
    assert ev.comparison_metrics == ["f1_score[average=macro]", "recall_score[class=2]"]


# --------------------------------------------------------------------------------- properties

_labels = st.sampled_from(["ant", "bee", "cat", "dog"])


@st.composite
def _batch(draw: Any) -> dict[str, Any]:
    n = draw(st.integers(1, 40))
    y = draw(st.lists(_labels, min_size=n, max_size=n))
    pred = [draw(st.sampled_from(sorted(set(y)))) for _ in range(n)]
    g = draw(st.lists(st.sampled_from(["x", "y", "z"]), min_size=n, max_size=n))
    w = draw(st.lists(st.floats(0.1, 5.0), min_size=n, max_size=n))
    return {"y": y, "pred": pred, "g": g, "w": w}


@settings(max_examples=40, deadline=None)
@given(_batch(), _batch())
def test_merging_batches_equals_concatenation(a: dict[str, Any], b: dict[str, Any]) -> None:
    def stats(d: dict[str, Any]) -> MulticlassStats:
        return stats_of(
            np.array(d["y"]), np.array(d["pred"]), {"g": np.array(d["g"])}, None, np.array(d["w"])
        )

    both = {k: a[k] + b[k] for k in a}
    merged, whole = stats(a).merge(stats(b)), stats(both)
    assert merged.keys == whole.keys and merged.classes == whole.classes
    np.testing.assert_array_equal(merged.rows, whole.rows)
    np.testing.assert_allclose(merged.wsum, whole.wsum)
    np.testing.assert_allclose(merged.wsq, whole.wsq)


def test_merging_batches_with_scores_equals_concatenation() -> None:
    d = _data(6, n=1000)
    half = 500

    def part(sl: slice) -> MulticlassStats:
        return stats_of(d["y"][sl], d["pred"][sl], {"group": d["group"][sl]}, d["score"][sl])

    merged = part(slice(0, half)).merge(part(slice(half, None)))
    whole = part(slice(None))
    for field in ("rows", "topk_rows", "score_hist", "score_mixed", "score_rep"):
        np.testing.assert_allclose(getattr(merged, field), getattr(whole, field))


@settings(max_examples=25, deadline=None)
@given(st.permutations(["ant", "bee", "cat", "dog"]), st.integers(0, 2**16))
def test_relabelling_classes_permutes_results(perm: list[str], seed: int) -> None:
    rng = np.random.default_rng(seed)
    names = np.array(["ant", "bee", "cat", "dog"])
    codes = rng.integers(0, 4, 200)
    y = np.concatenate([np.arange(4), codes])  # every class occurs in y_true
    pred = np.where(rng.random(204) < 0.6, y, rng.integers(0, 4, 204))
    g = {"g": rng.choice(["a", "b"], 204)}
    new = np.array(perm)
    _, ev1 = evaluate(stats_of(names[y], names[pred], g), bootstrap=0)
    _, ev2 = evaluate(stats_of(new[y], new[pred], g), bootstrap=0)
    for name in ("accuracy_score", "balanced_accuracy_score", "f1_score[average=macro]"):
        np.testing.assert_allclose(ev1.evaluated[name].value, ev2.evaluated[name].value)
    for old, relabelled in zip(names, new):
        for base in ("recall_score", "precision_score", "selection_rate", "false_positive_rate"):
            e1 = ev1.evaluated[f"{base}[class={old}]"]
            e2 = ev2.evaluated[f"{base}[class={relabelled}]"]
            np.testing.assert_allclose(e1.value, e2.value)
            np.testing.assert_allclose(e1.lo, e2.lo)


# ------------------------------------------------------------------ the binary audit's hint


def test_binary_audit_suggests_the_multiclass_task() -> None:
    g = {"g": np.array(["a", "b"] * 15)}
    with pytest.raises(InvalidInputError, match=r"3 distinct values.*use --task multiclass") as e:
        audit(None, y_true=np.array([0, 1, 2] * 10), y_pred=np.zeros(30), sensitive_features=g)
    assert "--task regression" not in str(e.value)
    with pytest.raises(InvalidInputError, match="use --task multiclass"):
        audit(
            None, y_true=np.array([0, 1] * 15), y_pred=np.array([0, 2] * 15), sensitive_features=g
        )


def test_binary_audit_suggests_regression_for_continuous_values() -> None:
    rng = np.random.default_rng(8)
    y = rng.normal(50.0, 10.0, 60)
    with pytest.raises(InvalidInputError, match=r"--task multiclass.*--task regression"):
        audit(None, y_true=y, y_pred=y, sensitive_features={"g": np.repeat(["a", "b"], 30)})


def test_many_classes_bound_the_bootstrap_memory() -> None:
    from equilens.tasks._multiclass import MAX_DRAW_ENTRIES, affordable_draws
    from equilens.tasks._multiclass_draws import draw_class_sums

    assert affordable_draws(1000, 90, 100) == 1000
    assert affordable_draws(1000, 90, 1000) == MAX_DRAW_ENTRIES // (90 * 3 * 1000)
    assert affordable_draws(1000, 90, 3000) == 0
    # 400 classes: the draws hold 3 x 400 per-class sums, never the 400 x 400 counts.
    rng = np.random.default_rng(9)
    y = rng.integers(0, 400, 3000)
    pred = np.where(rng.random(3000) < 0.7, y, rng.integers(0, 400, 3000))
    pred = np.where(np.isin(pred, y), pred, y)
    stats = stats_of(y, pred, {"g": rng.choice(["a", "b", "c"], 3000)})
    plan, ev = evaluate(stats, ["f1_score", "accuracy_score"], bootstrap=300)
    e = ev.evaluated["f1_score[average=macro]"]
    assert np.isfinite(e.lo).all() and (e.hi - e.lo > 0).all()
    draws = draw_class_sums(stats, plan.membership, 50, np.random.default_rng(0))
    assert draws.shape == (50, plan.n_slices, 3, stats.n_classes)
    # Resampling keeps each cell's size, so each slice's support sums to its rows.
    np.testing.assert_allclose(draws[:, :, 1, :].sum(axis=-1), np.broadcast_to(ev.n, (50, 4)))
    np.testing.assert_allclose(draws[:, :, 2, :].sum(axis=-1), np.broadcast_to(ev.n, (50, 4)))
    assert (draws[:, :, 0, :] <= draws[:, :, 1, :]).all()
