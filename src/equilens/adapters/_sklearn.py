"""scikit-learn estimators, in memory or from a file.

Files in the skops format (``.skops``) are loaded with ``skops.io.load``, which refuses types
that are not trusted: list them under ``trust`` after reviewing them. joblib and pickle files
(``.joblib``, ``.pkl``, ``.pickle``) run arbitrary code when loaded, so they need an explicit
``trust: true`` and emit a :class:`PickleLoadWarning`.
"""

from __future__ import annotations

import hashlib
import pickle
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from equilens.adapters._base import (
    BaseAdapter,
    InputKind,
    PickleLoadWarning,
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

__all__ = ["SklearnAdapter"]

_PICKLE_SUFFIXES = {".joblib", ".jbl", ".pkl", ".pickle"}
_SPEC_KEYS = {"path", "trust", "features", "positive_label"}


def _load_skops(path: Path, trust: bool | Sequence[str]) -> Any:
    sio = lazy_import("skops.io", adapter="sklearn", extra="sklearn")
    if not zipfile.is_zipfile(path):
        raise InvalidInputError(f"Model file '{path}' is not a skops file (not a zip archive).")
    try:
        untrusted = list(sio.get_untrusted_types(file=path))
    except Exception as exc:
        raise InvalidInputError(
            f"Model file '{path}' is not a valid skops file: {one_line(exc)}"
        ) from None
    allowed = untrusted if trust is True else [t for t in untrusted if t in set(trust or ())]
    refused = [t for t in untrusted if t not in allowed]
    if refused:
        raise InvalidInputError(
            f"Model file '{path}' contains types that are not trusted: {', '.join(refused)}. "
            "Review them, and list those you trust under 'trust' in the model spec."
        )
    try:
        return sio.load(path, trusted=allowed)
    except Exception as exc:
        raise InvalidInputError(
            f"Model file '{path}' could not be loaded by skops: {one_line(exc)}"
        ) from None


def _load_pickle(path: Path, trust: bool | Sequence[str]) -> Any:
    if trust is not True:
        raise InvalidInputError(
            f"Model file '{path}' is a pickle, and loading a pickle runs arbitrary code. Save "
            "the model with skops (skops.io.dump), or set 'trust: true' in the model spec if "
            "you trust where the file came from."
        )
    warnings.warn(
        f"Loading the pickle '{path}' (trust: true): a pickle can run arbitrary code.",
        PickleLoadWarning,
        stacklevel=4,
    )
    joblib = lazy_import("joblib", adapter="sklearn", extra="sklearn")
    try:
        return joblib.load(path)
    except Exception as exc:
        raise InvalidInputError(
            f"Model file '{path}' could not be loaded as a pickle: {one_line(exc)}"
        ) from None


class SklearnAdapter(BaseAdapter):
    """A fitted scikit-learn estimator (or anything with ``predict`` / ``predict_proba``).

    Parameters
    ----------
    estimator:
        A fitted estimator in memory (or give ``path``).
    path:
        A ``.skops`` file, or a ``.joblib`` / ``.pkl`` file with ``trust=True``.
    trust:
        For skops: the list of types to trust beyond skops' defaults (or True for all that
        the file holds). For pickles: must be True.
    features:
        The columns the model reads; default: the columns it was fitted on
        (``feature_names_in_``), else every column of the data.
    positive_label:
        The class whose probability is the score; default: the last of ``classes_`` (for
        binary models, the one scikit-learn treats as positive).
    """

    kind: str = "sklearn"
    spec_keys = frozenset(_SPEC_KEYS)
    input_kind: InputKind = "table"
    default_batch_size: int = 4096

    def __init__(
        self,
        estimator: Any = None,
        *,
        path: str | Path | None = None,
        trust: bool | Sequence[str] = (),
        features: Sequence[str] | None = None,
        positive_label: Any = None,
    ) -> None:
        if (estimator is None) == (path is None):
            raise InvalidParameterError(
                "The sklearn model adapter needs exactly one of 'estimator' (in memory) or "
                "'path' (a model file)."
            )
        if not (isinstance(trust, bool) or _is_str_list(trust)):
            raise InvalidParameterError(
                "The 'trust' parameter of the sklearn model adapter must be a bool or a list of "
                f"type names. Got {trust!r} instead."
            )
        if features is not None and not _is_str_list(features):
            raise InvalidParameterError(
                "The 'features' parameter of the sklearn model adapter must be a list of column "
                f"names. Got {features!r} instead."
            )
        self.path = None if path is None else Path(path)
        self._format = "memory"
        if self.path is not None:
            estimator = self._load(self.path, trust)
        if not callable(getattr(estimator, "predict", None)):
            where = f"Model file '{self.path}'" if self.path else "The estimator"
            raise InvalidInputError(
                f"{where} does not hold a model: {type(estimator).__name__} has no predict()."
            )
        self.estimator = estimator
        self._fitted_names = _fitted_features(estimator)
        self.features = list(features) if features is not None else self._fitted_names
        caps: set[Task] = {"predict"}
        classes = getattr(estimator, "classes_", None)
        self.classes = None if classes is None else list(np.asarray(classes).tolist())
        self.positive_label = positive_label
        self._pos_index = -1
        if callable(getattr(estimator, "predict_proba", None)) and self.classes is not None:
            caps.add("predict_proba")
            if positive_label is not None:
                if positive_label not in self.classes:
                    raise InvalidParameterError(
                        "The 'positive_label' parameter of the sklearn model adapter must be "
                        f"one of the model's classes {self.classes}. Got {positive_label!r} "
                        "instead."
                    )
                self._pos_index = self.classes.index(positive_label)
            else:
                self.positive_label = self.classes[-1]
                self._pos_index = len(self.classes) - 1
        self.capabilities = frozenset(caps)
        self._digest: str | None = None

    def _load(self, path: Path, trust: bool | Sequence[str]) -> Any:
        if not path.exists():
            raise InvalidInputError(f"Model file '{path}' does not exist.")
        if not path.is_file():
            raise InvalidInputError(f"Model file '{path}' is not a file.")
        suffix = path.suffix.lower()
        if suffix == ".skops":
            self._format = "skops"
            return _load_skops(path, trust)
        if suffix in _PICKLE_SUFFIXES:
            self._format = "pickle"
            return _load_pickle(path, trust)
        raise InvalidInputError(
            f"Model file '{path}' has an unknown format '{suffix or '(none)'}'; expected .skops, "
            "or .joblib / .pkl with trust: true."
        )

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], *, base_dir: Path | None) -> SklearnAdapter:
        """Build from ``{"path": ..., "trust": ..., "features": ..., "positive_label": ...}``."""
        check_keys("sklearn model spec", spec, _SPEC_KEYS)
        if "path" not in spec:
            raise InvalidParameterError("The sklearn model spec needs a 'path' (a model file).")
        options = dict(spec)
        path = resolve_path(options.pop("path"), name="path", base_dir=base_dir, adapter=cls.kind)
        return cls(path=path, **options)

    def prepare_inputs(self, data: Any) -> pd.DataFrame:
        """The model's feature columns, in the order it was fitted on."""
        return feature_table(data, self.features, adapter=self.kind, reader="the model")

    def _frame(self, inputs: Any) -> Any:
        # A model fitted on an array (no feature names) warns when given a DataFrame.
        if isinstance(inputs, pd.DataFrame) and self._fitted_names is None:
            return inputs.to_numpy()
        return inputs

    def predict(self, inputs: Any) -> Sequence[Any]:
        """``estimator.predict`` on a batch."""
        return list(np.asarray(self.estimator.predict(self._frame(inputs))).tolist())

    def predict_proba(self, inputs: Any) -> Sequence[float]:
        """The positive class's column of ``estimator.predict_proba``."""
        if "predict_proba" not in self.capabilities:
            raise self._unsupported("predict_proba")
        proba = np.asarray(self.estimator.predict_proba(self._frame(inputs)))
        return list(proba[:, self._pos_index].astype(np.float64).tolist())

    def _source(self) -> dict[str, Any]:
        if self.path is not None:
            return {"path": str(self.path), "format": self._format}
        return {"object": f"{type(self.estimator).__module__}.{type(self.estimator).__name__}"}

    def _sha256(self) -> str | None:
        if self._digest is None:
            if self.path is not None:
                self._digest = file_sha256(self.path)
            else:
                try:
                    blob = pickle.dumps(self.estimator, protocol=5)
                except Exception:  # unpicklable: identify by object, so never share a cache
                    blob = f"{type(self.estimator)!r}:{id(self.estimator)}".encode()
                    self.cacheable = False
                self._digest = hashlib.sha256(blob).hexdigest()
        return self._digest

    def _libraries(self) -> dict[str, str]:
        names = ["scikit-learn", "numpy"]
        if self._format == "skops":
            names.append("skops")
        if self._format == "pickle":
            names.append("joblib")
        return library_versions(*names)

    def _settings(self) -> dict[str, Any]:
        out: dict[str, Any] = {"estimator": type(self.estimator).__name__}
        out["features"] = self.features
        if self.classes is not None:
            out["classes"] = [_jsonable(c) for c in self.classes]
        if "predict_proba" in self.capabilities:
            out["positive_label"] = _jsonable(self.positive_label)
        return out


def _is_str_list(value: object) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)


def _fitted_features(estimator: Any) -> list[str] | None:
    names = getattr(estimator, "feature_names_in_", None)
    return None if names is None else [str(n) for n in names]


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value
