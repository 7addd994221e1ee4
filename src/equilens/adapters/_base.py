"""The model adapter protocol, the description every adapter records, and shared helpers.

An adapter turns rows (a table) or texts into model outputs, in batches:

- ``predict(inputs)``: one label per row;
- ``predict_proba(inputs)``: one probability-like score of the positive class per row;
- ``generate(prompts, settings)``: one generated text per prompt.

Each adapter declares the tasks it supports in ``capabilities`` and whether it reads a table or
texts in ``input_kind``. Heavy libraries (torch, transformers, onnxruntime, spaCy) are imported
with :func:`lazy_import`, only when an adapter that needs them is used.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import math
import os
import platform
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from equilens._checks import check_int
from equilens._redact import redact
from equilens._version import __version__
from equilens.exceptions import InvalidInputError, InvalidParameterError

__all__ = [
    "TASKS",
    "AdapterCallError",
    "AdapterSpec",
    "BaseAdapter",
    "GenerationSettings",
    "InputKind",
    "MissingDependencyError",
    "ModelAdapter",
    "ModelOutputError",
    "PartialBatchError",
    "PickleLoadWarning",
    "Task",
    "UnsupportedTaskError",
    "check_keys",
    "directory_sha256",
    "file_sha256",
    "lazy_import",
    "library_versions",
    "one_line",
    "resolve_path",
]

Task = Literal["predict", "predict_proba", "generate"]
InputKind = Literal["table", "text"]
TASKS: tuple[Task, ...] = ("predict", "predict_proba", "generate")


# --- errors and warnings ------------------------------------------------------------------------


class MissingDependencyError(InvalidInputError):
    """An adapter needs an optional library that is not installed. The message says how."""


class UnsupportedTaskError(InvalidParameterError):
    """An adapter was asked for a task it does not support (e.g. ``generate`` of a classifier)."""


class AdapterCallError(InvalidInputError):
    """A model or endpoint failed in a way that retrying the row will not fix.

    ``fatal`` errors (an endpoint that rejects the credentials, a model name the endpoint does
    not know) stop a run: every later row would fail the same way. Others fail one row.
    """

    def __init__(self, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.fatal = fatal


class PartialBatchError(Exception):
    """Raised by an adapter whose batch succeeded for some rows and failed for others.

    The runner keeps ``outputs[i]`` for the rows not in ``errors`` and records the errors,
    without calling the model again for the batch.
    """

    def __init__(self, outputs: Sequence[Any], errors: Mapping[int, BaseException]) -> None:
        super().__init__(f"{len(errors)} of {len(outputs)} rows failed")
        self.outputs = list(outputs)
        self.errors = dict(errors)


class ModelOutputError(InvalidInputError):
    """Some rows failed in a run. ``run`` holds what was computed (it is also in the cache)."""

    def __init__(self, message: str, run: Any = None) -> None:
        super().__init__(message)
        self.run = run


class PickleLoadWarning(UserWarning):
    """A model is being loaded from a pickle (joblib / pickle), which can run arbitrary code."""


# --- settings and description ------------------------------------------------------------------


_SETTINGS = "GenerationSettings"


@dataclass(frozen=True)
class GenerationSettings:
    """Settings of text generation, recorded in the log and part of the cache key.

    Attributes
    ----------
    max_new_tokens:
        Most tokens generated per prompt.
    temperature:
        0 means greedy decoding (deterministic); above 0, sampling seeded with ``seed``.
    top_p:
        Nucleus sampling mass (used only when sampling).
    seed:
        Seed of the sampler; each prompt is generated from a generator seeded with it, so a
        prompt's output does not depend on the other prompts of its batch.
    stop:
        Generation is cut at the first occurrence of any of these strings.
    system_prompt:
        For chat models: a system message sent before each prompt.
    """

    max_new_tokens: int = 64
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0
    stop: tuple[str, ...] = ()
    system_prompt: str | None = None

    def __post_init__(self) -> None:
        for name in ("max_new_tokens", "seed"):
            low = 1 if name == "max_new_tokens" else 0
            object.__setattr__(self, name, check_int(name, getattr(self, name), low, _SETTINGS))
        for name, value, high in (
            ("temperature", self.temperature, 100.0),
            ("top_p", self.top_p, 1.0),
        ):
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok or not math.isfinite(float(value)) or not 0.0 <= float(value) <= high:
                raise InvalidParameterError(
                    f"The '{name}' parameter of GenerationSettings must be a float in the range "
                    f"[0, {high:g}]. Got {value!r} instead."
                )
        if not isinstance(self.stop, tuple) or not all(isinstance(s, str) and s for s in self.stop):
            raise InvalidParameterError(
                "The 'stop' parameter of GenerationSettings must be a tuple of non-empty str. "
                f"Got {self.stop!r} instead."
            )
        if self.system_prompt is not None and not isinstance(self.system_prompt, str):
            raise InvalidParameterError(
                "The 'system_prompt' parameter of GenerationSettings must be a str or None. "
                f"Got {self.system_prompt!r} instead."
            )

    @property
    def greedy(self) -> bool:
        """Whether decoding is greedy (temperature 0): the same prompt gives the same text."""
        return float(self.temperature) == 0.0

    @classmethod
    def from_mapping(
        cls, values: GenerationSettings | Mapping[str, Any] | None
    ) -> GenerationSettings:
        """Build settings from a spec's ``generation:`` mapping (unknown keys are an error)."""
        if values is None:
            return cls()
        if isinstance(values, GenerationSettings):
            return values
        if not isinstance(values, Mapping):
            raise InvalidParameterError(
                "The 'generation' parameter of load_adapter must be a mapping. "
                f"Got {values!r} instead."
            )
        allowed = {f for f in cls.__dataclass_fields__}
        check_keys("generation settings", values, allowed)
        kwargs = dict(values)
        if "stop" in kwargs:
            stop = kwargs["stop"]
            kwargs["stop"] = (stop,) if isinstance(stop, str) else tuple(stop)
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict of the settings."""
        out = asdict(self)
        out["stop"] = list(self.stop)
        out["temperature"] = float(self.temperature)
        out["top_p"] = float(self.top_p)
        return out


@dataclass(frozen=True)
class AdapterSpec:
    """What an adapter was: written to the audit log so a run can be traced and repeated.

    Attributes
    ----------
    kind:
        The registry name of the adapter (``sklearn``, ``onnx``, ``openai``, ...).
    source:
        Where the model came from: ``{"path": ...}``, ``{"endpoint": ..., "model": ...}`` or
        ``{"object": ...}``. Never holds a secret: URLs lose credentials and secret-looking
        query values.
    sha256:
        Content hash of the model file (or of every file of a model directory); None for an
        endpoint or a column.
    libraries:
        Versions of the libraries that ran the model (and of Python and equilens).
    settings:
        Settings that change outputs (generation settings, positive label, features, ...).
    capabilities:
        The tasks the adapter supports.
    """

    kind: str
    source: dict[str, Any]
    sha256: str | None
    libraries: dict[str, str]
    settings: dict[str, Any] = field(default_factory=dict)
    capabilities: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (the ``model`` entry of an audit log)."""
        return {
            "kind": self.kind,
            "source": dict(self.source),
            "sha256": self.sha256,
            "libraries": dict(self.libraries),
            "settings": dict(self.settings),
            "capabilities": list(self.capabilities),
        }


