"""Every supported input form gives the same AuditInputs and fingerprint."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from equilens.data import AuditInputs, prepare_inputs

ROLE_ARGS: dict[str, Any] = {
    "y_true": "y_true",
    "y_pred": "y_pred",
    "y_score": "y_score",
    "sample_weight": "sample_weight",
    "sensitive": ["sex", "race", "age"],
    "bins": {"age": [30, 50]},
}


def _prepare(data: object) -> AuditInputs:
    return prepare_inputs(data, **ROLE_ARGS)


def _pandas_categorical(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    # Unused and ordered categories must not change the groups.
    out["sex"] = pd.Categorical(
        out["sex"], categories=["nonbinary", "male", "female", "unused"], ordered=True
    )
    out["race"] = out["race"].astype("category")
    return out


def _pandas_arrow_strings(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["sex"] = out["sex"].astype("string[pyarrow]")
    out["race"] = out["race"].astype("string[python]")
    out["age"] = out["age"].astype("Int64")
    return out


def _polars(df: pd.DataFrame) -> pl.DataFrame:
    return pl.from_pandas(df)


def _polars_categorical(df: pd.DataFrame) -> pl.DataFrame:
    return pl.from_pandas(df).with_columns(
        pl.col("sex").cast(pl.Categorical),
        pl.col("race").cast(pl.Enum(["White", "Black", "Hispanic", "Asian", "Other"])),
        pl.col("age").cast(pl.Int32),
    )


def _polars_lazy(df: pd.DataFrame) -> pl.LazyFrame:
    return pl.from_pandas(df).lazy()


def _arrow(df: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(df, preserve_index=False)


def _arrow_chunked(df: pd.DataFrame) -> pa.Table:
    table = pa.Table.from_pandas(df, preserve_index=False)
    return pa.concat_tables([table.slice(0, 100), table.slice(100, 7), table.slice(107)])


def _record_batch(df: pd.DataFrame) -> pa.RecordBatch:
    return pa.RecordBatch.from_pandas(df, preserve_index=False)


def _dict_numpy(df: pd.DataFrame) -> dict[str, Any]:
    return {c: df[c].to_numpy() for c in df.columns}


def _dict_lists(df: pd.DataFrame) -> dict[str, Any]:
    return {c: df[c].tolist() for c in df.columns}


def _shuffled_index(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.index = np.arange(len(df))[::-1] * 3  # the index is ignored: rows go by position
    return out


IN_MEMORY: dict[str, Callable[[pd.DataFrame], object]] = {
    "pandas": lambda df: df,
    "pandas-categorical": _pandas_categorical,
    "pandas-arrow-strings": _pandas_arrow_strings,
    "pandas-odd-index": _shuffled_index,
    "polars": _polars,
    "polars-categorical": _polars_categorical,
    "polars-lazy": _polars_lazy,
    "arrow": _arrow,
    "arrow-chunked": _arrow_chunked,
    "arrow-record-batch": _record_batch,
    "dict-numpy": _dict_numpy,
    "dict-lists": _dict_lists,
}


@pytest.fixture
def reference(frame: pd.DataFrame) -> AuditInputs:
    return _prepare(frame)


@pytest.mark.parametrize("form", sorted(IN_MEMORY))
def test_in_memory_forms_agree(form: str, frame: pd.DataFrame, reference: AuditInputs) -> None:
    got = _prepare(IN_MEMORY[form](frame))
    assert got == reference
    assert got.fingerprint.to_dict() == reference.fingerprint.to_dict()


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False)


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=64)


def _write_parquet_categorical(df: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(_pandas_categorical(df), preserve_index=False)
    pq.write_table(table, path, row_group_size=50)


def _write_polars_parquet(df: pd.DataFrame, path: Path) -> None:
    pl.from_pandas(df).write_parquet(path)


FILES: dict[str, tuple[str, Callable[[pd.DataFrame, Path], None]]] = {
    "csv": ("data.csv", _write_csv),
    "csv-gz": ("data.csv.gz", _write_csv),
    "parquet": ("data.parquet", _write_parquet),
    "pq-categorical": ("data.pq", _write_parquet_categorical),
    "parquet-polars": ("data.parquet", _write_polars_parquet),
}


@pytest.mark.parametrize("form", sorted(FILES))
@pytest.mark.parametrize("as_str", [False, True])
def test_files_agree(
    form: str, as_str: bool, frame: pd.DataFrame, reference: AuditInputs, tmp_path: Path
) -> None:
    name, write = FILES[form]
    path = tmp_path / name
    write(frame, path)
    got = _prepare(str(path) if as_str else path)
    assert got == reference
    assert got.fingerprint.to_dict() == reference.fingerprint.to_dict()


def test_bare_arrays_agree(frame: pd.DataFrame, reference: AuditInputs) -> None:
    got = prepare_inputs(
        None,
        y_true=frame["y_true"].to_numpy(),
        y_pred=frame["y_pred"].tolist(),
        y_score=pl.Series(frame["y_score"].to_numpy()),
        sample_weight=pa.array(frame["sample_weight"].to_numpy()),
        sensitive={
            "sex": frame["sex"],
            "race": frame["race"].to_numpy(),
            "age": frame["age"].tolist(),
        },
        bins={"age": [30, 50]},
    )
    assert got == reference
    assert got.columns == reference.columns


def test_bare_arrays_with_dataframe_of_sensitive(
    frame: pd.DataFrame, reference: AuditInputs
) -> None:
    got = prepare_inputs(
        None,
        y_true=frame["y_true"],
        y_pred=frame["y_pred"],
        y_score=frame["y_score"],
        sample_weight=frame["sample_weight"],
        sensitive=frame[["sex", "race", "age"]],
        bins={"age": [30, 50]},
    )
    assert got == reference


def test_bare_named_series_and_unnamed_array() -> None:
    named = prepare_inputs(
        None, y_true=[0, 1], y_pred=[1, 1], sensitive=pd.Series(["a", "b"], name="grp")
    )
    assert named.feature_names == ("grp",)
    unnamed = prepare_inputs(None, y_true=[0, 1], y_pred=[1, 1], sensitive=np.array(["a", "b"]))
    assert unnamed.feature_names == ("sensitive",)
    assert unnamed.columns["sensitive"] == ["sensitive"]


def test_result_shape(reference: AuditInputs, frame: pd.DataFrame) -> None:
    assert reference.n_rows == len(frame)
    assert reference.y_true.dtype == np.int8
    assert reference.y_pred.dtype == np.int8
    assert reference.y_score is not None
    assert reference.y_score.dtype == np.float64
    assert reference.sample_weight is not None
    assert reference.sample_weight.dtype == np.float64
    np.testing.assert_array_equal(reference.y_true, frame["y_true"].to_numpy())
    np.testing.assert_array_equal(reference.y_score, frame["y_score"].to_numpy())
    assert reference.positive_label == 1
    assert type(reference.positive_label) is int
    assert reference.label_values == (0, 1)
    assert reference.columns == {
        "y_true": "y_true",
        "y_pred": "y_pred",
        "y_score": "y_score",
        "sample_weight": "sample_weight",
        "sensitive": ["sex", "race", "age"],
    }
    sex, race, age = reference.features
    assert sex.labels == ("female", "male", "nonbinary", "<missing>")
    assert sex.kind == "categorical"
    assert sex.bin_edges is None
    assert race.labels == ("Asian", "Black", "Hispanic", "White")
    assert age.labels == ("<30", "30-50", ">=50", "<missing>")
    assert age.kind == "binned"
    assert age.bin_edges == (30.0, 50.0)
    for f in reference.features:
        assert f.codes.dtype == np.int32
        assert f.codes.shape == (len(frame),)
        assert f.codes.min() >= 0
        assert f.codes.max() < f.n_groups
    decoded = np.array(sex.labels, dtype=object)[sex.codes]
    expected = frame["sex"].fillna("<missing>").to_numpy()
    np.testing.assert_array_equal(decoded, expected)


def test_fingerprint_keys_and_sensitivity(frame: pd.DataFrame, reference: AuditInputs) -> None:
    fp = reference.fingerprint
    assert fp.n_rows == len(frame)
    assert list(fp.columns) == [
        "y_true",
        "y_pred",
        "y_score",
        "sample_weight",
        "sex",
        "race",
        "age",
    ]
    assert all(len(h) == 32 for h in fp.columns.values())
    as_dict = fp.to_dict()
    assert as_dict["n_rows"] == len(frame)
    assert as_dict["digest"] == fp.digest
    changed = frame.copy()
    changed.loc[5, "y_score"] = 0.123456789
    other = _prepare(changed).fingerprint
    assert other.columns["y_score"] != fp.columns["y_score"]
    assert {k: v for k, v in other.columns.items() if k != "y_score"} == {
        k: v for k, v in fp.columns.items() if k != "y_score"
    }
    assert other.digest != fp.digest


def test_unused_column_is_not_read(frame: pd.DataFrame, tmp_path: Path) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False).append_column(
        "nested", pa.array([[1, 2]] * len(frame))
    )
    path = tmp_path / "extra.parquet"
    pq.write_table(table, path)
    assert _prepare(path) == _prepare(frame)


def test_arrays_are_read_only_and_do_not_alias_inputs() -> None:
    score = np.array([0.1, 0.2, 0.9])
    inputs = prepare_inputs(
        {"y": [0, 1, 1], "p": [0, 1, 0], "s": score, "g": ["a", "b", "a"]},
        y_true="y",
        y_pred="p",
        y_score="s",
        sensitive="g",
    )
    for arr in (inputs.y_true, inputs.y_pred, inputs.y_score, inputs.features[0].codes):
        assert arr is not None
        assert not arr.flags.writeable
    score[0] = 0.5
    assert inputs.y_score is not None
    assert inputs.y_score[0] == 0.1


def test_high_cardinality_csv_column(tmp_path: Path) -> None:
    n = 3000
    ids = [f"g{i % 90:03d}" for i in range(n)]
    df = pd.DataFrame({"y": np.arange(n) % 2, "p": np.ones(n, dtype=int), "g": ids})
    path = tmp_path / "wide.csv"
    df.to_csv(path, index=False)
    got = prepare_inputs(path, y_true="y", y_pred="p", sensitive="g")
    assert got == prepare_inputs(df, y_true="y", y_pred="p", sensitive="g")
    assert got.features[0].n_groups == 90
