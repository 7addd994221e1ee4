"""ONNX models run by onnxruntime (CPU), e.g. scikit-learn pipelines exported by skl2onnx.

Inputs: a model with one 2-D input gets the feature columns as one matrix; a model with one
input per column (skl2onnx's usual export of a pipeline with a ColumnTransformer) gets each
column as an ``[n, 1]`` tensor of the input's type. Outputs: the label output (``label``,
``output_label``) and the probabilities (a ``[n, classes]`` tensor or skl2onnx's ZipMap
list of dicts). Class names come from the ZipMap keys or from the classifier node's
``classlabels_*`` attribute (read with the ``onnx`` package when it is installed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from equilens.adapters._base import (
    BaseAdapter,
    Task,
    check_keys,
    file_sha256,
    lazy_import,
    library_versions,
    one_line,
    resolve_path,
)
from equilens.adapters._inputs import feature_table
from equilens.exceptions import InvalidInputError, InvalidParameterError

__all__ = ["OnnxAdapter"]

_SPEC_KEYS = {"path", "features", "positive_label", "label_output", "proba_output", "threads"}
_DTYPES = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(bool)": np.bool_,
    "tensor(string)": np.str_,
}


def _class_labels(path: Path) -> list[Any] | None:
    """``classlabels_strings`` / ``classlabels_int64s`` of the model's classifier node."""
    try:
        onnx = lazy_import("onnx", adapter="onnx", extra="onnx")
    except InvalidInputError:
        return None
    model = onnx.load(str(path), load_external_data=False)
    for node in model.graph.node:
        for attr in node.attribute:
            if attr.name == "classlabels_strings" and len(attr.strings):
                return [s.decode() for s in attr.strings]
            if attr.name in ("classlabels_int64s", "classlabels_ints") and len(attr.ints):
                return [int(v) for v in attr.ints]
    return None


