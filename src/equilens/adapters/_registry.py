"""The adapter registry and the factory that builds an adapter from a spec's ``model:`` mapping.

Entries name their class as ``"module:Class"`` and are imported only when looked up, so
``import equilens`` never imports torch, transformers, onnxruntime or spaCy. Third-party
packages add adapters through the ``equilens.adapters`` entry-point group; their names must be
qualified (``mypkg/name``) so that two plugins cannot shadow each other or a built-in.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from equilens.adapters._base import ModelAdapter
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.registry import Registry

__all__ = ["AdapterEntry", "adapters", "load_adapter", "register_adapter"]

ENTRY_POINT_GROUP = "equilens.adapters"


class AdapterFactory(Protocol):
    """A class (or function) that builds an adapter from a spec."""

    def from_spec(self, spec: Mapping[str, Any], *, base_dir: Path | None) -> ModelAdapter:
        """Build the adapter; ``spec`` is the ``model:`` mapping without ``kind``."""
        ...


@dataclass(frozen=True)
class AdapterEntry:
    """A registered adapter: where its class lives, what it needs, what it does.

    Attributes
    ----------
    name:
        Registry name (the spec's ``kind``).
    target:
        ``"module:Class"``; imported on first use.
    extra:
        The equilens extra that installs its dependencies (``pip install 'equilens[extra]'``).
    summary:
        One line for ``equilens adapters`` listings and docs.
    """

    name: str
    target: str
    extra: str | None
    summary: str

    def load(self) -> AdapterFactory:
        """Import and return the adapter class.

        Raises
        ------
        InvalidInputError
            When its module (or a dependency of it) cannot be imported.
        """
        module_name, _, attr = self.target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise InvalidInputError(
                f"The {self.name} model adapter cannot be imported ({exc})."
            ) from None
        factory: AdapterFactory = getattr(module, attr)
        return factory


adapters: Registry[AdapterEntry] = Registry("model adapter")
"""Model adapters by name. ``adapters.get("sklearn").load()`` imports the class."""

_BUILTINS = (
    AdapterEntry(
        "precomputed",
        "equilens.adapters._precomputed:PrecomputedAdapter",
        None,
        "Predictions already in the data: y_pred / y_score / output columns",
    ),
    AdapterEntry(
        "sklearn",
        "equilens.adapters._sklearn:SklearnAdapter",
        "sklearn",
        "A scikit-learn estimator in memory or in a .skops file (.joblib/.pkl with trust: true)",
    ),
    AdapterEntry(
        "callable",
        "equilens.adapters._callable:CallableAdapter",
        None,
        "Python functions given as 'module:function' or 'path/file.py:function'",
    ),
    AdapterEntry(
        "onnx",
        "equilens.adapters._onnx:OnnxAdapter",
        "onnx",
        "An ONNX model run by onnxruntime (e.g. exported by skl2onnx)",
    ),
    AdapterEntry(
        "huggingface",
        "equilens.adapters._huggingface:HuggingFaceAdapter",
        "hf",
        "A local Hugging Face model directory: text classification, fill-mask, generation",
    ),
    AdapterEntry(
        "spacy",
        "equilens.adapters._spacy:SpacyAdapter",
        "spacy",
        "A spaCy pipeline with a text categorizer",
    ),
    AdapterEntry(
        "openai",
        "equilens.adapters._openai:OpenAIChatAdapter",
        None,
        "An OpenAI-compatible chat-completions HTTP endpoint",
    ),
)
_ALIASES = {
    "precomputed": ("columns",),
    "sklearn": ("scikit-learn",),
    "callable": ("python",),
    "huggingface": ("hf", "transformers"),
    "openai": ("openai-compatible", "chat-completions"),
}
for _entry in _BUILTINS:
    adapters.register(_entry.name, _entry, aliases=_ALIASES.get(_entry.name, ()))

_plugins_loaded = False


def _load_plugins() -> None:
    """Register adapters of installed packages (entry-point group ``equilens.adapters``)."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if "/" not in ep.name or ep.name in adapters:
            continue  # unqualified or duplicate plugin names are ignored, never shadowing
        adapters.register(ep.name, AdapterEntry(ep.name, ep.value, None, f"plugin {ep.value}"))


def register_adapter(
    name: str, target: str, *, summary: str = "", extra: str | None = None
) -> AdapterEntry:
    """Register an adapter class given as ``"module:Class"`` under a qualified name.

    Parameters
    ----------
    name:
        ``"package/name"``: plugin names must be qualified.
    target:
        Where the class lives; it is imported when first used.
    summary, extra:
        A one-line description and the extra that installs its dependencies.
    """
    if not isinstance(name, str) or "/" not in name:
        raise InvalidParameterError(
            "The 'name' parameter of register_adapter must be a qualified str "
            f"('package/name'). Got {name!r} instead."
        )
    if not isinstance(target, str) or ":" not in target:
        raise InvalidParameterError(
            "The 'target' parameter of register_adapter must be a str 'module:Class'. "
            f"Got {target!r} instead."
        )
    return adapters.register(name, AdapterEntry(name, target, extra, summary))


def adapter_entry(kind: object) -> AdapterEntry:
    """The registered adapter named ``kind`` (plugins are looked up when it is not built in).

    Raises
    ------
    InvalidParameterError
        If ``kind`` is not a str.
    RegistryLookupError
        If no adapter has that name (the message suggests close names).
    """
    if not isinstance(kind, str):
        raise InvalidParameterError(
            "The 'kind' parameter of load_adapter must be a str naming a model adapter "
            f"({', '.join(adapters.names())}). Got {kind!r} instead."
        )
    if kind not in adapters:
        _load_plugins()
    return adapters.get(kind)


def load_adapter(spec: Mapping[str, Any] | ModelAdapter, *, base_dir: Any = None) -> ModelAdapter:
    """Build a model adapter from a spec's ``model:`` mapping.

    Parameters
    ----------
    spec:
        A mapping with ``kind`` (a registered adapter name, e.g. ``sklearn``, ``onnx``,
        ``huggingface``, ``spacy``, ``openai``, ``callable``, ``precomputed``) and the options
        of that adapter, e.g. ``{"kind": "sklearn", "path": "model.skops"}``. An adapter
        instance is returned as is.
    base_dir:
        Folder that relative paths in ``spec`` are relative to (the spec file's folder).

    Returns
    -------
    ModelAdapter

    Raises
    ------
    RegistryLookupError
        If ``kind`` is not a registered adapter (the message suggests close names).
    InvalidParameterError
        If an option is unknown or out of range.
    InvalidInputError
        If a model file is missing or not a model, or an optional dependency is missing.
    """
    if isinstance(spec, ModelAdapter):
        return spec
    if not isinstance(spec, Mapping):
        raise InvalidParameterError(
            "The 'spec' parameter of load_adapter must be a mapping with a 'kind'. "
            f"Got {type(spec).__name__} instead."
        )
    entry = adapter_entry(spec.get("kind"))
    base = None if base_dir is None else Path(base_dir)
    options = {k: v for k, v in spec.items() if k != "kind"}
    return entry.load().from_spec(options, base_dir=base)
