"""Where the run store lives: ``--store URL``, else ``$EQUILENS_STORE``, else a SQLite file."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from equilens.exceptions import InvalidInputError

#: Environment variable naming the store (a SQLAlchemy URL or a SQLite file path).
ENV_VAR = "EQUILENS_STORE"

#: The default store, relative to the project root.
DEFAULT_PATH = Path(".equilens") / "history.db"


def project_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` that has ``.equilens/``, ``.git`` or a
    ``pyproject.toml``; ``start`` itself when there is none."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (
            (folder / ".equilens").is_dir()
            or (folder / ".git").exists()
            or (folder / "pyproject.toml").is_file()
        ):
            return folder
    return start


def resolve_store_url(url: str | None = None, *, cwd: Path | None = None) -> str:
    """The SQLAlchemy URL of the run store.

    Parameters
    ----------
    url : str, optional
        ``sqlite:///PATH``, ``postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB`` (``postgresql://``
        is read as psycopg 3), or a plain file path (a SQLite file). When omitted,
        ``$EQUILENS_STORE``; when that is unset, ``.equilens/history.db`` in the project root
        (see :func:`project_root`).
    cwd : Path, optional
        Where to start looking for the project root (the working directory by default).

    Returns
    -------
    str
        The URL (SQLite paths made absolute).

    Raises
    ------
    InvalidInputError
        For a URL that cannot be parsed or names another database.
    """
    chosen = url or os.environ.get(ENV_VAR) or ""
    base = cwd or Path.cwd()
    if not chosen:
        return f"sqlite:///{project_root(base) / DEFAULT_PATH}"
    if "://" not in chosen:
        path = Path(chosen).expanduser()
        return f"sqlite:///{path if path.is_absolute() else (base / path).resolve()}"
    try:
        parsed = make_url(chosen)
    except ArgumentError:
        raise InvalidInputError(f"Cannot parse the store URL '{chosen}'") from None
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend != "sqlite":
        raise InvalidInputError(
            f"Unsupported store URL scheme '{parsed.drivername}': use sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST:PORT/DATABASE"
        )
    elif parsed.drivername != "sqlite":
        parsed = parsed.set(drivername="sqlite")
    return parsed.render_as_string(hide_password=False)


def display_url(url: str | URL) -> str:
    """``url`` with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable URL>"
