"""Options and output shared by the media subcommands (``speech``, ``images``)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from equilens._cli._options import output_dir, split_list
from equilens._cli.audit import add_show_option
from equilens.exceptions import InvalidParameterError
from equilens.results import AuditLog


def add_media_options(p: argparse.ArgumentParser, unit: str) -> None:
    """Manifest, groups, skip share, audit and output options of a media subcommand."""
    p.add_argument("--manifest", required=True, help=f"CSV, JSONL or Parquet: one row per {unit}")
    p.add_argument("--group", help="group columns of the manifest: A[,B] (accent, gender, ...)")
    p.add_argument(
        "--max-skip",
        type=float,
        default=0.05,
        help=f"largest share of {unit}s that may be skipped (unreadable, missing reference) "
        "before the run fails (default 0.05); each skip is logged with its reason",
    )
    p.add_argument("--worst", type=int, default=10, help="examples shown in the report")
    p.add_argument("--cache", help="transcript/prediction cache (SQLite; default: equilens's)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    p.add_argument(
        "--intersections", action="store_true", help="also audit every intersection of groups"
    )
    p.add_argument(
        "--min-group-size",
        type=int,
        default=30,
        help="groups with fewer rows are insufficient_evidence (default 30)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    add_show_option(p)


def groups(args: argparse.Namespace, required: bool = True) -> list[str]:
    """The ``--group`` columns (one line when missing and required)."""
    cols = split_list(args.group)
    if required and not cols:
        raise InvalidParameterError("--group is required: the manifest's group column(s)")
    return cols


def check_common(args: argparse.Namespace) -> Path:
    """The output folder, after checking the shared numeric options."""
    if not 0.0 <= args.max_skip <= 1.0:
        raise InvalidParameterError(f"--max-skip must be between 0 and 1, got {args.max_skip}")
    if args.worst < 0:
        raise InvalidParameterError(f"--worst must be >= 0, got {args.worst}")
    if args.min_group_size < 1:
        raise InvalidParameterError(f"--min-group-size must be >= 1, got {args.min_group_size}")
    return output_dir(args.out, "--out")


@contextlib.contextmanager
def open_cache(args: argparse.Namespace) -> Iterator[Any]:
    """The output cache the options ask for (None with --no-cache)."""
    if args.no_cache:
        yield None
        return
    from equilens.adapters import OutputCache, default_cache_path

    with OutputCache(Path(args.cache) if args.cache else default_cache_path()) as cache:
        yield cache


@contextlib.contextmanager
def progress(args: argparse.Namespace, what: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal (stderr), else nothing."""
    if args.quiet or not sys.stderr.isatty():
        yield None
        return
    from equilens.adapters import progress_bar

    with progress_bar(what) as bar:
        yield lambda done, total: bar("", done, total)


def finish(args: argparse.Namespace, log: AuditLog, out: Path) -> int:
    """Write the report files of ``log`` into ``out``; print the brief summary (as ``audit``
    does) with the files written."""
    from equilens.report import print_brief, print_tables, write_report

    written = write_report(log, out)
    if not args.quiet:
        print_brief(log, files=written)
        if args.show:
            print_tables(log, args.show)
    return 0
