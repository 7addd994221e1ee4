"""``equilens safety``: safety of generated text (red-team suites, factual accuracy by slice).

Minimal host of the nested subcommands; each subcommand's module registers itself.
"""

from __future__ import annotations

from typing import Any

from equilens._cli.safety_redteam import register_qa, register_redteam


def register(sub: Any) -> None:
    p = sub.add_parser("safety", help="safety of generated text: red-team suites, QA by slice")
    nested = p.add_subparsers(
        dest="safety_command", metavar="SAFETY_COMMAND", required=True, parser_class=type(p)
    )
    register_redteam(nested)
    register_qa(nested)