# --- the protocol -------------------------------------------------------------------------------


@runtime_checkable
class ModelAdapter(Protocol):
    """What the runner, the cache and ``audit`` need from a model.

    ``prepare_inputs`` turns what the user passed (a DataFrame, a list of texts) into the
    inputs the model reads (its feature columns, or a list of str); the cache hashes those, so
    columns the model does not read never invalidate it. The task methods take a batch of
    prepared inputs and return one output per row, or raise (the runner then isolates the
    failing rows), or raise :class:`PartialBatchError`.
    """

    kind: str
    input_kind: InputKind
    default_batch_size: int
    capabilities: frozenset[Task]
    cacheable: bool
    settings: GenerationSettings

    def prepare_inputs(self, data: Any) -> Any:
        """The model's inputs from ``data`` (a table's feature columns or a list of texts)."""
        ...

    def predict(self, inputs: Any) -> Sequence[Any]:
        """One predicted label per row."""
        ...

    def predict_proba(self, inputs: Any) -> Sequence[float]:
        """One score of the positive class per row, in [0, 1]."""
        ...

    def generate(
        self, prompts: Sequence[str], settings: GenerationSettings | None = None
    ) -> Sequence[str]:
        """One generated text per prompt."""
        ...

    def describe(self) -> dict[str, Any]:
        """A JSON-able :class:`AdapterSpec` dict; never contains a secret."""
        ...

    def fingerprint(self) -> dict[str, Any]:
        """What identifies the model's outputs in the cache (hash, endpoint + model, ...)."""
        ...


