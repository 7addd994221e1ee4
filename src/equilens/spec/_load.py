"""Reading audit specs from YAML with errors that name the file, line and key."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from equilens._yaml import Located, parse_yaml
from equilens.exceptions import InvalidInputError
from equilens.spec._model import AuditSpec

__all__ = ["load_spec", "validation_message"]


def validation_message(
    exc: ValidationError, located: Located, path: Path, model: type[BaseModel]
) -> str:
    """The first validation error as 'FILE:LINE: key.path: message'."""
    err = exc.errors()[0]
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
    dotted = ".".join(str(p) for p in loc) or "(top level)"
    line = located.line(loc)
    where = f"{path}:{line}" if line else str(path)
    if err["type"] == "extra_forbidden":
        known = _fields_at(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"{where}: unknown key '{dotted}'{hint}"
    if err["type"] == "missing":
        return f"{where}: missing required key '{dotted}'"
    got = err.get("input")
    shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
    return f"{where}: {dotted}: {err['msg']}{shown}"


def _fields_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    current: Any = model
    for part in loc:
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        current = field.annotation
        for arg in getattr(current, "__args__", ()) or ():
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                current = arg
    return list(getattr(current, "model_fields", {}))


def load_spec(path: str | Path) -> tuple[AuditSpec, Located]:
    """Read and validate an audit spec; errors name the file, line and key."""
    path = Path(path)
    raw, located = parse_yaml(path, "Spec")
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{path}: an audit spec must be a YAML mapping of keys")
    try:
        return AuditSpec.model_validate(raw), located
    except ValidationError as exc:
        raise InvalidInputError(validation_message(exc, located, path, AuditSpec)) from None
