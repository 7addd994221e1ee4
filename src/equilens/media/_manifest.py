"""Manifest reading and the skipped-rows ledger of media audits."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from equilens.data import first_line
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.results import MediaSkip

__all__ = ["Skips", "cell", "check_columns", "read_manifest", "resolve_path"]


def read_manifest(path: str | Path) -> pd.DataFrame:
    """The manifest at ``path`` (``.csv``, ``.jsonl``/``.ndjson``, ``.parquet``) as text columns.

    Empty cells stay empty strings (a missing transcript is a skipped row, not a NaN).
    """
    p = Path(path)
    if not p.is_file():
        raise InvalidInputError(f"The manifest {p} does not exist or is not a file (--manifest)")
    suffix = p.suffix.lower()
    try:
        if suffix in (".jsonl", ".ndjson"):
            df = pd.read_json(p, lines=True, dtype=False)
        elif suffix == ".parquet":
            df = pd.read_parquet(p)
        else:
            df = pd.read_csv(p, dtype=str, keep_default_na=False)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InvalidInputError(f"Cannot read the manifest {p}: {first_line(exc)}") from exc
    if df.empty:
        raise InvalidInputError(f"The manifest {p} has no rows")
    df.columns = [str(c) for c in df.columns]
    return df.astype(object).where(df.notna(), "").astype(str).reset_index(drop=True)


def check_columns(df: pd.DataFrame, wanted: Sequence[tuple[str, str | None]], where: str) -> None:
    """One line naming the first option whose column is missing from the manifest."""
    for option, column in wanted:
        if column is not None and column not in df.columns:
            shown = ", ".join(list(df.columns)[:12])
            raise InvalidInputError(
                f"The {where} manifest has no column '{column}' ({option}); it has: {shown}"
            )


def cell(df: pd.DataFrame, row: int, column: str) -> str:
    """The text of one manifest cell."""
    return str(df.at[row, column])


def resolve_path(text: str, base_dir: Path) -> Path:
    """A manifest path: absolute as written, else relative to the manifest's folder."""
    p = Path(text).expanduser()
    return p if p.is_absolute() else base_dir / p


@dataclass
class Skips:
    """Rows left out of a media audit, each with its reason."""

    total: int
    max_skip: float
    items: list[MediaSkip] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 0.0 <= self.max_skip <= 1.0:
            raise InvalidParameterError(
                f"--max-skip must be a share between 0 and 1. Got {self.max_skip} instead."
            )

    def add(self, row: int, file: str, reason: str) -> None:
        self.items.append(MediaSkip(row=row, file=file, reason=reason))

    @property
    def rows(self) -> set[int]:
        return {s.row for s in self.items}

    def by_reason(self) -> dict[str, int]:
        return dict(Counter(s.reason for s in self.items).most_common())

    def check(self, what: Sequence[str] = ("rows",)) -> None:
        """Fail (one line, the counts per reason) when the skipped share exceeds the limit."""
        n = len(self.rows)
        if n == self.total or n > self.max_skip * self.total:
            reasons = "; ".join(f"{k}: {v}" for k, v in self.by_reason().items())
            raise InvalidInputError(
                f"{n} of {self.total} {what[0]} could not be scored ({reasons}), more than "
                f"--max-skip {self.max_skip:g} allows"
            )
