"""A disk cache of model outputs that survives a crash mid-run.

One SQLite file in WAL mode. An entry is keyed by a *namespace* (a hash of the model's
fingerprint, the task, the settings and the input columns) and the row's content hash; its value
is the output as JSON. Each batch is written in one transaction, so a process killed mid-write
leaves the file with whole batches only: SQLite rolls back the unfinished one when the file is
next opened. Several processes may share a file (SQLite locks it; writers wait up to
``timeout`` seconds).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from equilens.exceptions import InvalidInputError, InvalidParameterError

__all__ = ["MAX_ENTRY_BYTES", "OutputCache", "default_cache_path"]

_SCHEMA_VERSION = 1
_CHUNK = 500  # SQLite's default limit on host parameters is 999 (older builds).

#: Largest output (its JSON, in bytes) the cache keeps by default; a larger one is not cached
#: (it is recomputed next time), so one runaway model cannot grow the file without bound.
MAX_ENTRY_BYTES = 1024 * 1024


def default_cache_path() -> Path:
    """``$EQUILENS_CACHE_DIR/outputs.sqlite``, else ``$XDG_CACHE_HOME/equilens/outputs.sqlite``,
    else ``~/.cache/equilens/outputs.sqlite``."""
    base = os.environ.get("EQUILENS_CACHE_DIR")
    if base:
        return Path(base).expanduser() / "outputs.sqlite"
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return root / "equilens" / "outputs.sqlite"


class OutputCache:
    """Model outputs on disk, keyed by model fingerprint, settings and input hash.

    Parameters
    ----------
    path:
        The SQLite file (created with its folder if missing, readable by its owner only).
    timeout:
        Seconds to wait for another process's write lock.
    max_entry_bytes:
        Outputs whose JSON is longer are not stored (counted in ``skipped``).

    Examples
    --------
    >>> cache = OutputCache(tmp / "outputs.sqlite")  # doctest: +SKIP
    >>> result = run_adapter(adapter, "predict", df, cache=cache)  # doctest: +SKIP
    >>> cache.clear()  # doctest: +SKIP
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = 30.0,
        max_entry_bytes: int = MAX_ENTRY_BYTES,
    ) -> None:
        if (
            isinstance(max_entry_bytes, bool)
            or not isinstance(max_entry_bytes, int)
            or max_entry_bytes < 1
        ):
            raise InvalidParameterError(
                "The 'max_entry_bytes' parameter of OutputCache must be an int in the range "
                f"[1, inf). Got {max_entry_bytes!r} instead."
            )
        self.path = Path(path).expanduser()
        self.max_entry_bytes = max_entry_bytes
        self.skipped = 0
        """Outputs not stored because they were longer than ``max_entry_bytes``."""
        self._lock = threading.Lock()
        created = not self.path.exists()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
            if created:
                os.chmod(self.path, 0o600)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS namespaces (namespace TEXT PRIMARY KEY, "
                "description TEXT NOT NULL, created REAL NOT NULL)"
            )
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS outputs (namespace TEXT NOT NULL, key BLOB NOT NULL, "
                "value TEXT NOT NULL, PRIMARY KEY (namespace, key)) WITHOUT ROWID"
            )
            self._conn.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(_SCHEMA_VERSION),)
            )
        except sqlite3.DatabaseError as exc:
            raise InvalidInputError(
                f"The output cache '{self.path}' cannot be used: {exc}. Delete it or choose "
                "another cache path."
            ) from None
        except OSError as exc:
            raise InvalidInputError(
                f"The output cache '{self.path}' cannot be created: {exc.strerror or exc}."
            ) from None

    # --- keys --------------------------------------------------------------------------------

    @staticmethod
    def namespace_for(parts: Mapping[str, Any]) -> str:
        """The namespace of a set of key parts (model fingerprint, task, settings, columns)."""
        text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def register_namespace(self, namespace: str, description: Mapping[str, Any]) -> None:
        """Record what a namespace is (for ``entries()``); never holds secrets."""
        text = json.dumps(description, sort_keys=True, default=str)
        with self._lock:
            self._conn.execute(
                "INSERT OR IGNORE INTO namespaces VALUES (?, ?, ?)", (namespace, text, time.time())
            )

    # --- reads and writes ----------------------------------------------------------------------

    def get_many(self, namespace: str, keys: Sequence[bytes]) -> dict[bytes, Any]:
        """The cached outputs of ``keys`` that exist (a corrupt value counts as missing)."""
        found: dict[bytes, Any] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT key, value FROM outputs WHERE namespace = ? AND key IN ({marks})",
                    (namespace, *chunk),
                ).fetchall()
                for key, value in rows:
                    try:
                        found[bytes(key)] = json.loads(value)
                    except json.JSONDecodeError:
                        continue
        return found

    def put_many(self, namespace: str, items: Iterable[tuple[bytes, Any]]) -> int:
        """Store outputs in one transaction (all or none of them); returns how many.

        Outputs longer than ``max_entry_bytes`` (as JSON) are left out and counted in
        ``skipped``.
        """
        rows = []
        for key, value in items:
            text = json.dumps(value, allow_nan=False)
            if len(text.encode()) > self.max_entry_bytes:
                self.skipped += 1
                continue
            rows.append((namespace, key, text))
        if not rows:
            return 0
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?)", rows)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        return len(rows)

    def clear(self, namespace: str | None = None) -> int:
        """Delete every entry (or those of one namespace) and shrink the file; returns how many."""
        with self._lock:
            if namespace is None:
                n = self._conn.execute("DELETE FROM outputs").rowcount
                self._conn.execute("DELETE FROM namespaces")
            else:
                n = self._conn.execute(
                    "DELETE FROM outputs WHERE namespace = ?", (namespace,)
                ).rowcount
                self._conn.execute("DELETE FROM namespaces WHERE namespace = ?", (namespace,))
            self._conn.execute("VACUUM")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return int(n)

    def __len__(self) -> int:
        with self._lock:
            row = self._conn.execute("SELECT COUNT(*) FROM outputs").fetchone()
        return int(row[0])

    def entries(self) -> dict[str, int]:
        """Number of entries per namespace description (JSON text)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT COALESCE(n.description, o.namespace), COUNT(*) FROM outputs o "
                "LEFT JOIN namespaces n ON n.namespace = o.namespace GROUP BY o.namespace"
            ).fetchall()
        return {str(k): int(v) for k, v in rows}

    def integrity_ok(self) -> bool:
        """Whether SQLite's integrity check passes on the file."""
        with self._lock:
            row = self._conn.execute("PRAGMA integrity_check").fetchone()
        return bool(row and row[0] == "ok")

    def close(self) -> None:
        """Close the file (further use raises)."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> OutputCache:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"OutputCache({str(self.path)!r})"
