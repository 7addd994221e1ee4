"""Red-team suites as data: the schema, the loader and the expansion into paired cases.

A suite (YAML, or JSONL whose first line is the header) names its categories (each with the
regular expressions the rules grader reads as harmful, or ``benign: true`` for a control that a
good model should answer), its requests, a persona list and the template that puts a request in
a persona's voice. Each request x persona is one case; the cases of one request are paired
(same request, different persona), which the paired tests use.

Every problem is one line ``FILE:LINE: key.path: message`` (the schema is a pydantic model
with unknown keys forbidden, so its JSON schema is :func:`suite_json_schema`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from equilens._yaml import Located, parse_yaml, parse_yaml_text, validation_message
from equilens.exceptions import InvalidInputError

__all__ = [
    "SHIPPED_SUITES",
    "Case",
    "Category",
    "PersonaList",
    "Request",
    "Suite",
    "expand_cases",
    "load_personas",
    "load_suite",
    "suite_from_text",
    "suite_json_schema",
]

#: Shipped suites by name (files under ``equilens/safety/data``).
SHIPPED_SUITES = {"financial": "financial_services.yaml"}
#: The persona list a suite uses when it names none.
DEFAULT_PERSONAS = "personas.yaml"
#: Limits that keep a hostile file from exhausting memory.
MAX_REQUESTS = 100_000
MAX_TEXT = 20_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression ({exc})") from None
    return value


class Category(_Strict):
    """A kind of request: harmful (with the patterns the rules grader reads) or a control."""

    description: str = ""
    benign: bool = False
    """A control that a good model should answer; refusing it is over-refusal."""
    harmful_patterns: list[str] = Field(default_factory=list)
    """Regular expressions (case-insensitive) whose match in an answer reads as harmful."""

    @field_validator("harmful_patterns")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        return [_regex(v) for v in value]


class Request(_Strict):
    """One request of a suite."""

    id: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1)
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class Suite(_Strict):
    """A red-team suite (schema version 1)."""

    suite: str = Field(min_length=1, max_length=200)
    version: str = Field(min_length=1)
    description: str = ""
    persona_template: str = "Hi, I'm {name} ({pronouns}). {request}"
    personas: str = DEFAULT_PERSONAS
    """A persona list file (relative to the suite's folder, or a shipped list's name)."""
    refusal_patterns: list[str] = Field(default_factory=list)
    """Regular expressions (case-insensitive) whose match reads as a refusal."""
    categories: dict[str, Category] = Field(min_length=1)
    requests: list[Request] = Field(default_factory=list, max_length=MAX_REQUESTS)

    @field_validator("refusal_patterns")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        return [_regex(v) for v in value]

    @field_validator("persona_template")
    @classmethod
    def _template(cls, value: str) -> str:
        if "{request}" not in value:
            raise ValueError("must contain {request}")
        try:
            value.format(name="n", pronouns="p", request="r")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"only {{name}}, {{pronouns}} and {{request}} may be used ({exc})"
            ) from None
        return value


class Persona(_Strict):
    """One persona: its pronouns and the names that voice it (none: the request alone)."""

    description: str = ""
    pronouns: str = ""
    names: list[str] = Field(default_factory=list)


class PersonaList(_Strict):
    """A persona list: the reference persona (no name) and the others."""

    version: str = "1.0"
    reference: str
    personas: dict[str, Persona] = Field(min_length=2)


@dataclass(frozen=True)
class Case:
    """One request in one persona's voice."""

    case_id: str
    request_id: str
    category: str
    benign: bool
    persona: str
    name: str
    prompt: str


def _data_file(name: str) -> Path:
    return Path(str(resources.files("equilens.safety").joinpath("data", name)))


def _validate(model: type[BaseModel], raw: Any, located: Located, path: Path) -> Any:
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{path}:1: expected a mapping at the top level")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInputError(validation_message(exc, located, path, model)) from None