class OnnxAdapter(BaseAdapter):
    """An ONNX classifier (or regressor) run by onnxruntime.

    Parameters
    ----------
    path:
        The ``.onnx`` file.
    features:
        Columns in the order of the model's single matrix input; default: the model's input
        names when it has one input per column, else every column of the data.
    positive_label:
        The class whose probability is the score (default: the last class).
    label_output, proba_output:
        Output names, when they cannot be recognised.
    threads:
        onnxruntime intra-op threads (default: onnxruntime's choice).
    """

    kind = "onnx"
    spec_keys = frozenset(_SPEC_KEYS)
    input_kind = "table"
    default_batch_size = 4096

    def __init__(
        self,
        path: str | Path,
        *,
        features: Sequence[str] | None = None,
        positive_label: Any = None,
        label_output: str | None = None,
        proba_output: str | None = None,
        threads: int | None = None,
    ) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise InvalidInputError(f"Model file '{self.path}' does not exist.")
        if not self.path.is_file():
            raise InvalidInputError(f"Model file '{self.path}' is not a file.")
        ort = lazy_import("onnxruntime", adapter="onnx", extra="onnx")
        options = ort.SessionOptions()
        if threads is not None:
            if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
                raise InvalidParameterError(
                    "The 'threads' parameter of the onnx model adapter must be an int in the "
                    f"range [1, inf). Got {threads!r} instead."
                )
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(
                str(self.path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:
            raise InvalidInputError(
                f"Model file '{self.path}' is not a valid ONNX model: {one_line(exc)}"
            ) from None
        self._inputs = [(i.name, i.type, list(i.shape)) for i in self.session.get_inputs()]
        outputs = [(o.name, o.type, list(o.shape)) for o in self.session.get_outputs()]
        single = len(self._inputs) == 1
        self._matrix = single and (
            _width(self._inputs[0][2]) != 1
            or (features is not None and list(features) != [self._inputs[0][0]])
        )
        for name, type_, _ in self._inputs:
            if type_ not in _DTYPES:
                raise InvalidInputError(
                    f"Model file '{self.path}' has an input '{name}' of type {type_}, which the "
                    "onnx adapter cannot feed from a table."
                )
        if features is not None:
            self.features: list[str] | None = list(features)
        elif self._matrix:
            self.features = None
        else:
            self.features = [name for name, _, _ in self._inputs]
        names = [o[0] for o in outputs]
        self.label_output = label_output or _pick(names, ("label", "output_label"), 0)
        proba_default = _pick(names, ("probabilities", "output_probability", "probability"), 1)
        self.proba_output = proba_output or proba_default
        for given, what in ((label_output, "label_output"), (proba_output, "proba_output")):
            if given is not None and given not in names:
                raise InvalidParameterError(
                    f"The '{what}' parameter of the onnx model adapter must be one of the "
                    f"model's outputs {names}. Got {given!r} instead."
                )
        caps: set[Task] = set()
        if self.label_output is not None:
            caps.add("predict")
        self.classes: list[Any] | None = None
        self.positive_label = positive_label
        self._pos: int | Any = -1
        if self.proba_output is not None:
            caps.add("predict_proba")
            self.classes = _class_labels(self.path)
            if positive_label is not None:
                if self.classes is not None and positive_label not in self.classes:
                    raise InvalidParameterError(
                        "The 'positive_label' parameter of the onnx model adapter must be one "
                        f"of the model's classes {self.classes}. Got {positive_label!r} instead."
                    )
                self._pos = self.classes.index(positive_label) if self.classes is not None else None
            elif self.classes is not None:
                self.positive_label = self.classes[-1]
        self.capabilities = frozenset(caps)
        self._positive_key = positive_label

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], *, base_dir: Path | None) -> OnnxAdapter:
        """Build from ``{"path": "model.onnx", ...}``."""
        check_keys("onnx model spec", spec, _SPEC_KEYS)
        if "path" not in spec:
            raise InvalidParameterError("The onnx model spec needs a 'path' (a .onnx file).")
        options = dict(spec)
        path = resolve_path(options.pop("path"), name="path", base_dir=base_dir, adapter=cls.kind)
        return cls(path, **options)

    def prepare_inputs(self, data: Any) -> pd.DataFrame:
        """The feature columns the model reads."""
        return feature_table(data, self.features, adapter=self.kind, reader="the ONNX model")

    def _feeds(self, inputs: pd.DataFrame) -> dict[str, Any]:
        if self._matrix:
            name, type_, _ = self._inputs[0]
            return {name: inputs.to_numpy().astype(_DTYPES[type_])}
        feeds = {}
        for name, type_, _ in self._inputs:
            col = inputs[name].to_numpy().reshape(-1, 1)
            feeds[name] = (
                col.astype(str) if type_ == "tensor(string)" else col.astype(_DTYPES[type_])
            )
        return feeds

    def _run(self, inputs: pd.DataFrame, output: str) -> Any:
        (result,) = self.session.run([output], self._feeds(inputs))
        return result

    def predict(self, inputs: Any) -> Sequence[Any]:
        """The label output."""
        if self.label_output is None:
            raise self._unsupported("predict")
        return list(np.asarray(self._run(inputs, self.label_output)).ravel().tolist())

    def predict_proba(self, inputs: Any) -> Sequence[float]:
        """The positive class's probability."""
        if self.proba_output is None:
            raise self._unsupported("predict_proba")
        raw = self._run(inputs, self.proba_output)
        if isinstance(raw, list):  # ZipMap: one {class: probability} dict per row
            key = self.positive_label if self.positive_label is not None else sorted(raw[0])[-1]
            return [float(row[key]) for row in raw]
        proba = np.asarray(raw, dtype=np.float64)
        if proba.ndim == 1:
            return list(proba.tolist())
        if self._pos is None:
            raise InvalidParameterError(
                "The onnx model adapter cannot tell which probability column is "
                f"{self._positive_key!r}: install the 'onnx' package to read the class labels."
            )
        return list(proba[:, self._pos].tolist())

    def _source(self) -> dict[str, Any]:
        return {"path": str(self.path)}

    def _sha256(self) -> str | None:
        return file_sha256(self.path)

    def _libraries(self) -> dict[str, str]:
        return library_versions("onnxruntime", "onnx", "numpy")

    def _settings(self) -> dict[str, Any]:
        return {
            "features": self.features,
            "inputs": [{"name": n, "type": t} for n, t, _ in self._inputs],
            "label_output": self.label_output,
            "proba_output": self.proba_output,
            "classes": self.classes,
            "positive_label": self.positive_label,
        }


def _width(shape: list[Any]) -> int | None:
    return shape[1] if len(shape) == 2 and isinstance(shape[1], int) else None


def _pick(names: list[str], preferred: tuple[str, ...], position: int) -> str | None:
    for name in preferred:
        if name in names:
            return name
    return names[position] if len(names) > position else None
