"""``mitigate``: held-out evaluation (leakage), the sensitive-feature statement, bad input."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
from fairlearn.preprocessing import CorrelationRemover
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from _mitigation_data import credit_frame
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.mitigate import METHODS, fold_masks, mitigate, split_rows


class Spy(ClassifierMixin, BaseEstimator):
    """Logistic regression that records the row ids (first feature) of every fit."""

    seen: ClassVar[list[float]] = []
    seen_fits: ClassVar[list[list[float]]] = []

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Spy:
        Spy.seen.extend(np.asarray(X)[:, 0].tolist())
        Spy.seen_fits.append(np.asarray(X)[:, 0].tolist())
        self.model_ = LogisticRegression().fit(np.asarray(X)[:, 1:], y, sample_weight=sample_weight)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X: Any) -> Any:
        return self.model_.predict(np.asarray(X)[:, 1:])

    def predict_proba(self, X: Any) -> Any:
        return self.model_.predict_proba(np.asarray(X)[:, 1:])


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return credit_frame(500, seed=4)


# Every method with a model to refit (the scores-only ones refit it for out-of-fold scores).
MODEL_METHODS = list(METHODS)


@pytest.mark.parametrize("method", MODEL_METHODS)
def test_no_evaluation_row_is_used_in_fitting(df: pd.DataFrame, method: str) -> None:
    Spy.seen.clear()
    run = mitigate(
        df,
        y_true="y",
        sensitive_features="sex",
        methods=[method],
        estimator=Spy(),
        features=["row_id", "x1", "x2"],
        bootstrap=0,
        grid_size=3,
        seed=2,
    )
    eval_ids = set(run.eval_frame["row_id"])
    fit_ids = set(df["row_id"]) - eval_ids
    assert Spy.seen, "the spy saw no fit"
    if method == "correlation_remover":
        # The remover shifts the id column by a group constant: redo it on the fitting rows.
        fit = df[~df["row_id"].isin(eval_ids)]
        ind = (fit["sex"] == "male").to_numpy(float)[:, None]
        Z = CorrelationRemover(sensitive_feature_ids=[3]).fit_transform(
            np.column_stack([fit[["row_id", "x1", "x2"]].to_numpy(), ind])
        )
        n_fit = len(fit)
        assert set(Spy.seen[:n_fit]) == fit_ids  # the original model
        np.testing.assert_allclose(Spy.seen[n_fit:], Z[:, 0])
        return
    assert set(Spy.seen) <= fit_ids
    assert not set(Spy.seen) & eval_ids
    assert run.result.split["eval_rows"] == len(eval_ids) == 150
    # The documented split: seeded, stratified by group and label.
    labels = np.char.add(
        ("sex=" + df["sex"]).to_numpy().astype(str), df["y"].astype(str).to_numpy()
    )
    mask = split_rows(labels, 0.3, 2)
    assert set(df.loc[mask, "row_id"]) == eval_ids


def test_a_split_column_is_respected(df: pd.DataFrame) -> None:
    Spy.seen.clear()
    frame = df.assign(side=np.where(df["row_id"] % 4 == 0, "eval", "fit"))
    run = mitigate(
        frame,
        y_true="y",
        sensitive_features="sex",
        methods=["reweighing"],
        estimator=Spy(),
        features=["row_id", "x1", "x2"],
        split="side",
        bootstrap=0,
    )
    assert all(i % 4 != 0 for i in Spy.seen)
    assert set(run.eval_frame["row_id"]) == set(frame.loc[frame["side"] == "eval", "row_id"])


def test_score_thresholds_do_not_read_the_evaluation_rows(df: pd.DataFrame) -> None:
    frame = df.assign(score=1 / (1 + np.exp(-(df["x1"] + df["x2"]))), side="fit")
    frame.loc[frame.index[::3], "side"] = "eval"
    a = mitigate(
        frame,
        y_true="y",
        sensitive_features="sex",
        methods=["equal_fpr"],
        y_score="score",
        split="side",
        bootstrap=0,
    )
    shuffled = frame.copy()
    ev = shuffled["side"] == "eval"
    shuffled.loc[ev, "score"] = np.random.default_rng(0).random(int(ev.sum()))
    b = mitigate(
        shuffled,
        y_true="y",
        sensitive_features="sex",
        methods=["equal_fpr"],
        y_score="score",
        split="side",
        bootstrap=0,
    )
    assert a.result.options[1].parameters == b.result.options[1].parameters


def test_options_state_their_use_of_the_sensitive_feature(df: pd.DataFrame) -> None:
    run = mitigate(
        df,
        y_true="y",
        sensitive_features="sex",
        methods=["equal_tpr", "reweighing", "correlation_remover"],
        estimator=LogisticRegression(),
        bootstrap=50,
    )
    uses = {o.name: o.uses_sensitive_at_decision for o in run.result.options}
    assert uses == {
        "original": False,
        "equal_tpr": True,
        "reweighing": False,
        "correlation_remover": True,
    }
    # With the sensitive feature among the model's features, every option decides with it.
    run2 = mitigate(
        df,
        y_true="y",
        sensitive_features="sex",
        methods=["reweighing"],
        estimator=LogisticRegression(),
        features=["x1", "x2", "sex"],
        bootstrap=0,
    )
    assert all(o.uses_sensitive_at_decision for o in run2.result.options)
    # The held-out numbers are those of the evaluation rows.
    fr = run.eval_frame
    opt = run.result.options[2]
    assert opt.approval_rate is not None
    assert opt.approval_rate.value == pytest.approx(fr["pred_reweighing"].mean())
    assert opt.versus_original["selection_rate"].value == pytest.approx(
        fr["pred_reweighing"].mean() - fr["pred_original"].mean()
    )


def test_an_unreachable_rate_is_reported_infeasible_with_the_best_point() -> None:
    rng = np.random.default_rng(0)
    n = 400
    idx = np.arange(n)
    g = np.where(idx < 24, "tiny", "big")
    # The tiny group has 3 positives on each side: its TPR can only be 0, 1/3, 2/3 or 1.
    y = np.where(g == "tiny", np.isin(idx % 8, [1, 2]), rng.random(n) < 0.5).astype(int)
    s = rng.random(n)
    frame = pd.DataFrame(
        {"g": g, "y": y, "s": s, "side": np.where(np.arange(n) % 2, "fit", "eval")}
    )
    run = mitigate(
        frame,
        y_true="y",
        sensitive_features="g",
        methods=["equal_tpr"],
        y_score="s",
        split="side",
        bootstrap=0,
        min_group_size=1,
    )
    opt = run.result.options[1]
    assert not opt.feasible
    assert opt.note.startswith("infeasible") and "best achievable" in opt.note
    assert set(opt.parameters["thresholds"]) == {"g=big", "g=tiny"}


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"methods": ["nope"], "y_score": "x1"},
            InvalidParameterError,
            "Unknown mitigation method 'nope'",
        ),
        ({"methods": ["equal_fpr"], "y_score": "no_score"}, InvalidInputError, "Column 'no_score'"),
        (
            {"methods": ["reweighing"], "estimator": KNeighborsClassifier()},
            InvalidParameterError,
            "does not accept sample weights",
        ),
        ({"methods": ["reweighing"]}, InvalidParameterError, "pass an estimator"),
        (
            {"methods": ["equal_fpr"], "y_score": "x1", "constraint": "parity"},
            InvalidParameterError,
            "Unknown mitigation constraint",
        ),
        (
            {"methods": ["equal_fpr"], "y_score": "x1", "eval_fraction": 2.0},
            InvalidParameterError,
            "eval_fraction",
        ),
    ],
)
def test_bad_input_is_one_line(
    df: pd.DataFrame, kwargs: dict[str, Any], error: type, match: str
) -> None:
    with pytest.raises(error, match=match) as info:
        mitigate(df, y_true="y", sensitive_features="sex", bootstrap=0, **kwargs)
    assert "\n" not in str(info.value)


@pytest.mark.slow
def test_a_slack_curve_has_one_point_per_slack(df: pd.DataFrame) -> None:
    run = mitigate(
        df.head(250),
        y_true="y",
        sensitive_features="sex",
        methods=["exponentiated_gradient"],
        estimator=LogisticRegression(),
        eps=0.1,
        slacks=[0.1, 0.3],
        bootstrap=30,
    )
    curve = run.result.slack_curve
    assert curve is not None and curve.settings == ["slack 0.1", "slack 0.3"]
    assert "roc_auc_score" in curve.estimates
    with pytest.raises(InvalidParameterError, match="'slacks'"):
        mitigate(
            df,
            y_true="y",
            sensitive_features="sex",
            methods=["exponentiated_gradient"],
            estimator=LogisticRegression(),
            slacks=[-1.0],
            bootstrap=0,
        )


def test_cross_fitting_never_decides_a_row_with_a_model_that_saw_it(df: pd.DataFrame) -> None:
    Spy.seen_fits.clear()
    run = mitigate(
        df,
        y_true="y",
        sensitive_features="sex",
        methods=["reweighing"],
        estimator=Spy(),
        features=["row_id", "x1", "x2"],
        folds=3,
        bootstrap=0,
    )
    assert run.result.split["folds"] == 3 and run.result.split["eval_rows"] == len(df)
    labels = ("sex=" + df["sex"]).to_numpy()
    masks = fold_masks(labels, df["y"].to_numpy(), 3, 0)
    assert len(Spy.seen_fits) == 6  # per fold: the original, then reweighing
    for k, mask in enumerate(masks):
        held_out = set(df.loc[mask, "row_id"])
        for fit in Spy.seen_fits[2 * k : 2 * k + 2]:
            assert not set(fit) & held_out
            assert set(fit) == set(df["row_id"]) - held_out
    # Every row is decided, and the audit reads all of them.
    assert run.logs["reweighing"].data.n_rows == len(df)
    assert run.result.options[1].note.startswith("cross-fitted over 3 folds")


def test_cross_fitting_assembles_scores_and_grid_models(df: pd.DataFrame) -> None:
    run = mitigate(
        df.head(300),
        y_true="y",
        sensitive_features="sex",
        methods=["equal_fpr", "grid_search"],
        estimator=LogisticRegression(),
        folds=3,
        grid_size=3,
        bootstrap=20,
    )
    frame = run.eval_frame
    assert len(frame) == 300 and frame["score_original"].notna().all()
    assert run.result.tradeoff is not None and run.result.tradeoff.n_rows == 300
    assert run.result.grid_curve is not None and run.result.grid_curve.n_rows == 300
    with pytest.raises(InvalidParameterError, match="'folds'"):
        mitigate(
            df,
            y_true="y",
            sensitive_features="sex",
            methods=["reweighing"],
            estimator=LogisticRegression(),
            folds=1,
            bootstrap=0,
        )
