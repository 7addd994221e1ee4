"""scikit-learn adapter on the shipped German credit data: skops, pickles, bad files."""

from __future__ import annotations

import hashlib
import json
import operator
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from equilens.adapters import (
    PickleLoadWarning,
    SklearnAdapter,
    load_adapter,
    predict_frame,
    run_adapter,
)
from equilens.exceptions import InvalidInputError, InvalidParameterError

pytest.importorskip("sklearn", reason="the sklearn extra (scikit-learn, skops) is not installed")
sio = pytest.importorskip(
    "skops.io", reason="the sklearn extra (scikit-learn, skops) is not installed"
)


def test_skops_file_reproduces_the_pipeline(
    german: pd.DataFrame, german_pipeline: Any, german_skops: Path, german_features: list[str]
) -> None:
    adapter = load_adapter({"kind": "sklearn", "path": str(german_skops)})
    run = predict_frame(adapter, german)
    X = german[german_features]
    assert run.frame["y_pred"].tolist() == german_pipeline.predict(X).tolist()
    np.testing.assert_array_equal(run.frame["y_score"], german_pipeline.predict_proba(X)[:, 1])
    assert run.frame["y_pred"].value_counts().to_dict().keys() == {"good", "bad"}
    # the model does not read the label or sex; the output frame keeps them
    assert {"credit", "sex"} <= set(run.frame.columns)


def test_describe_records_file_hash_versions_and_settings(
    german_skops: Path, german_features: list[str]
) -> None:
    desc = load_adapter({"kind": "sklearn", "path": str(german_skops)}).describe()
    json.dumps(desc)
    assert desc["kind"] == "sklearn"
    assert desc["source"] == {"path": str(german_skops), "format": "skops"}
    assert desc["sha256"] == hashlib.sha256(german_skops.read_bytes()).hexdigest()
    assert {"scikit-learn", "skops", "numpy", "python", "equilens"} <= set(desc["libraries"])
    assert desc["settings"]["classes"] == ["bad", "good"]
    assert desc["settings"]["positive_label"] == "good"
    assert desc["settings"]["features"] == german_features
    assert desc["capabilities"] == ["predict", "predict_proba"]


def test_positive_label_picks_the_score_column(german: pd.DataFrame, german_skops: Path) -> None:
    bad = load_adapter({"kind": "sklearn", "path": str(german_skops), "positive_label": "bad"})
    good = load_adapter({"kind": "sklearn", "path": str(german_skops)})
    s_bad = run_adapter(bad, "predict_proba", german.head(50)).outputs
    s_good = run_adapter(good, "predict_proba", german.head(50)).outputs
    np.testing.assert_allclose(np.add(s_bad, s_good), 1.0)
    with pytest.raises(InvalidParameterError, match=r"classes \['bad', 'good'\]"):
        load_adapter({"kind": "sklearn", "path": str(german_skops), "positive_label": "ok"})


def test_in_memory_estimator_and_numpy_input() -> None:
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    X, y = make_classification(200, 5, random_state=0)
    model = LogisticRegression().fit(X, y)
    adapter = SklearnAdapter(model)
    result = run_adapter(adapter, "predict", X)
    assert result.outputs == model.predict(X).tolist()
    assert adapter.describe()["source"] == {
        "object": "sklearn.linear_model._logistic.LogisticRegression"
    }
    assert adapter.describe()["sha256"] == SklearnAdapter(model).describe()["sha256"]


def test_untrusted_skops_types_are_refused_until_listed(tmp_path: Path) -> None:
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, y = make_classification(60, 4, random_state=0)
    model = make_pipeline(FunctionTransformer(operator.pos), LogisticRegression()).fit(X, y)
    path = tmp_path / "custom.skops"
    sio.dump(model, path)
    with pytest.raises(InvalidInputError, match=r"not trusted: _operator\.pos") as info:
        load_adapter({"kind": "sklearn", "path": str(path)})
    assert str(path) in str(info.value)
    adapter = load_adapter({"kind": "sklearn", "path": str(path), "trust": ["_operator.pos"]})
    assert run_adapter(adapter, "predict", X).outputs == model.predict(X).tolist()


