"""The one YAML loader for files a user gives (specs, policies, suites, card metadata, claims).

It is PyYAML's safe loader with limits, because these files are untrusted input:

* aliases: at most :data:`MAX_ALIASES` alias uses, and the document expanded (every alias
  counted as a copy of what it names) has at most :data:`MAX_NODES` nodes; a recursive alias
  is refused. A 600-byte "billion laughs" document is refused at once instead of expanding.
* nesting: at most :data:`MAX_DEPTH` levels (also after alias expansion), checked while the
  document is composed, so 20,000 nested brackets are an error, never a ``RecursionError``.
* integers: at most :data:`MAX_INT_DIGITS` digits and below 2**63 in absolute value; dates
  that do not exist (``2025-02-30``) are an error, not a crash.
* duplicate keys in a mapping are an error naming both lines (YAML would keep the last one,
  silently dropping the first, e.g. a second ``rules:`` list).
* files larger than :data:`MAX_BYTES` are refused before parsing.

Every failure is an :class:`~equilens.exceptions.InvalidInputError` with one line
``FILE:LINE: invalid YAML: problem``.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError

from equilens.exceptions import InvalidInputError

__all__ = [
    "MAX_ALIASES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_INT_DIGITS",
    "MAX_NODES",
    "Located",
    "parse_yaml",
    "parse_yaml_text",
    "validation_message",
]

MAX_ALIASES = 100
MAX_NODES = 100_000
MAX_DEPTH = 100
MAX_INT_DIGITS = 30
MAX_BYTES = 10 * 1024 * 1024
_INT_LIMIT = 2**63

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Loader(yaml.SafeLoader):
    """SafeLoader that counts aliases and depth while composing, and checks keys and ints."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise ComposerError(
                    None, None, f"more than {MAX_ALIASES} aliases ('*name') are not allowed", mark
                )
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=False)
            try:
                first = seen.get(key)
            except TypeError:  # unhashable: SafeConstructor reports it
                continue
            line = key_node.start_mark.line + 1
            if first is not None:
                raise ConstructorError(
                    None,
                    None,
                    f"duplicate key '{key_node.value}' (first on line {first})",
                    key_node.start_mark,
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        text = str(node.value)
        digits = sum(ch.isalnum() for ch in text.removeprefix("-").removeprefix("+"))
        if digits > MAX_INT_DIGITS:
            raise ConstructorError(
                None, None, f"integer with more than {MAX_INT_DIGITS} digits", node.start_mark
            )
        value: int = super().construct_yaml_int(node)
        if abs(value) >= _INT_LIMIT:
            raise ConstructorError(
                None, None, "integer out of range (|value| >= 2**63)", node.start_mark
            )
        return value

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:  # 2025-02-30: PyYAML lets datetime raise
            raise ConstructorError(
                None, None, f"invalid date '{node.value}' ({exc})", node.start_mark
            ) from None


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a document whose alias-expanded size or depth is past the limits."""
    sizes: dict[int, tuple[int, int]] = {}
    active: set[int] = set()

    def measure(node: yaml.Node) -> tuple[int, int]:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise ComposerError(None, None, "a recursive alias is not allowed", node.start_mark)
        active.add(key)
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            children = []
        size, depth = 1, 1
        for child in children:
            child_size, child_depth = measure(child)
            size += child_size
            depth = max(depth, child_depth + 1)
            if size > MAX_NODES:
                raise ComposerError(
                    None,
                    None,
                    f"the document expands (through aliases) to more than {MAX_NODES} values",
                    node.start_mark,
                )
            if depth > MAX_DEPTH:
                raise ComposerError(
                    None,
                    None,
                    f"nested deeper than {MAX_DEPTH} levels (through aliases)",
                    node.start_mark,
                )
        active.discard(key)
        sizes[key] = (size, depth)
        return size, depth

    measure(root)


class Located:
    """Line numbers (1-based) of every key path in a YAML document, for messages, and the text
    of every plain scalar as written (``texts``: '0.70', where the data hold 0.7)."""

    def __init__(self, node: yaml.Node | None, first_line: int = 1) -> None:
        self.lines: dict[tuple[str | int, ...], int] = {}
        self.texts: dict[tuple[str | int, ...], str] = {}
        self._offset = first_line - 1
        if node is not None:
            self._walk(node, ())

    def _walk(self, node: yaml.Node, path: tuple[str | int, ...]) -> None:
        self.lines.setdefault(path, node.start_mark.line + 1 + self._offset)
        if isinstance(node, yaml.ScalarNode):
            if node.style is None:  # plain, not quoted or block text
                self.texts[path] = str(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                sub = (*path, str(key.value))
                self.lines[sub] = key.start_mark.line + 1 + self._offset
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


def parse_yaml_text(text: str, source: str | Path, *, first_line: int = 1) -> tuple[Any, Located]:
    """Parse one YAML document with the limits above; returns the data and its key lines.

    ``source`` names the file in messages; ``first_line`` is the file line of the text's first
    line (for YAML front matter inside a Markdown file).
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, Located(None)
        _check_expansion(node)
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + first_line}" if mark is not None else str(source)
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidInputError(f"{where}: invalid YAML: {problem}") from None
    except RecursionError:  # a guard: the depth limit stops nesting long before this
        raise InvalidInputError(f"{source}: invalid YAML: nested too deeply") from None
    finally:
        loader.dispose()
    return data, Located(node, first_line)


def parse_yaml(path: str | Path, what: str) -> tuple[Any, Located]:
    """Read and parse a YAML file; every failure is one line naming the file (``what`` file)."""
    path = Path(path)
    try:
        if path.is_dir():
            raise InvalidInputError(f"{what} file {path} is a directory, not a file")
        if path.stat().st_size > MAX_BYTES:
            raise InvalidInputError(
                f"{what} file {path} is larger than {MAX_BYTES // (1024 * 1024)} MB"
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInputError(f"{what} file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"Cannot read {what} file {path}: {exc}") from None
    return parse_yaml_text(text, path)


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
