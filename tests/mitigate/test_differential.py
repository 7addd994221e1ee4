"""The wrappers give fairlearn's own results on the same data and seeds."""

from __future__ import annotations

import numpy as np
import pytest
from fairlearn.postprocessing import ThresholdOptimizer
from fairlearn.preprocessing import CorrelationRemover
from fairlearn.reductions import (
    DemographicParity,
    EqualizedOdds,
    ExponentiatedGradient,
    GridSearch,
    TruePositiveRateParity,
)
from sklearn.linear_model import LogisticRegression

from _mitigation_data import credit_frame
from equilens.mitigate import reweighing_weights
from equilens.mitigate._fit import (
    EG_TOLERANCE,
    fit_correlation_remover,
    fit_exponentiated_gradient,
    fit_grid_search,
    fit_reweighing,
    fit_threshold_optimizer,
)


@pytest.fixture(scope="module")
def xy() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    df = credit_frame(300, seed=3)
    return df[["x1", "x2"]].to_numpy(), df["y"].to_numpy(), df["sex"].to_numpy()


@pytest.mark.parametrize(
    ("constraint", "name"),
    [
        ("demographic_parity", "demographic_parity"),
        ("equal_opportunity", "true_positive_rate_parity"),
        ("equalized_odds", "equalized_odds"),
    ],
)
def test_threshold_optimizer(xy, constraint, name) -> None:  # type: ignore[no-untyped-def]
    X, y, g = xy
    ours = fit_threshold_optimizer(LogisticRegression(), X, y, g, constraint=constraint, seed=7)
    theirs = ThresholdOptimizer(
        estimator=LogisticRegression(),
        constraints=name,
        objective="accuracy_score",
        predict_method="predict_proba",
    ).fit(X, y, sensitive_features=g)
    np.testing.assert_array_equal(
        ours.decide(X, g)[0], theirs.predict(X, sensitive_features=g, random_state=7)
    )


@pytest.mark.parametrize(
    ("constraint", "moment"),
    [("demographic_parity", DemographicParity), ("equal_opportunity", TruePositiveRateParity)],
)
def test_exponentiated_gradient(xy, constraint, moment) -> None:  # type: ignore[no-untyped-def]
    X, y, g = xy
    ours = fit_exponentiated_gradient(
        LogisticRegression(), X, y, g, constraint=constraint, eps=0.02, seed=5
    )
    eg = ExponentiatedGradient(
        LogisticRegression(), constraints=moment(difference_bound=0.02), eps=EG_TOLERANCE
    ).fit(X, y, sensitive_features=g)
    pred, score = ours.decide(X, g)
    np.testing.assert_array_equal(pred, eg.predict(X, random_state=5))
    np.testing.assert_allclose(score, eg._pmf_predict(X)[:, 1])


def test_grid_search(xy) -> None:  # type: ignore[no-untyped-def]
    X, y, g = xy
    ours = fit_grid_search(LogisticRegression(), X, y, g, constraint="equalized_odds", grid_size=6)
    gs = GridSearch(LogisticRegression(), constraints=EqualizedOdds(), grid_size=6).fit(
        X, y, sensitive_features=g
    )
    np.testing.assert_array_equal(ours.decide(X, g)[0], gs.predict(X))
    assert len(ours.family) == len(gs.predictors_)
    for (_, decide), model in zip(ours.family, gs.predictors_, strict=True):
        np.testing.assert_array_equal(decide(X, g)[0], model.predict(X))


def test_correlation_remover(xy) -> None:  # type: ignore[no-untyped-def]
    X, y, g = xy
    ours = fit_correlation_remover(LogisticRegression(), X, y, g)
    ind = (g == "male").astype(float)[:, None]
    remover = CorrelationRemover(sensitive_feature_ids=[2], alpha=1.0)
    Z = remover.fit_transform(np.column_stack([X, ind]))
    model = LogisticRegression().fit(Z, y)
    np.testing.assert_array_equal(ours.decide(X, g)[0], model.predict(Z))
    # The transformed features are uncorrelated with the group indicator.
    assert abs(np.corrcoef(Z[:, 0], ind[:, 0])[0, 1]) < 1e-8


def test_reweighing_fits_with_the_closed_form_weights(xy) -> None:  # type: ignore[no-untyped-def]
    X, y, g = xy
    ours = fit_reweighing(LogisticRegression(), X, y, g)
    model = LogisticRegression().fit(X, y, sample_weight=reweighing_weights(y, g))
    np.testing.assert_allclose(ours.decide(X, g)[1], model.predict_proba(X)[:, 1])
