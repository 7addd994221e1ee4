"""``equilens validate``: check an audit spec (and its columns) without running it."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    """Add the ``validate`` subcommand."""
    p = sub.add_parser(
        "validate",
        help="validate an audit spec file",
        description="Validate an audit spec: keys, types, and that every named column exists "
        "in the data source. Exit 0 when valid, 2 otherwise (one line naming file and line).",
    )
    p.add_argument("file", help="audit spec (YAML)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run ``equilens validate``."""
    from equilens.spec import validate_spec

    spec = validate_spec(args.file)
    source = spec.data.path or f"dataset {spec.data.dataset}"
    sys.stdout.write(
        f"{args.file}: valid audit spec ({source}; {len(spec.sensitive_features)} sensitive "
        f"feature(s); outputs to {spec.outputs.dir})\n"
    )
    return 0
