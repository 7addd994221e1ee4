"""Reading audit specs from YAML with errors that name the file, line and key."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from equilens.exceptions import InvalidInputError
from equilens.spec._model import AuditSpec


class _Located:
    """Line numbers of every key path in a YAML document."""

    def __init__(self, node: yaml.Node | None) -> None:
        self.lines: dict[tuple[str | int, ...], int] = {}
        if node is not None:
            self._walk(node, ())

    def _walk(self, node: yaml.Node, path: tuple[str | int, ...]) -> None:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                sub = (*path, str(key.value))
                self.lines[sub] = key.start_mark.line + 1
                self._walk(value, sub)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, (*path, i))

    def line(self, path: tuple[str | int, ...]) -> int | None:
        """The line of ``path``, or of its closest located parent."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def parse_yaml(path: Path, what: str) -> tuple[Any, _Located]:
    """Load a YAML file, mapping every failure to one line naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInputError(f"{what} file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"Cannot read {what} file {path}: {exc}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidInputError(f"{where}: invalid YAML: {problem}") from None
    return raw, _Located(node)


def validation_message(
    exc: ValidationError, located: _Located, path: Path, model: type[BaseModel]
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


def load_spec(path: str | Path) -> tuple[AuditSpec, _Located]:
    """Read and validate an audit spec; errors name the file, line and key."""
    path = Path(path)
    raw, located = parse_yaml(path, "Spec")
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{path}: an audit spec must be a YAML mapping of keys")
    try:
        return AuditSpec.model_validate(raw), located
    except ValidationError as exc:
        raise InvalidInputError(validation_message(exc, located, path, AuditSpec)) from None