class BaseAdapter:
    """Shared behaviour: unsupported tasks raise, describe() is assembled from a few hooks."""

    kind: str = "base"
    input_kind: InputKind = "table"
    default_batch_size: int = 1024
    capabilities: frozenset[Task] = frozenset()
    cacheable: bool = True
    settings: GenerationSettings = GenerationSettings()
    spec_keys: frozenset[str] | None = None
    """The keys ``from_spec`` accepts (besides ``kind``), for checking a spec without building
    the adapter (``equilens validate``); None when not declared."""

    def _unsupported(self, task: Task) -> UnsupportedTaskError:
        supported = ", ".join(t for t in TASKS if t in self.capabilities) or "nothing"
        return UnsupportedTaskError(
            f"The {self.kind} model adapter does not support {task}; it supports {supported}."
        )

    def prepare_inputs(self, data: Any) -> Any:
        """The inputs as given (subclasses select columns or texts)."""
        return data

    def predict(self, inputs: Any) -> Sequence[Any]:
        """One predicted label per row."""
        raise self._unsupported("predict")

    def predict_proba(self, inputs: Any) -> Sequence[float]:
        """One score of the positive class per row, in [0, 1]."""
        raise self._unsupported("predict_proba")

    def generate(
        self, prompts: Sequence[str], settings: GenerationSettings | None = None
    ) -> Sequence[str]:
        """One generated text per prompt."""
        raise self._unsupported("generate")

    # hooks for describe()
    def _source(self) -> dict[str, Any]:
        return {}

    def _sha256(self) -> str | None:
        return None

    def _libraries(self) -> dict[str, str]:
        return {}

    def _settings(self) -> dict[str, Any]:
        return {}

    def describe(self) -> dict[str, Any]:
        """A JSON-able record of what this adapter is; never contains a secret (every value
        passes through :func:`equilens._redact.redact`)."""
        libraries = {"python": platform.python_version(), "equilens": __version__}
        libraries.update(self._libraries())
        settings = self._settings()
        if "generate" in self.capabilities:
            settings = {**settings, "generation": self.settings.to_dict()}
        record: dict[str, Any] = redact(
            AdapterSpec(
                kind=self.kind,
                source=self._source(),
                sha256=self._sha256(),
                libraries=libraries,
                settings=settings,
                capabilities=tuple(t for t in TASKS if t in self.capabilities),
            ).to_dict()
        )
        return record

    def fingerprint(self) -> dict[str, Any]:
        """Model identity + settings: what the cache key is built from."""
        desc = self.describe()
        return {
            "kind": desc["kind"],
            "source": desc["source"],
            "sha256": desc["sha256"],
            "settings": desc["settings"],
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._source()}>"


# --- helpers -------------------------------------------------------------------------------------


def check_keys(what: str, spec: Mapping[str, Any], allowed: set[str]) -> None:
    """Raise InvalidParameterError for a key of ``spec`` not in ``allowed``, with suggestions."""
    import difflib

    for key in spec:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), sorted(allowed), n=3, cutoff=0.5)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise InvalidParameterError(
                f"Unknown key '{key}' in the {what}.{hint} Known: {', '.join(sorted(allowed))}."
            )


def one_line(exc: BaseException, limit: int = 300) -> str:
    """``Type: first line of the message``, at most ``limit`` characters."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    line = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return line if len(line) <= limit else line[: limit - 3] + "..."


def lazy_import(module: str, *, adapter: str, extra: str) -> Any:
    """Import ``module`` for the ``adapter`` adapter, or explain how to install it."""
    if importlib.util.find_spec(module.split(".")[0]) is None:
        raise MissingDependencyError(
            f"The {adapter} model adapter needs the '{module.split('.')[0]}' package, which is "
            f"not installed; install it with `pip install 'equilens[{extra}]'`."
        )
    return importlib.import_module(module)


def library_versions(*distributions: str) -> dict[str, str]:
    """Installed versions of the named distributions (missing ones are left out)."""
    out: dict[str, str] = {}
    for name in distributions:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


_HASHES: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """SHA-256 of a file (memoised per path, size and modification time)."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _HASHES:
        h = hashlib.sha256()
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _HASHES[key] = h.hexdigest()
    return _HASHES[key]


def directory_sha256(path: Path) -> str:
    """SHA-256 over every file of a directory: sorted relative paths and their hashes.

    Hidden files and folders (``.git``, ``.cache``) are skipped.
    """
    h = hashlib.sha256()
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            full = Path(root) / name
            h.update(full.relative_to(path).as_posix().encode())
            h.update(b"\0")
            h.update(file_sha256(full).encode())
            h.update(b"\n")
    return h.hexdigest()


def resolve_path(value: object, *, name: str, base_dir: Path | None, adapter: str) -> Path:
    """A path from a spec, relative to ``base_dir`` (the spec file's folder) when relative."""
    if not isinstance(value, str | os.PathLike):
        raise InvalidParameterError(
            f"The '{name}' parameter of the {adapter} model adapter must be a path (str). "
            f"Got {value!r} instead."
        )
    path = Path(value).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return path
