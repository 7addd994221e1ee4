"""The CLI's console and progress line; the rendering itself lives in :mod:`equilens.report`."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from equilens import _progress
from equilens.report import print_summary, terminal

__all__ = ["print_summary", "progress_printer", "terminal"]


@contextlib.contextmanager
def progress_printer(quiet: bool) -> Iterator[Callable[[str], None] | None]:
    """A spinner naming the running step (stderr, on a terminal), or nothing when quiet: then
    no progress at all is drawn inside the block (model inference's bar included)."""
    if quiet:
        with _progress.silenced():
            yield None
        return
    with _progress.steps("auditing") as step:
        yield lambda name: step(_STEP_NAMES.get(name, name))


#: What the audit's step names mean on screen (the log's ``timings`` keep the short names).
_STEP_NAMES = {
    "statistics": "reading and counting rows",
    "bootstrap": "bootstrap draws",
    "metrics": "metrics and intervals",
    "criteria": "fairness criteria",
    "comparisons": "tests and corrections",
}
