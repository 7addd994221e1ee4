"""Every bad input gives a one-line InvalidInputError / InvalidParameterError naming it."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from equilens.data import BinSpec, Feature, prepare_inputs
from equilens.exceptions import EquilensError, InvalidInputError, InvalidParameterError

BASE = {"y": [0, 1, 1, 0], "p": [1, 1, 0, 0], "g": ["a", "b", "a", "b"]}


def _df(**extra: Any) -> pd.DataFrame:
    return pd.DataFrame({**BASE, **extra})


def _raises(exc: type[EquilensError], match: str, **kwargs: Any) -> str:
    data = kwargs.pop("data", None)
    with pytest.raises(exc) as info:
        prepare_inputs(data, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert match in message, message
    return message


# --- files -------------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    msg = _raises(
        InvalidInputError, "File not found", data=path, y_true="y", y_pred="p", sensitive="g"
    )
    assert msg == f"File not found: {path}"


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    path = tmp_path / "dir.parquet"
    path.mkdir()
    _raises(InvalidInputError, "is not a file", data=path, y_true="y", y_pred="p", sensitive="g")


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"x")
    _raises(
        InvalidInputError,
        f"Unsupported file type for {path}: use a .csv, .csv.gz",
        data=path,
        y_true="y",
        y_pred="p",
        sensitive="g",
    )


def test_text_file_named_parquet(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    path.write_text("y,p,g\n0,1,a\n")
    _raises(
        InvalidInputError,
        f"Could not read {path} as Parquet:",
        data=path,
        y_true="y",
        y_pred="p",
        sensitive="g",
    )


def test_truncated_parquet(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    _df().to_parquet(path)
    path.write_bytes(path.read_bytes()[:-40])
    _raises(
        InvalidInputError,
        f"Could not read {path} as Parquet:",
        data=path,
        y_true="y",
        y_pred="p",
        sensitive="g",
    )


def test_not_gzip(tmp_path: Path) -> None:
    path = tmp_path / "data.csv.gz"
    path.write_text("y,p,g\n0,1,a\n")
    _raises(
        InvalidInputError,
        f"Could not read {path} as CSV:",
        data=path,
        y_true="y",
        y_pred="p",
        sensitive="g",
    )


def test_binary_garbage_csv(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(bytes(range(256)) * 4)
    _raises(
        InvalidInputError,
        f"Could not read {path} as CSV:",
        data=path,
        y_true="y",
        y_pred="p",
        sensitive="g",
    )


def test_ragged_csv(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("y,p,g\n0,1,a\n1,1,b,extra\n")
    _raises(
        InvalidInputError,
        f"Could not read {path} as CSV:",
        data=path,
        y_true="y",
        y_pred="p",
        sensitive="g",
    )


@pytest.mark.parametrize("name", ["empty.csv", "empty.parquet", "empty.csv.gz"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    msg = _raises(InvalidInputError, "is empty", data=path, y_true="y", y_pred="p", sensitive="g")
    assert msg == f"File {path} is empty"


def test_gzip_of_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv.gz"
    with gzip.open(path, "wb"):
        pass
    _raises(
        InvalidInputError,
        f"File {path} is empty (no header row)",
        data=path,
        y_true="y",
        y_pred="p",
        sensitive="g",
    )


def test_header_only_csv(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("y,p,g\n")
    msg = _raises(InvalidInputError, "No rows", data=path, y_true="y", y_pred="p", sensitive="g")
    assert msg == f"No rows in {path}; an audit needs at least one row"


def test_zero_row_parquet(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    _df().iloc[:0].to_parquet(path)
    _raises(
        InvalidInputError, f"No rows in {path}", data=path, y_true="y", y_pred="p", sensitive="g"
    )


def test_zero_row_frame() -> None:
    _raises(
        InvalidInputError,
        "No rows in the pandas DataFrame",
        data=_df().iloc[:0],
        y_true="y",
        y_pred="p",
        sensitive="g",
    )


def test_zero_length_arrays() -> None:
    _raises(
        InvalidInputError, "No rows in the input arrays", y_true=[], y_pred=[], sensitive={"g": []}
    )


# --- columns -----------------------------------------------------------------------------------


def test_column_not_found_in_csv(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("a,b,c\n0,1,x\n")
    msg = _raises(
        InvalidInputError, "not found", data=path, y_true="foo", y_pred="a", sensitive="c"
    )
    assert msg == f"Column 'foo' (y_true) not found in {path}; available columns: a, b, c"


@pytest.mark.parametrize(
    ("role", "where"),
    [
        ("y_pred", "the pandas DataFrame"),
        ("sensitive", "the pandas DataFrame"),
        ("y_score", "the pandas DataFrame"),
        ("sample_weight", "the pandas DataFrame"),
    ],
)
def test_column_not_found_names_role(role: str, where: str) -> None:
    kwargs: dict[str, Any] = {"y_true": "y", "y_pred": "p", "sensitive": "g"}
    kwargs[role] = "nope"
    msg = _raises(
        InvalidInputError, f"Column 'nope' ({role}) not found in {where}", data=_df(), **kwargs
    )
    assert msg.endswith("available columns: y, p, g")


@pytest.mark.parametrize(
    ("make", "where"),
    [
        (lambda d: pa.Table.from_pandas(d, preserve_index=False), "the pyarrow Table"),
        (lambda d: {k: d[k].to_numpy() for k in d.columns}, "the data dict"),
    ],
)
def test_column_not_found_other_sources(make: Any, where: str) -> None:
    _raises(
        InvalidInputError,
        f"Column 'nope' (sensitive) not found in {where}",
        data=make(_df()),
        y_true="y",
        y_pred="p",
        sensitive=["g", "nope"],
    )


def test_available_columns_list_is_capped() -> None:
    wide = pd.DataFrame({f"c{i:02d}": [0, 1] for i in range(30)})
    msg = _raises(
        InvalidInputError, "not found", data=wide, y_true="y", y_pred="c00", sensitive="c01"
    )
    assert msg.endswith("c18, c19, ... (10 more)")


def test_duplicate_column_in_csv(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("y,p,g,g\n0,1,a,b\n")
    _raises(
        InvalidInputError,
        f"Column 'g' (sensitive) appears 2 times in {path}",
        data=path,
        y_true="y",
        y_pred="p",
        sensitive="g",
    )


def test_inconsistent_array_lengths() -> None:
    msg = _raises(
        InvalidInputError,
        "inconsistent",
        y_true=np.zeros(100),
        y_pred=np.zeros(98),
        sensitive={"g": ["a"] * 100},
    )
    assert msg == (
        "Found input variables with inconsistent numbers of samples: y_true=100, y_pred=98, g=100"
    )


def test_inconsistent_dict_lengths() -> None:
    _raises(
        InvalidInputError,
        "Found input variables with inconsistent numbers of samples: y=4, p=3, g=4",
        data={"y": [0, 1, 1, 0], "p": [0, 1, 1], "g": list("abab")},
        y_true="y",
        y_pred="p",
        sensitive="g",
    )


def test_two_dimensional_score() -> None:
    _raises(
        InvalidInputError,
        "y_score must be 1-dimensional; got an array of shape (4, 2); "
        "pass the positive-class column, e.g. proba[:, 1]",
        y_true=BASE["y"],
        y_pred=BASE["p"],
        y_score=np.full((4, 2), 0.5),
        sensitive={"g": BASE["g"]},
    )


def test_scalar_instead_of_array() -> None:
    _raises(
        InvalidInputError,
        "y_pred must be a 1-D array-like",
        y_true=BASE["y"],
        y_pred=1,
        sensitive={"g": BASE["g"]},
    )


def test_mixed_type_column() -> None:
    _raises(
        InvalidInputError,
        "Column 'g' (sensitive) cannot be converted to a typed column",
        data=_df(g=["a", 1, "b", 2.5]),
        y_true="y",
        y_pred="p",
        sensitive="g",
    )


def test_unsupported_sensitive_type() -> None:
    table = pa.table({"y": [0, 1], "p": [0, 1], "g": [[1], [2]]})
    _raises(
        InvalidInputError,
        "Sensitive column 'g' has unsupported type list<item: int64>",
        data=table,
        y_true="y",
        y_pred="p",
        sensitive="g",
    )


# --- labels ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [[0, None, 1, None], [0.0, np.nan, 1.0, np.nan], ["a", None, "b", ""]],
)
def test_missing_labels(bad: list[Any]) -> None:
    msg = _raises(
        InvalidInputError,
        "Column 'y' (y_true) has 2 missing values",
        data=_df(y=bad),
        y_true="y",
        y_pred="p",
        sensitive="g",
        positive_label="a",
    )
    assert "first at row index 1" in msg


def test_missing_predictions_in_csv(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    _df(p=[1, 0, None, 1]).to_csv(path, index=False)
    _raises(
        InvalidInputError,
        f"Column 'p' (y_pred) in {path} has 1 missing values (null, NaN "
        "or empty); first at row index 2",
        data=path,
        y_true="y",
        y_pred="p",
        sensitive="g",
    )


def test_more_than_two_labels() -> None:
    msg = _raises(
        InvalidInputError,
        "Column 'y' (y_true) has 3 distinct values (0, 1, 2)",
        data=_df(y=[0, 1, 2, 1]),
        y_true="y",
        y_pred="p",
        sensitive="g",
    )
    assert "binary labels need at most two" in msg


def test_many_label_values_listed_up_to_five() -> None:
    y = np.arange(40) % 7 * 10
    _raises(
        InvalidInputError,
        "has 7 distinct values (0, 10, 20, 30, 40, ... (7 in total))",
        y_true=y,
        y_pred=np.zeros(40, dtype=int),
        sensitive={"g": np.zeros(40)},
    )


def test_scores_passed_as_predictions() -> None:
    msg = _raises(
        InvalidInputError,
        "y_pred has 4 distinct values",
        y_true=[0, 1, 1, 0],
        y_pred=[0.1, 0.7, 0.4, 0.9],
        sensitive={"g": BASE["g"]},
    )
    assert "pass it as y_score" in msg


def test_string_labels_more_than_two() -> None:
    _raises(
        InvalidInputError,
        "has 3 distinct values ('maybe', 'no', 'yes')",
        data=_df(y=["yes", "no", "maybe", "no"]),
        y_true="y",
        y_pred="p",
        sensitive="g",
    )


def test_cannot_infer_positive_label() -> None:
    msg = _raises(
        InvalidInputError,
        "Cannot tell which label is positive",
        data=_df(y=["no", "yes", "no", "yes"], p=["no", "no", "yes", "yes"]),
        y_true="y",
        y_pred="p",
        sensitive="g",
    )
    assert "'no', 'yes'" in msg
    assert "positive_label" in msg
    assert "--positive-label" in msg


def test_minus_one_one_labels_need_positive_label() -> None:
    _raises(
        InvalidInputError,
        "Cannot tell which label is positive",
        y_true=[-1, 1, 1, -1],
        y_pred=[1, 1, -1, -1],
        sensitive={"g": BASE["g"]},
    )


def test_positive_label_not_a_label_value() -> None:
    msg = _raises(
        InvalidParameterError,
        "The 'positive_label' parameter of prepare_inputs (2) "
        "is not one of the values of Column 'y' (y_true): 0, 1",
        data=_df(),
        y_true="y",
        y_pred="p",
        sensitive="g",
        positive_label=2,
    )
    assert msg.endswith(".")


def test_positive_label_of_wrong_type() -> None:
    _raises(
        InvalidParameterError,
        "The 'positive_label' parameter of prepare_inputs ('yes') "
        "cannot be compared with Column 'y' (y_true), which holds int values (0, 1)",
        data=_df(),
        y_true="y",
        y_pred="p",
        sensitive="g",
        positive_label="yes",
    )


def test_positive_label_bad_python_type() -> None:
    _raises(
        InvalidParameterError,
        "The 'positive_label' parameter of prepare_inputs must be a "
        "str, int, float, bool or None. Got list instead.",
        data=_df(),
        y_true="y",
        y_pred="p",
        sensitive="g",
        positive_label=[1],
    )


def test_predictions_outside_label_set() -> None:
    _raises(
        InvalidInputError,
        "Column 'p' (y_pred) has values not found in y_true or the "
        "positive label ('no', 'yes'): 'maybe'",
        data=_df(y=["yes", "no", "no", "yes"], p=["yes", "maybe", "yes", "maybe"]),
        y_true="y",
        y_pred="p",
        sensitive="g",
        positive_label="yes",
    )


def test_union_of_three_values() -> None:
    # y_true has one value; the positive label adds a second; y_pred may not add a third.
    _raises(
        InvalidInputError,
        "has values not found in y_true or the positive label (0, 1): 2",
        data=_df(y=[0, 0, 0, 0], p=[2, 1, 2, 1]),
        y_true="y",
        y_pred="p",
        sensitive="g",
        positive_label=1,
    )


def test_unsupported_label_type() -> None:
    table = pa.table({"y": pa.array([1, 2], pa.timestamp("s")), "p": [0, 1], "g": ["a", "b"]})
    _raises(
        InvalidInputError,
        "Column 'y' (y_true) has unsupported type timestamp[s]",
        data=table,
        y_true="y",
        y_pred="p",
        sensitive="g",
    )


# --- scores and weights ------------------------------------------------------------------------


def test_score_with_nan() -> None:
    _raises(
        InvalidInputError,
        "Column 's' (y_score) has 2 missing values (null or NaN); first at row index 1",
        data=_df(s=[0.2, np.nan, 0.5, None]),
        y_true="y",
        y_pred="p",
        y_score="s",
        sensitive="g",
    )


def test_score_out_of_range() -> None:
    _raises(
        InvalidInputError,
        "Column 's' (y_score) has 2 values outside [0, 1] (min -0.5, max "
        "1.5); first at row index 0",
        data=_df(s=[-0.5, 0.3, 1.5, 1.0]),
        y_true="y",
        y_pred="p",
        y_score="s",
        sensitive="g",
    )


def test_score_infinite() -> None:
    _raises(
        InvalidInputError,
        "has 1 values outside [0, 1] (min 0, max inf)",
        data=_df(s=[0.0, np.inf, 0.5, 1.0]),
        y_true="y",
        y_pred="p",
        y_score="s",
        sensitive="g",
    )


def test_score_not_numeric() -> None:
    _raises(
        InvalidInputError,
        "Column 's' (y_score) must be numeric; got string values",
        data=_df(s=["a", "b", "c", "d"]),
        y_true="y",
        y_pred="p",
        y_score="s",
        sensitive="g",
    )


def test_negative_weights() -> None:
    _raises(
        InvalidInputError,
        "Column 'w' (sample_weight) has 1 negative values (min -2); first at row index 3",
        data=_df(w=[1.0, 0.0, 2.0, -2.0]),
        y_true="y",
        y_pred="p",
        sample_weight="w",
        sensitive="g",
    )


def test_infinite_weights() -> None:
    _raises(
        InvalidInputError,
        "sample_weight has 1 infinite values; first at row index 2",
        y_true=BASE["y"],
        y_pred=BASE["p"],
        sample_weight=[1.0, 1.0, np.inf, 1.0],
        sensitive={"g": BASE["g"]},
    )


def test_nan_weights() -> None:
    _raises(
        InvalidInputError,
        "Column 'w' (sample_weight) has 1 missing values",
        data=_df(w=[1.0, np.nan, 2.0, 1.0]),
        y_true="y",
        y_pred="p",
        sample_weight="w",
        sensitive="g",
    )


def test_all_zero_weights() -> None:
    _raises(
        InvalidInputError,
        "Column 'w' (sample_weight) is all zeros; at least one weight must be positive",
        data=_df(w=[0, 0, 0, 0]),
        y_true="y",
        y_pred="p",
        sample_weight="w",
        sensitive="g",
    )


# --- sensitive features and bins ---------------------------------------------------------------


def test_too_many_groups() -> None:
    n = 300
    df = pd.DataFrame({"y": np.arange(n) % 2, "p": np.zeros(n, int), "id": np.arange(n)})
    msg = _raises(
        InvalidInputError, "Sensitive column 'id'", data=df, y_true="y", y_pred="p", sensitive="id"
    )
    assert msg == (
        "Sensitive column 'id' has 300 distinct values, more than max_groups_per_feature=100; "
        "bin it (bins=...) or choose another column"
    )


def test_too_many_groups_in_csv_names_file(tmp_path: Path) -> None:
    n = 300
    path = tmp_path / "ids.csv"
    pd.DataFrame(
        {"y": np.arange(n) % 2, "p": np.zeros(n, int), "id": [f"person-{i}" for i in range(n)]}
    ).to_csv(path, index=False)
    _raises(
        InvalidInputError,
        f"Sensitive column 'id' in {path} has 300 distinct values, more "
        "than max_groups_per_feature=20",
        data=path,
        y_true="y",
        y_pred="p",
        sensitive="id",
        max_groups_per_feature=20,
    )


def test_too_many_groups_with_arrays() -> None:
    _raises(
        InvalidInputError,
        "Sensitive feature 'g' has 4 distinct values, more than max_groups_per_feature=3",
        y_true=BASE["y"],
        y_pred=BASE["p"],
        sensitive={"g": ["a", "b", "c", "d"]},
        max_groups_per_feature=3,
    )


def test_bins_on_string_column() -> None:
    _raises(
        InvalidInputError,
        "Cannot bin sensitive column 'g': it holds string values, and bins need a numeric column",
        data=_df(),
        y_true="y",
        y_pred="p",
        sensitive="g",
        bins={"g": [1, 2]},
    )


def test_bins_for_unknown_column() -> None:
    _raises(
        InvalidParameterError,
        "The 'bins' parameter of prepare_inputs names 'age', which is "
        "not a sensitive column; sensitive columns: g.",
        data=_df(),
        y_true="y",
        y_pred="p",
        sensitive="g",
        bins={"age": [30]},
    )


def test_bins_of_wrong_type() -> None:
    _raises(
        InvalidParameterError,
        "maps 'g' to str; expected a BinSpec or a list of edges",
        data=_df(),
        y_true="y",
        y_pred="p",
        sensitive="g",
        bins={"g": "30"},
    )


def test_bins_with_non_increasing_list() -> None:
    _raises(
        InvalidParameterError,
        "The 'edges' parameter of BinSpec must be strictly increasing. Got (45, 25) instead.",
        data=_df(g=[1, 2, 3, 4]),
        y_true="y",
        y_pred="p",
        sensitive="g",
        bins={"g": [45, 25]},
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"edges": (25, 25)}, "must be strictly increasing. Got (25, 25) instead."),
        ({"edges": (45, 25.5)}, "must be strictly increasing. Got (45, 25.5) instead."),
        ({"edges": ()}, "must hold at least one edge"),
        ({"edges": (1, float("inf"))}, "must hold finite numbers"),
        ({"edges": ("a",)}, "must be a sequence of numbers. Got 'a' among them."),
        ({"edges": 5}, "must be a sequence of numbers. Got int instead."),
        (
            {"edges": (25, 45), "labels": ("young", "old")},
            "The 'labels' parameter of BinSpec must hold 3 names (one per band for 2 edges). "
            "Got 2 instead.",
        ),
        ({"edges": (25,), "labels": ("x", "x")}, "must hold distinct names"),
        ({"edges": (25,), "labels": ("x", "<missing>")}, "must hold distinct names"),
        ({"edges": (25,), "labels": ("x", "")}, "must hold non-empty strings"),
        ({"edges": (25,), "labels": "ab"}, "must be a sequence of str or None"),
    ],
)
def test_binspec_validation(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        BinSpec(**kwargs)
    assert match in str(info.value)


def test_feature_validation() -> None:
    with pytest.raises(InvalidParameterError, match="numpy int32 array"):
        Feature("g", np.zeros(3, dtype=np.int64), ("a",), "categorical")
    with pytest.raises(InvalidParameterError, match="1-dimensional"):
        Feature("g", np.zeros((3, 1), dtype=np.int32), ("a",), "categorical")
    with pytest.raises(InvalidParameterError, match="must be distinct"):
        Feature("g", np.zeros(3, dtype=np.int32), ("a", "a"), "categorical")
    with pytest.raises(InvalidParameterError, match="'kind' parameter of Feature"):
        Feature("g", np.zeros(3, dtype=np.int32), ("a",), "other")  # type: ignore[arg-type]


# --- parameters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0, "0"), (1, "1"), (-3, "-3"), (2.5, "2.5"), (True, "True"), ("10", "str")],
)
def test_max_groups_parameter(value: object, shown: str) -> None:
    msg = _raises(
        InvalidParameterError,
        "max_groups_per_feature",
        data=_df(),
        y_true="y",
        y_pred="p",
        sensitive="g",
        max_groups_per_feature=value,
    )
    assert msg == (
        "The 'max_groups_per_feature' parameter of prepare_inputs must be an int in the range "
        f"[2, inf). Got {shown} instead."
    )


def test_max_groups_lower_bound_agrees_with_audit() -> None:
    import equilens
    from equilens.engines import compute_statistics

    kwargs = {"y_true": "y", "y_pred": "p"}
    with pytest.raises(InvalidParameterError, match=r"range \[2, inf\)"):
        equilens.audit(_df(), sensitive_features="g", max_groups_per_feature=1, **kwargs)
    with pytest.raises(InvalidParameterError, match=r"range \[2, inf\)"):
        compute_statistics(_df(), sensitive="g", max_groups_per_feature=1, **kwargs)
    two = _df().assign(g=["a", "b"] * (len(_df()) // 2) + ["a"] * (len(_df()) % 2))
    log = equilens.audit(
        two, sensitive_features="g", max_groups_per_feature=2, bootstrap=0, **kwargs
    )
    assert log.results
    assert prepare_inputs(two, sensitive="g", max_groups_per_feature=2, **kwargs).n_rows == len(two)


def test_data_of_unsupported_type() -> None:
    _raises(
        InvalidParameterError,
        "The 'data' parameter of prepare_inputs must be a pandas or polars DataFrame",
        data=[[0, 1]],
        y_true="y",
        y_pred="p",
        sensitive="g",
    )


def test_array_given_where_column_name_expected() -> None:
    _raises(
        InvalidParameterError,
        "The 'y_pred' parameter of prepare_inputs must be a column "
        "name (str) when data is given. Got ndarray instead.",
        data=_df(),
        y_true="y",
        y_pred=np.zeros(4),
        sensitive="g",
    )


def test_column_name_without_data() -> None:
    _raises(
        InvalidParameterError,
        "The 'y_true' parameter of prepare_inputs is a column name ('y') but data is None",
        y_true="y",
        y_pred=[0, 1],
        sensitive={"g": [0, 1]},
    )


def test_sensitive_name_without_data() -> None:
    _raises(
        InvalidParameterError,
        "must be a mapping of name to array when data is None",
        y_true=[0, 1],
        y_pred=[0, 1],
        sensitive="g",
    )


def test_sensitive_not_names_with_data() -> None:
    _raises(
        InvalidParameterError,
        "The 'sensitive' parameter of prepare_inputs must be a column "
        "name or a list of column names when data is given",
        data=_df(),
        y_true="y",
        y_pred="p",
        sensitive={"g": [0, 1, 0, 1]},
    )


def test_empty_sensitive() -> None:
    _raises(
        InvalidParameterError,
        "must name at least one column",
        data=_df(),
        y_true="y",
        y_pred="p",
        sensitive=[],
    )
    _raises(
        InvalidParameterError,
        "must hold at least one feature",
        y_true=[0],
        y_pred=[0],
        sensitive={},
    )


def test_duplicate_sensitive() -> None:
    _raises(
        InvalidParameterError,
        "lists column 'g' twice",
        data=_df(),
        y_true="y",
        y_pred="p",
        sensitive=["g", "g"],
    )


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ({"y_pred": "y"}, "Column 'y' is given as both y_true and y_pred"),
        ({"y_score": "y"}, "Column 'y' is given as both y_true and y_score"),
        ({"sample_weight": "p"}, "Column 'p' is given as both y_pred and sample_weight"),
    ],
)
def test_same_column_in_two_target_roles(roles: dict[str, str], message: str) -> None:
    kwargs: dict[str, Any] = {"y_true": "y", "y_pred": "p", "sensitive": "g", **roles}
    _raises(InvalidParameterError, message, data=_df(), **kwargs)


def test_sensitive_name_clashes_with_role_name() -> None:
    _raises(
        InvalidParameterError,
        "names a feature 'y_true', the same as the y_true input",
        y_true=[0, 1],
        y_pred=[0, 1],
        sensitive={"y_true": ["a", "b"]},
    )


def test_errors_are_value_errors() -> None:
    assert issubclass(InvalidInputError, ValueError)
    assert issubclass(InvalidParameterError, ValueError)
    assert issubclass(InvalidParameterError, TypeError)


def test_feature_lookup_error() -> None:
    inputs = prepare_inputs(_df(), y_true="y", y_pred="p", sensitive="g")
    assert inputs.feature("g").labels == ("a", "b")
    with pytest.raises(InvalidParameterError, match=re.escape("No sensitive feature named 'x'")):
        inputs.feature("x")