def _read_jsonl(path: Path) -> tuple[Any, Located]:
    """A JSONL suite: the header object on the first line, one request per following line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InvalidInputError(f"red-team suite file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"Cannot read red-team suite file {path}: {exc}") from None
    rows: list[tuple[int, Any]] = []
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append((i, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"{path}:{i}: invalid JSON: {exc.msg}") from None
    if not rows:
        raise InvalidInputError(f"{path}: the red-team suite is empty")
    head_line, header = rows[0]
    if not isinstance(header, dict) or "suite" not in header:
        raise InvalidInputError(
            f"{path}:{head_line}: the first line of a JSONL suite must be its header "
            "(an object with 'suite', 'version' and 'categories')"
        )
    raw = {**header, "requests": [r for _, r in rows[1:]]}
    located = Located(None)
    located.lines[()] = head_line
    for key in header:
        located.lines[(str(key),)] = head_line
    for j, (line_no, _) in enumerate(rows[1:]):
        located.lines[("requests", j)] = line_no
    return raw, located


def _check_categories(suite: Suite, located: Located, path: Path) -> None:
    if not suite.requests:
        raise InvalidInputError(f"{path}: the red-team suite has no requests")
    seen: dict[str, int] = {}
    for j, req in enumerate(suite.requests):
        line = located.line(("requests", j, "category"))
        if req.category not in suite.categories:
            known = ", ".join(sorted(suite.categories))
            raise InvalidInputError(
                f"{path}:{line}: requests.{j}.category: unknown category '{req.category}' "
                f"(categories: {known})"
            )
        if req.id in seen:
            raise InvalidInputError(
                f"{path}:{located.line(('requests', j, 'id'))}: requests.{j}.id: duplicate "
                f"request id '{req.id}' (also requests.{seen[req.id]})"
            )
        seen[req.id] = j
    if not any(not suite.categories[r.category].benign for r in suite.requests):
        raise InvalidInputError(f"{path}: the red-team suite has no harmful (non-benign) request")


def load_suite(source: str | Path) -> tuple[Suite, Path]:
    """Load and check a suite: a shipped name (``financial``) or a YAML / JSONL file.

    Returns the suite and its file (persona lists are read relative to its folder).
    """
    name = str(source)
    path = _data_file(SHIPPED_SUITES[name]) if name in SHIPPED_SUITES else Path(source)
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        raw, located = _read_jsonl(path)
    else:
        if not path.exists() and name not in SHIPPED_SUITES and path.suffix == "":
            known = ", ".join(SHIPPED_SUITES)
            raise InvalidInputError(
                f"--suite '{name}' is neither a shipped suite ({known}) nor an existing file"
            )
        raw, located = parse_yaml(path, "red-team suite")
        if raw is None:
            raise InvalidInputError(f"{path}: the red-team suite is empty")
    suite: Suite = _validate(Suite, raw, located, path)
    _check_categories(suite, located, path)
    return suite, path


def load_personas(name: str, base: Path | None = None) -> PersonaList:
    """A persona list: a file relative to ``base`` (a suite's folder) or a shipped list."""
    path = (base / name) if base is not None else Path(name)
    if not path.exists():
        shipped = _data_file(Path(name).name)
        if not shipped.exists():
            raise InvalidInputError(f"persona list file not found: {path}")
        path = shipped
    raw, located = parse_yaml(path, "persona list")
    plist: PersonaList = _validate(PersonaList, raw, located, path)
    if plist.reference not in plist.personas:
        raise InvalidInputError(
            f"{path}:{located.line(('reference',))}: reference: '{plist.reference}' is not "
            "one of the personas"
        )
    for key, persona in plist.personas.items():
        if key != plist.reference and not persona.names:
            raise InvalidInputError(
                f"{path}:{located.line(('personas', key))}: personas.{key}.names: a persona "
                "other than the reference needs at least one name"
            )
    return plist


def expand_cases(suite: Suite, personas: PersonaList) -> list[Case]:
    """Every request in every persona's voice (request order, then persona order).

    The reference persona asks the request alone; persona ``p`` on the ``j``-th request uses
    its ``j mod len(names)``-th name, so each name is used about equally often.
    """
    cases: list[Case] = []
    for j, req in enumerate(suite.requests):
        cat = suite.categories[req.category]
        for key, persona in personas.personas.items():
            if key == personas.reference:
                name, prompt = "", req.text
            else:
                name = persona.names[j % len(persona.names)]
                prompt = suite.persona_template.format(
                    name=name, pronouns=persona.pronouns, request=req.text
                )
            cases.append(
                Case(
                    case_id=f"{req.id}/{key}",
                    request_id=req.id,
                    category=req.category,
                    benign=cat.benign,
                    persona=key,
                    name=name,
                    prompt=prompt,
                )
            )
    return cases


def suite_json_schema() -> dict[str, Any]:
    """The suite schema as JSON Schema (for editors and documentation)."""
    return Suite.model_json_schema()


def suite_from_text(text: str, source: str = "<suite>") -> Suite:
    """A suite from YAML text (tests and notebooks)."""
    raw, located = parse_yaml_text(text, source)
    suite: Suite = _validate(Suite, raw, located, Path(source))
    _check_categories(suite, located, Path(source))
    return suite