@pytest.mark.parametrize("suffix", [".pkl", ".joblib"])
def test_pickle_needs_trust_and_warns(
    german: pd.DataFrame,
    german_pipeline: Any,
    german_features: list[str],
    tmp_path: Path,
    suffix: str,
) -> None:
    import joblib

    path = tmp_path / f"model{suffix}"
    joblib.dump(german_pipeline, path)
    with pytest.raises(InvalidInputError, match="loading a pickle runs arbitrary code") as info:
        load_adapter({"kind": "sklearn", "path": str(path)})
    assert str(path) in str(info.value)
    with pytest.raises(InvalidInputError, match="pickle"):
        load_adapter({"kind": "sklearn", "path": str(path), "trust": ["anything"]})
    with pytest.warns(PickleLoadWarning, match="can run arbitrary code"):
        adapter = load_adapter({"kind": "sklearn", "path": str(path), "trust": True})
    assert adapter.describe()["source"]["format"] == "pickle"
    assert (
        run_adapter(adapter, "predict", german.head(20)).outputs
        == german_pipeline.predict(german.head(20)[german_features]).tolist()
    )


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.skops"
    with pytest.raises(InvalidInputError, match=f"Model file '{path}' does not exist"):
        load_adapter({"kind": "sklearn", "path": str(path)})


def test_relative_paths_resolve_against_base_dir(german_skops: Path) -> None:
    adapter = load_adapter(
        {"kind": "sklearn", "path": german_skops.name}, base_dir=german_skops.parent
    )
    assert adapter.describe()["source"]["path"] == str(german_skops)


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("text.skops", b"this is not a model", "is not a skops file"),
        ("model.onnx.bin", b"\x00\x01", "unknown format"),
    ],
)
def test_not_a_model_file(tmp_path: Path, name: str, content: bytes, match: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidInputError, match=match) as info:
        load_adapter({"kind": "sklearn", "path": str(path)})
    assert str(path) in str(info.value)


def test_a_pickle_that_holds_no_model(tmp_path: Path) -> None:
    path = tmp_path / "dict.pkl"
    path.write_bytes(pickle.dumps({"weights": [1, 2]}))
    with (
        pytest.warns(PickleLoadWarning),
        pytest.raises(InvalidInputError, match="does not hold a model: dict has no predict"),
    ):
        load_adapter({"kind": "sklearn", "path": str(path), "trust": True})
    corrupt = tmp_path / "corrupt.pkl"
    corrupt.write_bytes(b"\x80\x05garbage")
    with (
        pytest.warns(PickleLoadWarning),
        pytest.raises(InvalidInputError, match="could not be loaded as a pickle"),
    ):
        load_adapter({"kind": "sklearn", "path": str(corrupt), "trust": True})


def test_a_directory_is_not_a_model_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="is not a file"):
        load_adapter({"kind": "sklearn", "path": str(tmp_path)})


def test_missing_feature_columns_are_named(german: pd.DataFrame, german_skops: Path) -> None:
    adapter = load_adapter({"kind": "sklearn", "path": str(german_skops)})
    with pytest.raises(InvalidInputError, match=r"Found no column\(s\) \['age'\]"):
        run_adapter(adapter, "predict", german.drop(columns="age"))


def test_spec_validation(german_skops: Path) -> None:
    with pytest.raises(InvalidParameterError, match="Did you mean: trust"):
        load_adapter({"kind": "sklearn", "path": str(german_skops), "trusted": True})
    with pytest.raises(InvalidParameterError, match="needs a 'path'"):
        load_adapter({"kind": "sklearn"})
    with pytest.raises(InvalidParameterError, match="'trust' parameter"):
        load_adapter({"kind": "sklearn", "path": str(german_skops), "trust": "yes"})
    with pytest.raises(InvalidParameterError, match="exactly one"):
        SklearnAdapter()


def test_generate_is_unsupported(german_skops: Path) -> None:
    adapter = load_adapter({"kind": "sklearn", "path": str(german_skops)})
    with pytest.raises(InvalidParameterError, match="does not support generate"):
        run_adapter(adapter, "generate", ["x"])
