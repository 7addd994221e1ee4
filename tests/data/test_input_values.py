"""Group encoding, binning, missing values and label resolution."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import equilens.data._fingerprint as fingerprint_module
from equilens.data import MISSING_LABEL, AuditInputs, BinSpec, Feature, prepare_inputs
from equilens.exceptions import InvalidInputError

GOLDEN_FINGERPRINT = {
    "n_rows": 3,
    "columns": {
        "y": "f7c6be3c3cf7a7b5eb7fd5a31e890024",
        "p": "2b30e82a8c50819c3dcf9a2d258cfd9c",
        "s": "7c86193146812705396c7845b95cac6c",
        "g": "6095f96a379ba07ed8c1acbe1b8bb9d5",
    },
    "digest": "118b8438cd0df318dd6f228efa8bf7fa",
}


def _feature(values: Any, **kwargs: Any) -> Feature:
    n = len(values)
    inputs = prepare_inputs(
        None, y_true=np.zeros(n, int), y_pred=np.zeros(n, int), sensitive={"g": values}, **kwargs
    )
    return inputs.features[0]


def _decode(f: Feature) -> list[str]:
    return [f.labels[c] for c in f.codes]


# --- categorical features ----------------------------------------------------------------------


def test_labels_sorted_missing_last() -> None:
    f = _feature(["b", None, "a", "c", "a", None])
    assert f.labels == ("a", "b", "c", MISSING_LABEL)
    assert f.codes.tolist() == [1, 3, 0, 2, 0, 3]


def test_no_missing_group_without_missing_values() -> None:
    assert _feature(["b", "a"]).labels == ("a", "b")


def test_numbers_sort_numerically() -> None:
    f = _feature([10, 9, 100, 9, 1])
    assert f.labels == ("1", "9", "10", "100")
    assert _decode(f) == ["10", "9", "100", "9", "1"]


def test_negative_and_float_numbers() -> None:
    f = _feature([0.5, -2.0, 3.0, np.nan, 0.5])
    assert f.labels == ("-2", "0.5", "3", MISSING_LABEL)


def test_float32_labels_are_short() -> None:
    f = _feature(np.array([0.1, 2.0, 0.1], dtype=np.float32))
    assert f.labels == ("0.1", "2")


def test_whole_floats_label_like_ints() -> None:
    as_float = _feature(np.array([1.0, 2.0, np.nan, 2.0]))
    as_nullable = _feature(pd.array([1, 2, None, 2], dtype="Int64"))
    assert as_float == as_nullable
    assert as_float.labels == ("1", "2", MISSING_LABEL)


def test_nan_none_and_empty_string_are_missing() -> None:
    f = _feature(np.array(["x", None, "", np.nan, MISSING_LABEL, "y"], dtype=object))
    # A real "<missing>" is a group of its own (labelled "\\<missing>"), not the missing rows.
    real = "\\" + MISSING_LABEL
    assert f.labels == (real, "x", "y", MISSING_LABEL)
    assert _decode(f) == ["x", MISSING_LABEL, MISSING_LABEL, MISSING_LABEL, real, "y"]


def test_lookalikes_of_the_missing_label_stay_distinct() -> None:
    values = [MISSING_LABEL, "\\" + MISSING_LABEL, "\\\\" + MISSING_LABEL, None, "<missing", "x"]
    f = _feature(np.array(values, dtype=object))
    assert len(f.labels) == len(set(values))
    assert _decode(f).count(MISSING_LABEL) == 1
    assert _decode(f)[0] == "\\" + MISSING_LABEL


@pytest.mark.parametrize(
    "values",
    [
        [None, None, None],
        [np.nan, np.nan],
        ["", None, np.nan],
        pa.nulls(4),
        pa.array([None, None], pa.float64()),
    ],
)
def test_all_missing_column_is_an_error_naming_it(values: Any) -> None:
    with pytest.raises(InvalidInputError, match=r"^Sensitive feature 'g' has no values"):
        _feature(values)


def test_booleans() -> None:
    f = _feature([True, False, None, True])
    assert f.labels == ("False", "True", MISSING_LABEL)
    assert f.codes.tolist() == [1, 0, 2, 1]


def test_dates() -> None:
    f = _feature(pa.array([20000, 19000, 20000], pa.date32()))
    assert f.labels == ("2022-01-08", "2024-10-04")


def test_labels_independent_of_row_order() -> None:
    values = ["c", "a", None, "b", "a"]
    f1 = _feature(values)
    f2 = _feature(values[::-1])
    assert f1.labels == f2.labels
    assert f1.codes.tolist()[::-1] == f2.codes.tolist()


def test_unused_categories_are_dropped() -> None:
    cat = pd.Categorical(["b", "a", None, "b"], categories=["z", "b", "a", "y"], ordered=True)
    f = _feature(cat)
    assert f.labels == ("a", "b", MISSING_LABEL)
    assert f.codes.tolist() == [1, 0, 2, 1]


def test_polars_enum_with_unused_value() -> None:
    s = pl.Series(["u", "v", "u"], dtype=pl.Enum(["v", "w", "u"]))
    assert _feature(s).labels == ("u", "v")


def test_dictionary_with_null_entry() -> None:
    arr = pa.DictionaryArray.from_arrays(pa.array([0, 1, 2, 1]), pa.array(["b", None, "a"]))
    f = _feature(arr)
    assert f.labels == ("a", "b", MISSING_LABEL)
    assert f.codes.tolist() == [1, 2, 0, 2]


def test_many_groups_but_unused_categories_within_limit() -> None:
    cats = [f"c{i:03d}" for i in range(500)]
    f = _feature(pd.Categorical(["c001", "c002"], categories=cats), max_groups_per_feature=5)
    assert f.labels == ("c001", "c002")


def test_max_groups_counts_values_not_missing() -> None:
    f = _feature(["a", "b", None], max_groups_per_feature=2)
    assert f.labels == ("a", "b", MISSING_LABEL)


def test_chunked_dictionary_arrays() -> None:
    chunks = pa.chunked_array(
        [pa.array(["b", "a"]).dictionary_encode(), pa.array(["c", None]).dictionary_encode()]
    )
    f = _feature(chunks)
    assert f.labels == ("a", "b", "c", MISSING_LABEL)
    assert f.codes.tolist() == [1, 0, 2, 3]


# --- binned features ---------------------------------------------------------------------------


def test_bins_are_left_closed() -> None:
    f = _feature([24.9, 25, 44, 45, 90, -1], bins={"g": [25, 45]})
    assert f.labels == ("<25", "25-45", ">=45")
    assert f.codes.tolist() == [0, 1, 1, 2, 2, 0]
    assert f.kind == "binned"
    assert f.bin_edges == (25.0, 45.0)


def test_bins_keep_empty_bands_and_add_missing() -> None:
    f = _feature(pd.array([20, None, 70], dtype="Int64"), bins={"g": BinSpec((25, 45, 65))})
    assert f.labels == ("<25", "25-45", "45-65", ">=65", MISSING_LABEL)
    assert f.codes.tolist() == [0, 4, 3]


def test_bins_with_labels() -> None:
    spec = BinSpec((25, 45), labels=("young", "middle", "older"))
    f = _feature([30, 50, 10, np.nan], bins={"g": spec})
    assert f.labels == ("young", "middle", "older", MISSING_LABEL)
    assert _decode(f) == ["middle", "older", "young", MISSING_LABEL]


def test_bins_fractional_edges_and_infinities() -> None:
    f = _feature([0.1, 0.5, np.inf, -np.inf], bins={"g": (0.25, 0.75)})
    assert f.labels == ("<0.25", "0.25-0.75", ">=0.75")
    assert f.codes.tolist() == [0, 1, 2, 0]


def test_bins_on_dictionary_encoded_numbers() -> None:
    f = _feature(pd.Categorical([20, 50, 20]), bins={"g": [30]})
    assert f.codes.tolist() == [0, 1, 0]


def test_binspec_normalises() -> None:
    spec = BinSpec([25, np.int64(45)])  # type: ignore[arg-type]
    assert spec.edges == (25.0, 45.0)
    assert spec.band_labels == ("<25", "25-45", ">=45")
    assert BinSpec((0.5,)).band_labels == ("<0.5", ">=0.5")


def test_score_column_binned_as_sensitive() -> None:
    inputs = prepare_inputs(
        {"y": [0, 1, 1], "p": [0, 1, 1], "s": [0.1, 0.6, 0.9]},
        y_true="y",
        y_pred="p",
        y_score="s",
        sensitive=["s"],
        bins={"s": [0.5]},
    )
    assert inputs.features[0].labels == ("<0.5", ">=0.5")
    assert set(inputs.fingerprint.columns) == {"y", "p", "s"}


# --- labels ------------------------------------------------------------------------------------


def _labels(y_true: Any, y_pred: Any, positive_label: Any = None) -> AuditInputs:
    n = len(y_true)
    return prepare_inputs(
        None,
        y_true=y_true,
        y_pred=y_pred,
        sensitive={"g": np.zeros(n)},
        positive_label=positive_label,
    )


def test_infer_positive_for_zero_one() -> None:
    got = _labels([0, 1, 1], [1, 1, 0])
    assert got.positive_label == 1
    assert got.label_values == (0, 1)
    assert got.y_true.tolist() == [0, 1, 1]
    assert got.y_pred.tolist() == [1, 1, 0]


def test_infer_positive_for_booleans() -> None:
    got = _labels([True, False], [False, False])
    assert got.positive_label is True
    assert got.label_values == (False, True)
    assert got.y_true.tolist() == [1, 0]


def test_infer_positive_for_floats() -> None:
    got = _labels([0.0, 1.0], [1.0, 1.0])
    assert got.positive_label == 1.0
    assert type(got.positive_label) is float


def test_infer_positive_when_only_zeros() -> None:
    got = _labels([0, 0], [0, 0])
    assert got.positive_label == 1
    assert got.label_values == (0,)
    assert got.y_true.tolist() == [0, 0]


def test_zero_one_labels_allow_both_values() -> None:
    # y_true holds only 1s, y_pred predicts 0: fine, the label space {0, 1} is known.
    got = _labels([1, 1], [0, 1])
    assert got.label_values == (0, 1)
    assert got.y_true.tolist() == [1, 1]
    assert got.y_pred.tolist() == [0, 1]
    got = _labels([True, True], [False, False], positive_label=True)
    assert got.label_values == (False, True)
    assert got.y_pred.tolist() == [0, 0]


def test_y_true_bool_y_pred_int() -> None:
    got = _labels([True, False, True], [1, 0, 0])
    assert got.positive_label is True
    assert got.y_pred.tolist() == [1, 0, 0]


@pytest.mark.parametrize(
    ("y", "given", "expected"),
    [
        ([0, 1], "1", 1),
        ([0, 1], " 1 ", 1),
        ([0, 1], 1.0, 1),
        ([0, 1], "1.0", 1),
        ([0, 1], True, 1),
        ([0.0, 1.0], "1", 1.0),
        ([True, False], "true", True),
        ([True, False], "0", False),
        ([True, False], 1, True),
        (["0", "1"], 1, "1"),
        (["0", "1"], 0.0, "0"),
        (["no", "yes"], "yes", "yes"),
        (np.array([-1, 1]), np.int64(-1), -1),
    ],
)
def test_positive_label_coercion(y: Any, given: Any, expected: Any) -> None:
    got = _labels(y, y, positive_label=given)
    assert got.positive_label == expected
    assert type(got.positive_label) is type(expected)
    assert got.y_true.tolist() == [int(v == expected) for v in y]


def test_cli_string_matches_int_column_in_csv(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("label,pred,g\n1,2,a\n2,2,b\n1,1,a\n")
    got = prepare_inputs(path, y_true="label", y_pred="pred", sensitive="g", positive_label="2")
    assert got.positive_label == 2
    assert got.label_values == (1, 2)
    assert got.y_true.tolist() == [0, 1, 0]
    assert got.y_pred.tolist() == [1, 1, 0]
    # y_pred uses 0, which is neither a y_true value nor the positive label.
    path.write_text("label,pred,g\n1,0,a\n1,1,b\n")
    got = prepare_inputs(path, y_true="label", y_pred="pred", sensitive="g", positive_label="0")
    assert got.label_values == (0, 1)
    assert got.y_true.tolist() == [0, 0]
    assert got.y_pred.tolist() == [1, 0]


def test_string_labels_with_positive_label() -> None:
    got = _labels(["good", "bad", "good"], ["bad", "bad", "good"], positive_label="good")
    assert got.positive_label == "good"
    assert got.label_values == ("bad", "good")
    assert got.y_true.tolist() == [1, 0, 1]
    assert got.y_pred.tolist() == [0, 0, 1]


def test_positive_label_absent_from_one_valued_y_true() -> None:
    got = _labels(["bad", "bad"], ["bad", "good"], positive_label="good")
    assert got.y_true.tolist() == [0, 0]
    assert got.y_pred.tolist() == [0, 1]
    assert got.label_values == ("bad", "good")


def test_positive_label_absent_everywhere() -> None:
    got = _labels(["bad", "bad"], ["bad", "bad"], positive_label="good")
    assert got.label_values == ("bad",)
    assert got.y_pred.tolist() == [0, 0]


def test_categorical_labels() -> None:
    y = pd.Categorical(["yes", "no", "yes"], categories=["no", "yes", "unused"])
    got = _labels(y, np.array(["no", "no", "yes"], dtype=object), positive_label="yes")
    assert got.y_true.tolist() == [1, 0, 1]
    assert got.y_pred.tolist() == [0, 0, 1]
    assert got.label_values == ("no", "yes")


def test_label_column_used_as_sensitive() -> None:
    got = prepare_inputs(
        {"y": [0, 1, 1, 0], "p": [1, 1, 0, 0], "g": ["a", "b", "a", "b"]},
        y_true="y",
        y_pred="p",
        sensitive=["y", "g"],
    )
    assert got.features[0].labels == ("0", "1")
    assert got.features[0].codes.tolist() == [0, 1, 1, 0]
    assert list(got.fingerprint.columns) == ["y", "p", "g"]
    alone = prepare_inputs(
        {"y": [0, 1, 1, 0], "p": [1, 1, 0, 0], "g": ["a", "b", "a", "b"]},
        y_true="y",
        y_pred="p",
        sensitive=["g"],
    )
    assert alone.fingerprint.columns["y"] != got.fingerprint.columns["y"]
    assert alone.fingerprint.columns["g"] == got.fingerprint.columns["g"]


def test_fingerprint_depends_on_labels_not_just_bits() -> None:
    a = _labels(["no", "yes"], ["no", "yes"], positive_label="yes")
    b = _labels([0, 1], [0, 1])
    assert a.y_true.tolist() == b.y_true.tolist()
    assert a.fingerprint.columns["y_true"] != b.fingerprint.columns["y_true"]


# --- large inputs: block-wise and threaded code paths ------------------------------------------


def test_large_input_matches_numpy_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    n = 300_001  # more than one 2**18-row block
    age = rng.integers(15, 90, n).astype(np.float64)
    age[rng.random(n) < 0.01] = np.nan
    race = rng.choice(np.array(["b", "a", "c"]), n)
    df = pd.DataFrame(
        {
            "y": rng.integers(0, 2, n),
            "p": rng.integers(0, 2, n),
            "s": rng.random(n),
            "w": rng.random(n),
            "age": age,
            "race": pd.Categorical(race, categories=["z", "c", "b", "a"]),
        }
    )
    table = pa.Table.from_pandas(df, preserve_index=False)
    chunked = pa.concat_tables([table.slice(0, 100_000), table.slice(100_000)])
    kwargs: dict[str, Any] = {
        "y_true": "y",
        "y_pred": "p",
        "y_score": "s",
        "sample_weight": "w",
        "sensitive": ["age", "race"],
        "bins": {"age": [30, 60]},
    }
    threaded = prepare_inputs(chunked, **kwargs)
    age_f, race_f = threaded.features
    expected_age = np.where(np.isnan(age), 3, np.searchsorted([30.0, 60.0], age, side="right"))
    np.testing.assert_array_equal(age_f.codes, expected_age)
    assert race_f.labels == ("a", "b", "c")
    np.testing.assert_array_equal(race_f.codes, np.searchsorted(["a", "b", "c"], race))
    monkeypatch.setattr(fingerprint_module, "_THREADED_ROWS", 10**12)
    assert prepare_inputs(df, **kwargs) == threaded


def test_fingerprint_is_stable() -> None:
    # A golden value: the fingerprint is recorded in audit logs, so its definition must not
    # change silently. Update deliberately (and note it in the changelog) if it must.
    inputs = prepare_inputs(
        {"y": [0, 1, 1], "p": [1, 1, 0], "s": [0.25, 0.5, 1.0], "g": ["a", None, "b"]},
        y_true="y",
        y_pred="p",
        y_score="s",
        sensitive="g",
    )
    assert inputs.fingerprint.to_dict() == GOLDEN_FINGERPRINT


@pytest.mark.parametrize("engine", ["numpy", "duckdb"])
@pytest.mark.parametrize("binned", [False, True])
def test_every_engine_refuses_an_all_missing_sensitive_column(
    engine: str, binned: bool, tmp_path: Path
) -> None:
    pytest.importorskip(engine)
    from equilens import audit

    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "y": rng.integers(0, 2, 200),
            "p": rng.integers(0, 2, 200),
            "sex": rng.choice(["F", "M"], 200),
            "age": np.full(200, np.nan),
        }
    )
    path = tmp_path / "data.parquet"
    df.to_parquet(path)
    bins = {"age": BinSpec((30.0,))} if binned else None
    message = r"Sensitive column 'age' in .* has no values: every row is missing"
    with pytest.raises(InvalidInputError, match=message):
        audit(
            str(path), y_true="y", y_pred="p", sensitive_features=["sex", "age"], bins=bins,
            engine=engine, bootstrap=0,
        )  # fmt: skip


@pytest.mark.parametrize("engine", ["numpy", "duckdb"])
def test_engines_label_a_real_missing_string_apart_from_nulls(engine: str, tmp_path: Path) -> None:
    pytest.importorskip(engine)
    from equilens import audit

    df = pd.DataFrame(
        {
            "y": [0, 1] * 60,
            "p": [1, 0, 0, 1] * 30,
            "g": (["<missing>"] * 40) + ([None] * 40) + (["x"] * 40),
        }
    )
    path = tmp_path / "data.parquet"
    df.to_parquet(path)
    log = audit(str(path), y_true="y", y_pred="p", sensitive_features=["g"], engine=engine,
                bootstrap=0)  # fmt: skip
    sizes = {r.slice["g"]: r.n for r in log.results if r.metric == "count" and r.slice}
    assert sizes == {"\\<missing>": 40, "<missing>": 40, "x": 40}
