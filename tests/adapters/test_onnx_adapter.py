"""ONNX adapter: the skl2onnx export of the German credit model matches the original."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from equilens.adapters import load_adapter, predict_frame, run_adapter
from equilens.exceptions import InvalidInputError, InvalidParameterError

pytest.importorskip("onnxruntime", reason="the onnx extra (onnxruntime) is not installed")
skl2onnx = pytest.importorskip("skl2onnx", reason="skl2onnx (a dev dependency) is not installed")
data_types = pytest.importorskip("skl2onnx.common.data_types")


def _export(
    pipeline: Any, features: list[str], german: pd.DataFrame, path: Path, zipmap: bool
) -> Path:
    types = [
        (c, data_types.StringTensorType([None, 1]))
        if german[c].dtype == object
        else (c, data_types.FloatTensorType([None, 1]))
        for c in features
    ]
    clf = pipeline.steps[-1][1]
    onx = skl2onnx.convert_sklearn(
        pipeline, initial_types=types, options={id(clf): {"zipmap": zipmap}}, target_opset=18
    )
    path.write_bytes(onx.SerializeToString())
    return path


@pytest.fixture(scope="module")
def german_onnx(
    german_pipeline: Any,
    german_features: list[str],
    german: pd.DataFrame,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    path = tmp_path_factory.mktemp("onnx") / "german.onnx"
    return _export(german_pipeline, german_features, german, path, zipmap=False)


def test_onnx_export_matches_sklearn_within_1e6(
    german: pd.DataFrame, german_pipeline: Any, german_features: list[str], german_onnx: Path
) -> None:
    adapter = load_adapter({"kind": "onnx", "path": str(german_onnx)})
    run = predict_frame(adapter, german)
    X = german[german_features]
    assert run.frame["y_pred"].tolist() == german_pipeline.predict(X).tolist()
    expected = german_pipeline.predict_proba(X)[:, 1]
    np.testing.assert_allclose(run.frame["y_score"], expected, rtol=0, atol=1e-6)
    desc = adapter.describe()
    assert desc["settings"]["classes"] == ["bad", "good"]
    assert desc["settings"]["positive_label"] == "good"
    assert desc["sha256"] == hashlib.sha256(german_onnx.read_bytes()).hexdigest()
    assert {"onnxruntime", "onnx"} <= set(desc["libraries"])


def test_zipmap_export_and_positive_label(
    german: pd.DataFrame,
    german_pipeline: Any,
    german_features: list[str],
    tmp_path: Path,
) -> None:
    path = _export(german_pipeline, german_features, german, tmp_path / "z.onnx", zipmap=True)
    adapter = load_adapter({"kind": "onnx", "path": str(path), "positive_label": "bad"})
    scores = run_adapter(adapter, "predict_proba", german.head(100)).outputs
    expected = german_pipeline.predict_proba(german.head(100)[german_features])[:, 0]
    np.testing.assert_allclose(scores, expected, rtol=0, atol=1e-6)


def test_single_matrix_input(tmp_path: Path) -> None:
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    X, y = make_classification(300, 6, random_state=0)
    X = X.astype(np.float32)
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    onx = skl2onnx.to_onnx(model, X[:1], options={id(model): {"zipmap": False}}, target_opset=18)
    path = tmp_path / "rf.onnx"
    path.write_bytes(onx.SerializeToString())
    adapter = load_adapter({"kind": "onnx", "path": str(path)})
    result = run_adapter(adapter, "predict_proba", X)
    np.testing.assert_allclose(result.outputs, model.predict_proba(X)[:, 1], atol=1e-6)
    assert run_adapter(adapter, "predict", X).outputs == model.predict(X).tolist()


def test_missing_and_invalid_files(tmp_path: Path) -> None:
    missing = tmp_path / "nope.onnx"
    with pytest.raises(InvalidInputError, match=f"Model file '{missing}' does not exist"):
        load_adapter({"kind": "onnx", "path": str(missing)})
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"definitely not protobuf")
    with pytest.raises(InvalidInputError, match=f"Model file '{junk}' is not a valid ONNX model"):
        load_adapter({"kind": "onnx", "path": str(junk)})


def test_missing_columns_and_bad_options(german: pd.DataFrame, german_onnx: Path) -> None:
    adapter = load_adapter({"kind": "onnx", "path": str(german_onnx)})
    with pytest.raises(InvalidInputError, match=r"Found no column\(s\) \['duration'\]"):
        run_adapter(adapter, "predict", german.drop(columns="duration"))
    with pytest.raises(InvalidParameterError, match="one of the model's classes"):
        load_adapter({"kind": "onnx", "path": str(german_onnx), "positive_label": "ok"})
    with pytest.raises(InvalidParameterError, match="one of the model's outputs"):
        load_adapter({"kind": "onnx", "path": str(german_onnx), "proba_output": "p"})
