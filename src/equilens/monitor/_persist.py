"""The monitor's state directory: ``monitor.json``, written atomically, one writer at a time."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from equilens._files import write_text_atomic
from equilens.exceptions import InvalidInputError
from equilens.monitor._state import MonitorState

__all__ = ["STATE_FILE", "load_state", "locked", "save_state"]

STATE_FILE = "monitor.json"
_LOCK_FILE = ".lock"


def save_state(state: MonitorState, directory: str | Path) -> Path:
    """Write the state to ``directory/monitor.json`` atomically (temp file, fsync, rename)."""
    target_dir = Path(directory)
    if target_dir.exists() and not target_dir.is_dir():
        raise InvalidInputError(f"--state {directory} exists and is not a directory")
    target = write_text_atomic(target_dir / STATE_FILE, state.model_dump_json(indent=1))
    with contextlib.suppress(OSError):  # make the rename durable where the OS allows it
        fd = os.open(target_dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return target


def load_state(directory: str | Path) -> MonitorState:
    """Read ``directory/monitor.json``."""
    path = Path(directory) / STATE_FILE
    if not path.is_file():
        raise InvalidInputError(
            f"No monitor state at {path}; create one with equilens monitor init --state {directory}"
        )
    try:
        return MonitorState.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError, RecursionError) as exc:  # RecursionError: too deep
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidInputError(f"The monitor state {path} is not valid: {first}") from None


@contextlib.contextmanager
def locked(directory: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on the state directory (POSIX ``flock``; released on exit)."""
    target_dir = Path(directory)
    target_dir.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield
        return
    with open(target_dir / _LOCK_FILE, "a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise InvalidInputError(
                f"The monitor state {directory} is in use by another equilens monitor command"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
