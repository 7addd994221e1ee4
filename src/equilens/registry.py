"""A small typed registry: names -> components, with helpful lookup errors."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Generic, TypeVar

from equilens.exceptions import RegistryLookupError

T = TypeVar("T")


class Registry(Generic[T]):
    """Named components of one kind (metrics, criteria, engines).

    Registering a taken name raises; looking up an unknown name suggests close matches.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._aliases: dict[str, str] = {}

    def register(self, name: str, item: T, *, aliases: tuple[str, ...] = ()) -> T:
        """Add ``item`` under ``name`` (and its aliases)."""
        for key in (name, *aliases):
            if key in self._items or key in self._aliases:
                raise ValueError(f"{self.kind} '{key}' is already registered")
        self._items[name] = item
        for alias in aliases:
            self._aliases[alias] = name
        return item

    def canonical(self, name: str) -> str:
        """The registered name for ``name`` or one of its aliases."""
        if name in self._items:
            return name
        if name in self._aliases:
            return self._aliases[name]
        choices = list(self._items) + list(self._aliases)
        close = difflib.get_close_matches(name, choices, n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise RegistryLookupError(
            f"Unknown {self.kind} '{name}'.{hint} Known: {', '.join(sorted(self._items))}."
        )

    def get(self, name: str) -> T:
        """The item registered as ``name`` (or an alias)."""
        return self._items[self.canonical(name)]

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        return list(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items or name in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)
