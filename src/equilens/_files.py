"""Writing output files so that a crash never leaves a half-written one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from equilens.exceptions import InvalidInputError

__all__ = ["ensure_dir", "path_problem", "write_text_atomic"]

# Mode of new files: what ``open(path, "w")`` would give under the current umask.
_DEFAULT_MODE = 0o666


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def path_problem(path: str | Path, *, directory: bool) -> str | None:
    """Why ``path`` cannot be written as a directory (or a file), or None when it can.

    Checks what can be known before writing: a file where a folder is needed (the path itself
    or one of its parents), a folder where a file is needed, and the permission to create or
    replace it in the nearest existing folder.
    """
    target = Path(path)
    if target.exists() or target.is_symlink():
        if directory and not target.is_dir():
            return "exists and is not a directory"
        if not directory and target.is_dir():
            return "is a directory, not a file"
        if directory:
            if not os.access(target, os.W_OK | os.X_OK):
                return "is not writable (permission denied)"
            return None
    parent = target.parent
    while not parent.exists():
        if parent.is_symlink():  # a dangling link cannot be made into a folder
            return f"its folder {parent} is a broken link"
        parent = parent.parent
    if not parent.is_dir():
        return f"{parent} is a file, not a directory"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot write in {parent} (permission denied)"
    return None


def ensure_dir(path: str | Path, what: str) -> Path:
    """Create the folder ``path`` (and its parents); one-line error naming ``what`` if not."""
    folder = Path(path)
    problem = path_problem(folder, directory=True)
    if problem is not None:
        raise InvalidInputError(f"Cannot write {what} {folder}: {problem}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInputError(f"Cannot create {what} {folder}: {exc.strerror or exc}") from None
    return folder


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and a rename.

    The parent folder is created if missing. Readers see the old file or the new one, never
    a part of it. The temporary file has a unique name in the same folder (created with
    ``O_EXCL``, so an existing file or link of that name is never followed), is flushed to
    disk before the rename and removed if anything fails. A new file gets the usual mode
    (0666 less the umask); a replaced file keeps its mode.

    Raises
    ------
    InvalidInputError
        When the path cannot be written (a folder where the file should be, a file where a
        folder is needed, no permission, a full disk); the message names the path.
    """
    target = Path(path)
    problem = path_problem(target, directory=False)
    if problem is not None:
        raise InvalidInputError(f"Cannot write {target}: {problem}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            mode = target.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = _DEFAULT_MODE & ~_umask()
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise InvalidInputError(f"Cannot write {target}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        if isinstance(exc, OSError):
            raise InvalidInputError(f"Cannot write {target}: {exc.strerror or exc}") from None
        raise
    return target
