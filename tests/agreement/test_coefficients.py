"""Agreement coefficients against independent implementations and published examples."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa
from statsmodels.stats.inter_rater import to_table

from equilens.agreement import LEVELS, cohen_kappa, fleiss_kappa, icc, krippendorff_alpha
from equilens.exceptions import InvalidInputError

NAN = np.nan

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four
# observers, twelve units, missing values. Rows are observers A-D.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
).T
PUBLISHED = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}

# Shrout & Fleiss (1979), Table 2: six targets rated by four judges. Published ICC(2,1) = .29,
# ICC(2,4) = .62; McGraw & Wong's interval for ICC(2,1) is [0.019, 0.761] (as in pingouin).
SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
)


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_reproduces_krippendorff_2011(level: str) -> None:
    assert krippendorff_alpha(KRIPPENDORFF_2011, level, draws=0).value == pytest.approx(
        PUBLISHED[level], abs=5e-4
    )


def test_alpha_reproduces_the_binary_two_observer_example() -> None:
    # Same paper, section A: two observers, ten units, alpha = 0.095.
    a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    value = krippendorff_alpha(np.array([a, b], float).T, "nominal", draws=0).value
    assert value == pytest.approx(0.095, abs=5e-4)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("seed", range(4))
def test_alpha_equals_the_krippendorff_package(level: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 7, size=(50, 5)).astype(float)
    x[rng.random(x.shape) < 0.35] = NAN
    ours = krippendorff_alpha(x, level, draws=0).value
    theirs = krippendorff.alpha(reliability_data=x.T, level_of_measurement=level)
    assert ours == pytest.approx(theirs, abs=1e-12)


def test_interval_alpha_with_continuous_values_equals_the_package() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(60, 1)) + rng.normal(size=(60, 3))
    x[rng.random(x.shape) < 0.2] = NAN
    theirs = krippendorff.alpha(reliability_data=x.T, level_of_measurement="interval")
    assert krippendorff_alpha(x, "interval", draws=0).value == pytest.approx(theirs, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    level=st.sampled_from(LEVELS),
    n_items=st.integers(3, 25),
    n_raters=st.integers(2, 5),
)
def test_permuting_raters_or_items_changes_nothing(
    seed: int, level: str, n_items: int, n_raters: int
) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 5, size=(n_items, n_raters)).astype(float)
    x[rng.random(x.shape) < 0.2] = NAN
    x[:, :2] = rng.integers(1, 5, size=(n_items, 2))  # every item pairable
    base = krippendorff_alpha(x, level, draws=50, seed=1)
    shuffled = x[rng.permutation(n_items)][:, rng.permutation(n_raters)]
    other = krippendorff_alpha(shuffled, level, draws=0)
    if np.isnan(base.value):
        assert np.isnan(other.value)
    else:
        assert other.value == pytest.approx(base.value, abs=1e-12)
        assert base.ci_low <= base.value + 1e-12 or np.isnan(base.ci_low)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_kappa_equals_sklearn_and_its_se_statsmodels(weights: str | None) -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 4, 300)
    b = np.where(rng.random(300) < 0.6, a, rng.integers(0, 4, 300))
    ours = cohen_kappa(a, b, weights=weights)
    assert ours.value == pytest.approx(cohen_kappa_score(a, b, weights=weights), abs=1e-12)
    ref = sm_cohens_kappa(to_table(np.column_stack([a, b]))[0], wt=weights)
    assert ours.se == pytest.approx(ref.std_kappa, rel=1e-9)
    assert ours.ci_low < ours.value < ours.ci_high


def test_cohen_kappa_with_text_labels_and_missing_pairs() -> None:
    a = ["x", "y", "x", None, "y", "x"]
    b = ["x", "y", "y", "x", "y", float("nan")]
    ours = cohen_kappa(a, b).value
    assert ours == pytest.approx(cohen_kappa_score(["x", "y", "x", "y"], ["x", "y", "y", "y"]))


def test_cohen_kappa_refuses_mismatched_lengths() -> None:
    with pytest.raises(InvalidInputError, match="equally long"):
        cohen_kappa([1, 2, 3], [1, 2])


@pytest.mark.parametrize("seed", range(3))
def test_fleiss_kappa_equals_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.ones(4), size=80)
    counts = np.array([rng.multinomial(6, p) for p in probs])
    ours = fleiss_kappa(counts, draws=200)
    assert ours.value == pytest.approx(sm_fleiss_kappa(counts), abs=1e-12)
    assert ours.ci_low < ours.value < ours.ci_high


def test_fleiss_kappa_refuses_unequal_rating_counts() -> None:
    with pytest.raises(InvalidInputError, match="same number"):
        fleiss_kappa([[2, 1], [1, 1]])


def test_icc_reproduces_shrout_fleiss_table_2() -> None:
    r = icc(SHROUT_FLEISS)
    assert r.single == pytest.approx(0.29, abs=0.005)
    assert r.average == pytest.approx(0.62, abs=0.005)
    assert (r.single_low, r.single_high) == pytest.approx((0.019, 0.761), abs=0.0005)
    assert (r.average_low, r.average_high) == pytest.approx((0.071, 0.927), abs=0.0005)


def test_icc_refuses_missing_ratings() -> None:
    x = SHROUT_FLEISS.astype(float)
    x[0, 0] = NAN
    with pytest.raises(InvalidInputError, match="missing"):
        icc(x)
