"""What a model card states that an audit log cannot: owners, intended use, training data, ...

Read from a small YAML file (``--meta card.yaml``). Every field is optional; the card says
"not stated" for each one that is missing rather than leaving it out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator

from equilens._yaml import parse_yaml, validation_message
from equilens.exceptions import InvalidInputError


def _as_list(value: Any) -> Any:
    if isinstance(value, str):
        return [value]
    return value


class _Meta(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class EvaluationData(_Meta):
    """The evaluation data as its author describes it."""

    name: str | None = None
    """Name of the data set (e.g. "COMPAS two-year recidivism, ProPublica filter")."""
    description: str | None = None
    source: str | None = None
    """Where it comes from (a citation or an address; shown as text, never as a link)."""
    filters: list[str] = Field(default_factory=list)
    """Rows removed or kept, as stated by the author."""
    preprocessing: list[str] = Field(default_factory=list)

    _lists = field_validator("filters", "preprocessing", mode="before")(_as_list)


class CardMeta(_Meta):
    """Model card fields supplied by people (Mitchell et al. 2019), all optional."""

    name: str | None = None
    version: str | None = None
    description: str | None = None
    model_type: str | None = None
    owners: list[str] = Field(default_factory=list)
    license: str | None = Field(default=None, validation_alias=AliasChoices("license", "licence"))
    date: str | None = None
    contact: str | None = None
    references: list[str] = Field(default_factory=list)
    citation: str | None = None
    intended_uses: list[str] = Field(default_factory=list)
    intended_users: list[str] = Field(default_factory=list)
    out_of_scope_uses: list[str] = Field(default_factory=list)
    evaluation_data: EvaluationData = Field(default_factory=EvaluationData)
    training_data: str | None = None
    ethical_considerations: list[str] = Field(default_factory=list)
    caveats: list[str] = Field(default_factory=list)
    """Limitations the author knows of; the card adds those the audit shows."""

    _lists = field_validator(
        "owners",
        "references",
        "intended_uses",
        "intended_users",
        "out_of_scope_uses",
        "ethical_considerations",
        "caveats",
        mode="before",
    )(_as_list)

    @field_validator("version", "date", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        # YAML reads 2.0 as a float and 2025-01-31 as a date; keep what was written as text.
        return None if value is None else str(value)


def load_meta(path: str | Path | None) -> CardMeta:
    """Read a card metadata file (YAML); an empty :class:`CardMeta` when ``path`` is None.

    Raises
    ------
    InvalidInputError
        One line ``FILE:LINE: key: message`` for a missing file, bad YAML or an unknown key.
    """
    if path is None:
        return CardMeta()
    path = Path(path)
    raw, located = parse_yaml(path, "Card metadata")
    if raw is None:
        return CardMeta()
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{path}:1: card metadata must be a YAML mapping of keys")
    try:
        return CardMeta.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInputError(validation_message(exc, located, path, CardMeta)) from None
