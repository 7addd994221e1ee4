"""``equilens validate``: check an audit spec (and its columns) or a policy file."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    """Add the ``validate`` subcommand."""
    p = sub.add_parser(
        "validate",
        help="validate an audit spec or policy file",
        description="Validate an audit spec (keys, types, and that every named column exists "
        "in the data source) or a policy file (recognised by 'kind: policy', or by 'rules' "
        "without 'data'). Exit 0 when valid, 2 otherwise (one line naming file and line).",
    )
    p.add_argument("file", help="audit spec or policy (YAML)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run ``equilens validate``."""
    from equilens._text import clean_text
    from equilens.policy import is_policy_file, load_policy
    from equilens.spec import validate_spec

    if is_policy_file(args.file):
        policy = load_policy(args.file)
        sys.stdout.write(
            clean_text(
                f"{args.file}: valid policy '{policy.name}' ({len(policy.rules)} rule(s), "
                f"{len(policy.exemptions)} exemption(s))"
            )
            + "\n"
        )
        return 0

    spec = validate_spec(args.file)
    source = spec.data.path or f"dataset {spec.data.dataset}"
    sys.stdout.write(
        clean_text(
            f"{args.file}: valid audit spec ({source}; {len(spec.sensitive_features)} sensitive "
            f"feature(s); outputs to {spec.outputs.dir})"
        )
        + "\n"
    )
    return 0
