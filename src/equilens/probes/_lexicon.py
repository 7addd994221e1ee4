"""Reading the probe data files (CSV lexicons), keeping good rows and naming bad ones.

A lexicon is a small CSV file with a header row. Lines starting with ``#`` and blank lines are
comments. A malformed row (wrong number of fields, an empty required field) is not fatal: it is
left out and described by one :class:`~equilens.exceptions.InvalidInputError` whose message
names the file and the line, so that a user who extends a lexicon sees exactly which row to fix
while the rest of the file is still used. Pass ``strict=True`` to raise the first problem
instead.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from equilens.exceptions import InvalidInputError

__all__ = [
    "DATA_DIR",
    "Lexicon",
    "ProblemLog",
    "data_path",
    "read_lexicon",
]


def _data_dir() -> Path:
    return Path(str(resources.files("equilens.probes") / "data"))


#: Directory of the shipped probe data files (lexicons and template suites).
DATA_DIR = _data_dir()


@dataclass
class ProblemLog:
    """Problems met while reading data files: one-line errors naming file and line.

    Attributes
    ----------
    problems : list of InvalidInputError
        The problems, in the order met. Each message reads ``FILE:LINE: what is wrong``.
    strict : bool
        Raise the first problem instead of recording it.
    """

    problems: list[InvalidInputError] = field(default_factory=list)
    strict: bool = False

    def add(self, where: str, message: str) -> None:
        """Record (or, when strict, raise) the problem ``message`` found at ``where``."""
        error = InvalidInputError(f"{where}: {' '.join(message.split())}")
        if self.strict:
            raise error
        self.problems.append(error)

    def messages(self) -> list[str]:
        """The problems as one-line strings."""
        return [str(p) for p in self.problems]


@dataclass(frozen=True)
class Lexicon:
    """The rows of one lexicon file.

    Attributes
    ----------
    path : Path
        The file read.
    columns : tuple of str
        Header names, in file order.
    rows : tuple of dict
        One mapping column -> value per kept row (values stripped of surrounding spaces).
    lines : tuple of int
        The 1-based line number of each kept row, for messages.
    """

    path: Path
    columns: tuple[str, ...]
    rows: tuple[dict[str, str], ...]
    lines: tuple[int, ...]

    def column(self, name: str, where: dict[str, str] | None = None) -> list[str]:
        """Values of ``name`` in the rows matching every ``column: value`` of ``where``.

        Raises
        ------
        InvalidInputError
            If ``name`` or a column of ``where`` is not in the file.
        """
        for col in (name, *(where or {})):
            if col not in self.columns:
                raise InvalidInputError(
                    f"{self.path.name}: no column '{col}' (columns: {', '.join(self.columns)})"
                )
        out = []
        for row in self.rows:
            if all(row.get(k, "") == v for k, v in (where or {}).items()):
                out.append(row[name])
        return out


def data_path(name: str | Path, base: Path | None = None) -> Path:
    """Resolve a data file: as given, relative to ``base``, then in the shipped data folder.

    Raises
    ------
    InvalidInputError
        If no such file exists.
    """
    candidate = Path(name)
    tried = [candidate]
    if candidate.is_file():
        return candidate
    if not candidate.is_absolute():
        if base is not None:
            tried.append(base / candidate)
        tried.append(DATA_DIR / candidate)
        for path in tried[1:]:
            if path.is_file():
                return path
    raise InvalidInputError(
        f"Data file '{name}' not found (looked in: {', '.join(str(t) for t in tried)})"
    )


def read_lexicon(
    path: str | Path,
    *,
    required: Sequence[str] = (),
    problems: ProblemLog | None = None,
    base: Path | None = None,
) -> Lexicon:
    """Read a CSV lexicon, leaving out malformed rows.

    Parameters
    ----------
    path : str or Path
        The file, or the name of a shipped lexicon (e.g. ``"first_names.csv"``).
    required : sequence of str
        Columns that must exist in the header and be non-empty in every row.
    problems : ProblemLog, optional
        Where malformed rows are recorded; a fresh non-strict log when omitted (then the
        problems are lost: pass one to read them).
    base : Path, optional
        Directory to resolve a relative ``path`` against before the shipped data folder.

    Returns
    -------
    Lexicon

    Raises
    ------
    InvalidInputError
        If the file is missing, unreadable, has no header, or lacks a required column (the file
        cannot be used at all); and for any malformed row when ``problems.strict`` is set.
    """
    log = problems if problems is not None else ProblemLog()
    resolved = data_path(path, base)
    try:
        text = resolved.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"Cannot read lexicon {resolved}: {exc}") from None
    header: tuple[str, ...] | None = None
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        try:
            fields = next(csv.reader(io.StringIO(raw), strict=True))
        except csv.Error as exc:
            log.add(f"{resolved.name}:{lineno}", f"cannot parse the row ({exc}); row left out")
            continue
        fields = [f.strip() for f in fields]
        if header is None:
            header = tuple(fields)
            missing = [c for c in required if c not in header]
            if missing:
                raise InvalidInputError(
                    f"{resolved.name}:{lineno}: the header lacks the column(s) "
                    f"{', '.join(missing)} (header: {', '.join(header)})"
                )
            continue
        if len(fields) != len(header):
            log.add(
                f"{resolved.name}:{lineno}",
                f"expected {len(header)} fields ({','.join(header)}), got {len(fields)}; "
                "row left out",
            )
            continue
        row = dict(zip(header, fields, strict=True))
        empty = [c for c in required if not row[c]]
        if empty:
            log.add(
                f"{resolved.name}:{lineno}",
                f"empty required field(s) {', '.join(empty)}; row left out",
            )
            continue
        rows.append(row)
        lines.append(lineno)
    if header is None:
        raise InvalidInputError(f"{resolved.name}: no header row")
    return Lexicon(path=resolved, columns=header, rows=tuple(rows), lines=tuple(lines))


def read_json(path: Path) -> object:
    """Parse a JSON file; an unreadable file is an :class:`InvalidInputError` naming it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"Cannot read {path}: {exc}") from None
