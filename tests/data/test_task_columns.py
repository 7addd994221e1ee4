"""prepare_columns: the data boundary of the non-binary tasks."""

from __future__ import annotations

import pathlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilens.data._columns import prepare_columns
from equilens.exceptions import InvalidInputError, InvalidParameterError


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "y": [3.5, 1.0, 2.0, 4.0],
            "label": ["b", "a", "c", "a"],
            "count": [1, 0, 2, 5],
            "s0": [0.1, 0.2, 0.3, 0.4],
            "s1": [0.9, 0.8, 0.7, 0.6],
            "sex": ["f", "m", "f", "m"],
            "age": [20, 30, 40, 50],
        }
    )


def test_roles_by_kind_and_fingerprint() -> None:
    t = prepare_columns(
        _frame(),
        roles={"y_true": "y", "cls": "label", "den": "count", "scores": ["s0", "s1"]},
        kinds={"y_true": "number", "cls": "labels", "den": "count", "scores": "number"},
        sensitive=["sex"],
    )
    assert t.n_rows == 4
    np.testing.assert_array_equal(t.values["y_true"], [3.5, 1.0, 2.0, 4.0])
    assert t.labels["cls"] == ("a", "b", "c")
    np.testing.assert_array_equal(t.values["cls"], [1, 0, 2, 0])
    assert t.values["scores"].shape == (4, 2)
    assert t.columns["scores"] == ["s0", "s1"]
    assert t.columns["sensitive"] == ["sex"]
    assert not t.values["y_true"].flags.writeable
    # The fingerprint depends on the values, not on the container.
    again = prepare_columns(
        pa.Table.from_pandas(_frame()),
        roles={"y_true": "y", "cls": "label", "den": "count", "scores": ["s0", "s1"]},
        kinds={"y_true": "number", "cls": "labels", "den": "count", "scores": "number"},
        sensitive=["sex"],
    )
    assert again.fingerprint == t.fingerprint


def test_numeric_labels_sort_numerically() -> None:
    t = prepare_columns(
        {"c": [10, 9, 100, 9], "g": ["a"] * 4},
        roles={"y": "c"},
        kinds={"y": "labels"},
        sensitive="g",
    )
    assert t.labels["y"] == ("9", "10", "100")
    np.testing.assert_array_equal(t.values["y"], [1, 0, 2, 0])


def test_cell_codes_follow_engine_order() -> None:
    t = prepare_columns(
        {"v": [1.0] * 6, "a": ["x", "y", "x", "y", "x", "x"], "b": [2, 1, 1, 2, 2, 2]},
        roles={"value": "v"},
        kinds={"value": "number"},
        sensitive=["a", "b"],
    )
    codes, keys = t.cell_codes()
    # First feature slowest; only occupied cells.
    assert keys == (("x", "1"), ("x", "2"), ("y", "1"), ("y", "2"))
    np.testing.assert_array_equal(codes, [1, 2, 0, 3, 1, 1])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 4)), min_size=1, max_size=60),
)
def test_cell_codes_are_a_dense_recoding(pairs: list[tuple[int, int]]) -> None:
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    t = prepare_columns(
        None,
        roles={"value": np.zeros(len(pairs))},
        kinds={"value": "number"},
        sensitive={"a": a, "b": b},
    )
    codes, keys = t.cell_codes()
    assert len(keys) == len(set(pairs))
    assert list(keys) == sorted(keys, key=lambda k: (int(k[0]), int(k[1])))
    for i, (x, y) in enumerate(pairs):
        assert keys[codes[i]] == (str(x), str(y))


@pytest.mark.parametrize(
    ("frame", "roles", "kinds", "hints", "message"),
    [
        (
            {"y": ["a", "b"], "g": ["f", "m"]},
            {"y_true": "y"},
            {"y_true": "number"},
            {"y_true": "multiclass"},
            "Column 'y' (y_true) must hold numbers; got string values; use --task multiclass",
        ),
        (
            {"y": [1.0, np.nan], "g": ["f", "m"]},
            {"y_true": "y"},
            {"y_true": "number"},
            {},
            "Column 'y' (y_true) has 1 missing or infinite values; first at row index 1",
        ),
        (
            {"d": [1.0, -2.0], "g": ["f", "m"]},
            {"denominator": "d"},
            {"denominator": "count"},
            {},
            "Column 'd' (denominator) has 1 negative values (min -2); first at row index 1",
        ),
        (
            {"q": ["a", None], "g": ["f", "m"]},
            {"query": "q"},
            {"query": "id"},
            {},
            "Column 'q' (query) has 1 missing values; first at row index 1",
        ),
        (
            {"q": [1.0, np.nan], "g": ["f", "m"]},
            {"query": "q"},
            {"query": "id"},
            {},
            "Column 'q' (query) has 1 missing values",
        ),
    ],
)
def test_bad_columns_one_line(
    frame: dict[str, object],
    roles: dict[str, object],
    kinds: dict[str, str],
    hints: dict[str, str],
    message: str,
) -> None:
    with pytest.raises(InvalidInputError) as exc:
        prepare_columns(
            pd.DataFrame(frame),
            roles=roles,
            kinds=kinds,  # type: ignore[arg-type]
            sensitive="g",
            hints=hints,
        )
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_missing_column_names_file(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "rows.csv"
    pd.DataFrame({"y": [1.0, 2.0], "g": ["a", "b"]}).to_csv(path, index=False)
    with pytest.raises(InvalidInputError, match=r"rows\.csv"):
        prepare_columns(path, roles={"value": "nope"}, kinds={"value": "number"}, sensitive="g")
    t = prepare_columns(path, roles={"value": "y"}, kinds={"value": "number"}, sensitive="g")
    np.testing.assert_array_equal(t.values["value"], [1.0, 2.0])


def test_column_list_needs_data() -> None:
    with pytest.raises(InvalidParameterError, match="lists column names"):
        prepare_columns(
            None,
            roles={"y_score": ["a", "b"]},
            kinds={"y_score": "number"},
            sensitive={"g": ["x", "y"]},
        )
    with pytest.raises(InvalidParameterError, match="takes one column"):
        prepare_columns(
            _frame(),
            roles={"y_true": ["label", "sex"]},
            kinds={"y_true": "labels"},
            sensitive="sex",
        )
