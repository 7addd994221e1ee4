"""Plain Python functions as models: ``"module:function"``, ``"path/file.py:function"``.

A function receives a batch (a DataFrame of the feature columns, or a list of texts) and
returns one output per row; with ``batched: false`` it receives one row (a dict, or a str) and
returns one output. A ``generate`` function may take the :class:`GenerationSettings` as a
second argument.

Loading a function imports its module, which runs that module's code: name only code you
trust in a spec. The cache identifies a function by its name and the hash of its source file
(or its source text for functions defined in memory); bump ``version`` when its behaviour
depends on something else (a threshold in a closure, a file it reads).
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from equilens.adapters._base import (
    TASKS,
    BaseAdapter,
    GenerationSettings,
    InputKind,
    PartialBatchError,
    Task,
    check_keys,
    file_sha256,
    one_line,
    resolve_path,
)
from equilens.adapters._inputs import as_texts, feature_table
from equilens.exceptions import InvalidInputError, InvalidParameterError

__all__ = ["CallableAdapter", "resolve_callable"]

_SPEC_KEYS = {
    "predict",
    "predict_proba",
    "generate",
    "input_type",
    "features",
    "text_column",
    "batched",
    "version",
    "generation",
}


def _import_file(path: Path) -> Any:
    # Named by path and content: an edited file is imported afresh, an unchanged one once.
    key = f"{path.resolve()}\0{file_sha256(path)}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    name = f"_equilens_callable_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise InvalidInputError(f"Python file '{path}' cannot be imported.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise InvalidInputError(f"Importing '{path}' failed: {one_line(exc)}") from None
    return module


def _import_module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
            raise InvalidInputError(
                f"Module '{name}' (of a callable model) cannot be found; is it installed, or on "
                "the Python path?"
            ) from None
        raise InvalidInputError(f"Importing module '{name}' failed: {one_line(exc)}") from None
    except Exception as exc:
        raise InvalidInputError(f"Importing module '{name}' failed: {one_line(exc)}") from None


def resolve_callable(target: str, *, base_dir: Path | None = None) -> Callable[..., Any]:
    """The function named by ``"package.module:function"`` or ``"path/file.py:function"``.

    Raises
    ------
    InvalidInputError
        If the module or file cannot be imported, or the attribute is missing or not callable.
    """
    if not isinstance(target, str) or ":" not in target:
        raise InvalidParameterError(
            "A callable model must be given as 'module:function' or 'path/file.py:function'. "
            f"Got {target!r} instead."
        )
    module_part, _, attr = target.rpartition(":")
    if module_part.endswith(".py") or "/" in module_part or "\\" in module_part:
        path = resolve_path(module_part, name="callable", base_dir=base_dir, adapter="callable")
        if not path.is_file():
            raise InvalidInputError(f"Python file '{path}' (of a callable model) does not exist.")
        obj: Any = _import_file(path)
    else:
        obj = _import_module(module_part)
    for part in attr.split("."):
        if not hasattr(obj, part):
            names = [n for n in dir(obj) if not n.startswith("_")]
            close = difflib.get_close_matches(part, names, n=3, cutoff=0.5)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise InvalidInputError(f"'{module_part}' has no attribute '{part}'.{hint}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise InvalidInputError(f"'{target}' is a {type(obj).__name__}, not a function.")
    fn: Callable[..., Any] = obj
    return fn


def _identity(fn: Callable[..., Any], target: str | None) -> dict[str, Any]:
    """Name and source hash of a function (None where no source can be found)."""
    name = target or f"{getattr(fn, '__module__', '?')}:{getattr(fn, '__qualname__', repr(fn))}"
    out: dict[str, Any] = {"name": name, "source_sha256": None}
    try:
        source_file = inspect.getsourcefile(fn)
    except TypeError:
        source_file = None
    if target is not None and source_file and Path(source_file).is_file():
        out["source_sha256"] = file_sha256(Path(source_file))
    else:
        try:
            out["source_sha256"] = hashlib.sha256(inspect.getsource(fn).encode()).hexdigest()
        except (OSError, TypeError):
            out["source_sha256"] = None
    return out


def _takes_settings(fn: Callable[..., Any]) -> bool:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    positional = [
        p
        for p in params
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    return len(positional) >= 2 or any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params)


class CallableAdapter(BaseAdapter):
    """Python functions as a model: one for each task the model supports.

    Parameters
    ----------
    predict, predict_proba, generate:
        Functions, or ``"module:function"`` / ``"path/file.py:function"`` strings. At least
        one is required.
    input_type:
        ``table`` (the functions get a DataFrame) or ``text`` (a list of str).
    features:
        For tables: the columns passed to the functions (default: all).
    text_column:
        For texts read from a table: the column holding them.
    batched:
        False to call the functions once per row (with a dict or a str).
    version:
        Any string; part of the cache key (change it to invalidate cached outputs).
    settings:
        Default generation settings.
    base_dir:
        Folder that relative file paths are relative to.
    """

    kind = "callable"
    spec_keys = frozenset(_SPEC_KEYS)
    default_batch_size = 1024

    def __init__(
        self,
        *,
        predict: Callable[..., Any] | str | None = None,
        predict_proba: Callable[..., Any] | str | None = None,
        generate: Callable[..., Any] | str | None = None,
        input_type: InputKind = "table",
        features: Sequence[str] | None = None,
        text_column: str = "text",
        batched: bool = True,
        version: str | None = None,
        settings: GenerationSettings | Mapping[str, Any] | None = None,
        base_dir: Path | None = None,
    ) -> None:
        given = {"predict": predict, "predict_proba": predict_proba, "generate": generate}
        if all(v is None for v in given.values()):
            raise InvalidParameterError(
                "The callable model adapter needs at least one of 'predict', 'predict_proba' "
                "or 'generate'."
            )
        if input_type not in ("table", "text"):
            raise InvalidParameterError(
                "The 'input_type' parameter of the callable model adapter must be a str among "
                f"{{'table', 'text'}}. Got {input_type!r} instead."
            )
        if not isinstance(batched, bool):
            raise InvalidParameterError(
                "The 'batched' parameter of the callable model adapter must be a bool. "
                f"Got {batched!r} instead."
            )
        if features is not None and not (
            isinstance(features, list | tuple) and all(isinstance(f, str) for f in features)
        ):
            raise InvalidParameterError(
                "The 'features' parameter of the callable model adapter must be a list of "
                f"column names. Got {features!r} instead."
            )
        self.input_kind = input_type
        self.features = None if features is None else list(features)
        self.text_column = text_column
        self.batched = batched
        self.version = version
        self.settings = GenerationSettings.from_mapping(settings)
        self._fns: dict[Task, Callable[..., Any]] = {}
        self._identity: dict[str, Any] = {}
        for task, value in given.items():
            if value is None:
                continue
            if isinstance(value, str):
                fn = resolve_callable(value, base_dir=base_dir)
                ident = _identity(fn, value)
            elif callable(value):
                fn = value
                ident = _identity(fn, None)
            else:
                raise InvalidParameterError(
                    f"The '{task}' parameter of the callable model adapter must be a function "
                    f"or a 'module:function' str. Got {value!r} instead."
                )
            self._fns[task] = fn  # type: ignore[index]
            self._identity[task] = ident
            if ident["source_sha256"] is None and version is None:
                self.cacheable = False  # no way to tell when the function changes
        self._gen_takes_settings = "generate" in self._fns and _takes_settings(
            self._fns["generate"]
        )
        self.capabilities = frozenset(self._fns)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], *, base_dir: Path | None) -> CallableAdapter:
        """Build from ``{"predict": "module:function", "input_type": "table", ...}``."""
        check_keys("callable model spec", spec, _SPEC_KEYS)
        options = dict(spec)
        settings = options.pop("generation", None)
        return cls(**options, settings=settings, base_dir=base_dir)

    def prepare_inputs(self, data: Any) -> pd.DataFrame | list[str]:
        """A DataFrame of the feature columns, or the list of texts."""
        if self.input_kind == "text":
            return as_texts(data, column=self.text_column, adapter=self.kind)
        return feature_table(data, self.features, adapter=self.kind, reader="the callable model")

    def _call(self, task: Task, inputs: Any, *extra: Any) -> Sequence[Any]:
        if task not in self._fns:
            raise self._unsupported(task)
        fn = self._fns[task]
        if self.batched:
            out = fn(inputs, *extra)
            if isinstance(out, str) or not hasattr(out, "__len__"):
                raise TypeError(
                    f"the {task} function returned a {type(out).__name__}, not one output per row"
                )
            return list(out)
        rows: list[Any] = (
            inputs.to_dict(orient="records") if isinstance(inputs, pd.DataFrame) else list(inputs)
        )
        outputs: list[Any] = [None] * len(rows)
        errors: dict[int, BaseException] = {}
        for j, row in enumerate(rows):
            try:
                outputs[j] = fn(row, *extra)
            except Exception as exc:
                errors[j] = exc
        if errors:
            raise PartialBatchError(outputs, errors)
        return outputs

    def predict(self, inputs: Any) -> Sequence[Any]:
        """The ``predict`` function on a batch."""
        return self._call("predict", inputs)

    def predict_proba(self, inputs: Any) -> Sequence[float]:
        """The ``predict_proba`` function on a batch."""
        return self._call("predict_proba", inputs)

    def generate(
        self, prompts: Sequence[str], settings: GenerationSettings | None = None
    ) -> Sequence[str]:
        """The ``generate`` function on a batch of prompts."""
        extra = (settings or self.settings,) if self._gen_takes_settings else ()
        return self._call("generate", list(prompts), *extra)

    def _source(self) -> dict[str, Any]:
        return {t: self._identity[t]["name"] for t in TASKS if t in self._identity}

    def _settings(self) -> dict[str, Any]:
        return {
            "input_type": self.input_kind,
            "features": self.features,
            "text_column": self.text_column if self.input_kind == "text" else None,
            "batched": self.batched,
            "version": self.version,
            "source_sha256": {
                t: self._identity[t]["source_sha256"] for t in TASKS if t in self._identity
            },
        }
