"""The CLI's console and progress line; the rendering itself lives in :mod:`equilens.report`."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from equilens.report import print_summary, terminal

__all__ = ["print_summary", "progress_printer", "terminal"]


@contextlib.contextmanager
def progress_printer(quiet: bool) -> Iterator[Callable[[str], None] | None]:
    """A status line naming the running step (stderr), or nothing when quiet."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    console = terminal(stderr=True)
    with console.status("auditing...") as status:

        def update(step: str) -> None:
            status.update(f"auditing: {step}...")

        yield update
