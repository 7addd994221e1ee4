"""Model options shared by the generative subcommands: ``smollm2`` or an adapter spec file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from equilens.exceptions import InvalidInputError, InvalidParameterError

__all__ = ["adapter_from_file", "is_spec_file", "smollm2_adapter"]


def is_spec_file(spec: str) -> bool:
    """Whether ``spec`` names a model-adapter spec file (.yaml/.yml/.json)."""
    return Path(spec).suffix.lower() in (".yaml", ".yml", ".json")


def smollm2_adapter(option: str, **settings: Any) -> Any:
    """The shipped SmolLM2-135M-Instruct through the Hugging Face adapter."""
    from equilens.adapters import load_adapter, smollm2_spec

    return load_adapter({**smollm2_spec(f"{option} smollm2"), **settings})


def adapter_from_file(spec: str, option: str) -> Any:
    """A model adapter from a spec file (its top level, or its ``model:`` section)."""
    from equilens._yaml import parse_yaml
    from equilens.adapters import load_adapter

    path = Path(spec)
    if not is_spec_file(spec) or not path.is_file():
        raise InvalidParameterError(f"{option} '{spec}' is not a model-adapter spec file")
    raw, _ = parse_yaml(path, "Model spec")
    if isinstance(raw, dict) and isinstance(raw.get("model"), dict):
        raw = raw["model"]
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{path}: a model spec must be a mapping with a 'kind'")
    return load_adapter(raw, base_dir=path.parent)
