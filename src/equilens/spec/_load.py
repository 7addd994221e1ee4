"""Reading audit specs from YAML with errors that name the file, line and key."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from equilens._yaml import Located, parse_yaml, validation_message
from equilens.exceptions import InvalidInputError
from equilens.spec._model import AuditSpec

__all__ = ["load_spec", "validation_message"]


def load_spec(path: str | Path) -> tuple[AuditSpec, Located]:
    """Read and validate an audit spec; errors name the file, line and key."""
    path = Path(path)
    raw, located = parse_yaml(path, "Spec")
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{path}: an audit spec must be a YAML mapping of keys")
    try:
        spec = AuditSpec.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInputError(validation_message(exc, located, path, AuditSpec)) from None
    if not spec.sensitive_features and spec.images is None:
        line = located.line(("sensitive_features",))
        raise InvalidInputError(f"{path}:{line}: sensitive_features: give at least one column")
    return spec, located
