"""Datasheets: counts against pandas, Wilson intervals against statsmodels, escaping."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from equilens.cards import build_datasheet, load_table, render_datasheet_html, write_datasheet
from equilens.cards._datasheet import render_datasheet_markdown
from equilens.data import MISSING_LABEL
from equilens.exceptions import InvalidInputError, InvalidParameterError

XSS = "<script>alert(1)</script>"


def _frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "race": rng.choice(["a", "b", "c", None], size=n, p=[0.6, 0.3, 0.07, 0.03]),
            "sex": rng.choice(["F", "M"], size=n),
            "y": rng.integers(0, 2, size=n).astype(float),
            "income": rng.normal(size=n),
        }
    )
    df.loc[rng.random(n) < 0.1, "income"] = np.nan
    df.loc[rng.random(n) < 0.05, "y"] = np.nan
    return df


def _key(g: dict[str, str]) -> tuple[str, ...]:
    return tuple(g.values())


def test_counts_and_intervals_match_pandas_and_statsmodels() -> None:
    df = _frame()
    ds = build_datasheet(df, sensitive=["race", "sex"], y_true="y")
    labels = df[["race", "sex"]].fillna(MISSING_LABEL)
    for fam in (("race",), ("sex",), ("race", "sex")):
        expected = labels.groupby(list(fam)).size()
        rows = [g for g in ds.groups if g.features == fam]
        assert sum(g.n for g in rows) == len(df)
        for g in rows:
            key = _key(g.group) if len(fam) > 1 else g.group[fam[0]]
            assert g.n == expected[key]
            lo, hi = proportion_confint(g.n, len(df), alpha=0.05, method="wilson")
            assert g.share_low == pytest.approx(lo, abs=1e-10)
            assert g.share_high == pytest.approx(hi, abs=1e-10)
            mask = (labels[list(fam)] == pd.Series(g.group)).all(axis=1)
            ys = df.loc[mask, "y"].dropna()
            assert g.labelled == len(ys) and g.positives == int((ys == 1).sum())
            if len(ys):
                blo, bhi = proportion_confint(g.positives, len(ys), alpha=0.05, method="wilson")
                assert g.base_rate == pytest.approx(g.positives / len(ys))
                assert g.base_rate_low == pytest.approx(blo, abs=1e-10)
                assert g.base_rate_high == pytest.approx(bhi, abs=1e-10)
    # missing sensitive values form their own group, listed last
    race = [g.group["race"] for g in ds.groups if g.features == ("race",)]
    assert race[-1] == MISSING_LABEL
    # missingness by group against pandas
    for m in ds.missing_by_group:
        if m.column != "income":
            continue
        mask = labels[m.feature] == m.group
        assert m.n == int(mask.sum())
        assert m.missing == int(df.loc[mask, "income"].isna().sum())
    overall = {c.name: c for c in ds.columns}
    assert overall["income"].missing == int(df["income"].isna().sum())
    assert ds.label_missing == int(df["y"].isna().sum())
    assert any("fewer than 30" in w for w in ds.warnings)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 120),
    seed=st.integers(0, 10_000),
    level=st.sampled_from([0.9, 0.95, 0.99]),
)
def test_random_data_against_groupby(n: int, seed: int, level: float) -> None:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"g": rng.choice(["x", "y", "z"], size=n), "y": rng.integers(0, 2, size=n)})
    ds = build_datasheet(df, sensitive=["g"], y_true="y", confidence_level=level)
    sizes = df.groupby("g").size()
    pos = df.groupby("g")["y"].sum()
    for g in ds.groups:
        v = g.group["g"]
        assert g.n == sizes[v] and g.positives == pos[v]
        lo, hi = proportion_confint(int(pos[v]), int(sizes[v]), alpha=1 - level, method="wilson")
        assert g.base_rate_low == pytest.approx(lo, abs=1e-9)
        assert g.base_rate_high == pytest.approx(hi, abs=1e-9)


def test_escaping_in_datasheet(tmp_path: Path) -> None:
    df = pd.DataFrame({XSS: ["a", XSS, "a", "b"], "y": [0, 1, 1, 0], f"col{XSS}": [1, None, 3, 4]})
    ds = build_datasheet(df, sensitive=[XSS], y_true="y", name=XSS)
    html = render_datasheet_html(ds)
    assert XSS not in html and "&lt;script&gt;" in html
    assert html.count("<script") == 1
    md = render_datasheet_markdown(ds)
    assert XSS not in md and "<script" not in md
    paths = write_datasheet(ds, tmp_path / "out")
    assert paths["html"].exists() and paths["markdown"].exists()


def test_labels_and_errors() -> None:
    df = pd.DataFrame({"g": ["a", "b"], "y": ["good", "bad"]})
    with pytest.raises(InvalidParameterError, match="positive-label"):
        build_datasheet(df, sensitive=["g"], y_true="y")
    ds = build_datasheet(df, sensitive=["g"], y_true="y", positive_label="good")
    assert ds.positive_label == "good"
    assert [g.positives for g in ds.groups] == [1, 0]
    with pytest.raises(InvalidParameterError, match="not a value"):
        build_datasheet(df, sensitive=["g"], y_true="y", positive_label="great")
    with pytest.raises(InvalidInputError, match="column 'nope' not found"):
        build_datasheet(df, sensitive=["nope"])
    with pytest.raises(InvalidInputError, match="no rows"):
        build_datasheet(df.iloc[:0], sensitive=["g"])
    with pytest.raises(InvalidParameterError, match="min_group_size"):
        build_datasheet(df, sensitive=["g"], min_group_size=0)


def test_load_table(tmp_path: Path) -> None:
    df, name = load_table("compas")
    assert name == "compas" and len(df) == 6172
    csv = tmp_path / "d.csv"
    pd.DataFrame({"a": [1, 2]}).to_csv(csv, index=False)
    assert len(load_table(csv)[0]) == 2
    with pytest.raises(InvalidInputError, match="not found"):
        load_table(tmp_path / "missing.csv")
    bad = tmp_path / "d.json"
    bad.write_text("{}", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="unknown data format"):
        load_table(bad)
