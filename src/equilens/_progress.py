"""Progress for long steps: a bar or a spinner on a terminal (stderr), nothing on a pipe.

The whole API is three context managers and a switch:

>>> from equilens import _progress
>>> with _progress.steps("auditing") as step:  # a spinner naming the running step
...     step("reading")
...     step("bootstrap")
>>> with _progress.bar("scoring", total=500) as advance:  # a bar with a count
...     for batch in range(5):
...         advance(100)
>>> with _progress.silenced():  # e.g. under --quiet: nothing is drawn inside
...     pass

Nothing is drawn when stderr is not a terminal (a pipe, a file, CI logs), when
``EQUILENS_PROGRESS=0`` is set, or inside :func:`silenced`; the callbacks are then no-ops, so
callers never test for a terminal themselves. Progress goes to stderr, so stdout stays clean
for ``--format json`` and for files. Rich is imported only when something is drawn.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["active", "bar", "silenced", "steps"]

_silenced = [0]
# One live display at a time: a bar opened inside a spinner (model inference inside an
# audit step) takes the spinner's place instead of fighting it for the cursor.
_live: list[Any] = []


def active() -> bool:
    """Whether progress is drawn here: stderr is a terminal and nobody silenced it."""
    if _silenced[0] or os.environ.get("EQUILENS_PROGRESS", "").strip() == "0":
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """Draw no progress inside this block (``--quiet``, ``--format json``)."""
    _silenced[0] += 1
    try:
        yield
    finally:
        _silenced[0] -= 1


def _console() -> Any:
    from equilens.report import terminal

    return terminal(stderr=True)


@contextlib.contextmanager
def steps(label: str) -> Iterator[Callable[[str], None]]:
    """A spinner reading ``label: STEP (elapsed)``; yields ``step(name)`` to name each step."""
    if not active() or _live:
        yield lambda name: None
        return
    console = _console()
    start = time.perf_counter()
    with console.status(f"{label}...") as status:
        _live.append(status)

        def step(name: str) -> None:
            status.update(f"{label}: {name} ({time.perf_counter() - start:.0f} s so far)...")

        try:
            yield step
        finally:
            _live.pop()


@contextlib.contextmanager
def bar(label: str, total: int | None = None) -> Iterator[Callable[..., None]]:
    """A progress bar with a count and the time left; yields ``advance(n=1, total=None)``.

    ``total`` may be given (or corrected) later through ``advance(0, total=N)``.
    """
    if not active():
        yield lambda n=1, total=None: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    outer = _live[-1] if _live else None
    if outer is not None:
        outer.stop()
    try:
        with Progress(
            "{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=_console(),
            transient=True,
        ) as progress:
            task = progress.add_task(label, total=total)

            def advance(n: int = 1, total: int | None = None) -> None:
                if total is not None:
                    progress.update(task, total=total)
                progress.advance(task, n)

            yield advance
    finally:
        if outer is not None:
            outer.start()
