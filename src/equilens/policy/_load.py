"""Reading policy files (YAML) with one-line ``FILE:LINE: key: message`` errors."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from equilens._yaml import Located, parse_yaml, validation_message
from equilens.exceptions import InvalidInputError
from equilens.policy._model import Policy


def _restore_on(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            name = "on" if key is True and "on" not in node else key
            out[name] = _restore_on(value)
        return out
    if isinstance(node, list):
        return [_restore_on(item) for item in node]
    return node


def _normalise(raw: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 (PyYAML) reads an unquoted `on:` key as the boolean True. Rules use `on` for the
    # compared field, so inside rules a True key is read back as "on".
    out = dict(raw)
    for key in ("rules", "discovered_slices", "agreement"):
        if isinstance(out.get(key), list):
            out[key] = [_restore_on(rule) for rule in out[key]]
    return out


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The pydantic model that holds the keys at ``loc`` (list indices and dict keys skipped)."""
    current: type[BaseModel] = Policy
    for part in loc:
        field = current.model_fields.get(str(part))
        if field is None:
            continue
        nested = [
            arg
            for arg in _flatten(field.annotation)
            if isinstance(arg, type) and issubclass(arg, BaseModel)
        ]
        if not nested:
            return None
        current = nested[0]
    return current


def _flatten(annotation: Any) -> list[Any]:
    args = getattr(annotation, "__args__", None)
    if not args:
        return [annotation]
    return [leaf for arg in args for leaf in _flatten(arg)]


def _clean_loc(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    return tuple(p for p in loc if not (isinstance(p, str) and "[" in p))


def _message(exc: ValidationError, located: Located | None, source: Path) -> str:
    errors = exc.errors()
    # A misspelt key is both "unknown" and "missing"; the unknown one is the useful report.
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    if located is None:
        located = Located(None)
    loc = _clean_loc(err["loc"])
    if err["type"] == "extra_forbidden":
        line = located.line(loc)
        where = f"{source}:{line}" if line else str(source)
        model = _model_at(loc[:-1])
        known = list(model.model_fields) if model is not None else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"{where}: unknown key '{'.'.join(str(p) for p in loc)}'{hint}"
    if err["type"] != "policy":
        return validation_message(exc, located, source, Policy)
    key = (err.get("ctx") or {}).get("key")
    if key:
        loc += tuple(int(p) if p.isdigit() else p for p in str(key).split("."))
    dotted = ".".join(str(p) for p in loc) or "(top level)"
    line = located.line(loc)
    where = f"{source}:{line}" if line else str(source)
    return f"{where}: {dotted}: {err['msg']}"


def parse_policy(
    raw: Any, *, source: str | Path = "<policy>", located: Located | None = None
) -> Policy:
    """Validate a policy given as parsed YAML/JSON data.

    Parameters
    ----------
    raw : Any
        The document: a mapping of keys.
    source : str or Path
        Name used in error messages (the file).
    located : optional
        Line numbers of the document's keys (from :func:`equilens._yaml.parse_yaml`).

    Returns
    -------
    Policy
        The validated policy.

    Raises
    ------
    InvalidInputError
        With one line ``FILE:LINE: key: message`` naming the first problem.
    """
    source = Path(source)
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{source}: a policy must be a YAML mapping of keys")
    try:
        return Policy.model_validate(_normalise(raw))
    except ValidationError as exc:
        raise InvalidInputError(_message(exc, located, source)) from None


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file (YAML).

    Parameters
    ----------
    path : str or Path
        The policy file.

    Returns
    -------
    Policy
        The validated policy.

    Raises
    ------
    InvalidInputError
        When the file is missing, is not valid YAML or is not a valid policy; the message is
        one line naming the file, the line and the key.
    """
    path = Path(path)
    raw, located = parse_yaml(path, "Policy")
    return parse_policy(raw, source=path, located=located)


def is_policy_document(raw: Any) -> bool:
    """Whether parsed YAML looks like a policy (``kind: policy``, or ``rules`` and no ``data``)."""
    if not isinstance(raw, dict):
        return False
    if raw.get("kind") == "policy":
        return True
    return "rules" in raw and "data" not in raw


def is_policy_file(path: str | Path) -> bool:
    """Whether a file is a policy rather than an audit spec (False when it cannot be read)."""
    try:
        raw, _ = parse_yaml(Path(path), "Policy")
    except InvalidInputError:
        return False
    return is_policy_document(raw)
