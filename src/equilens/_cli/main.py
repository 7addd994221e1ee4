"""The ``equilens`` command: one module per subcommand, errors mapped to exit codes.

Exit codes: 0 success, 1 gate blocked (reserved for ``equilens gate``), 2 bad input or usage,
3 internal error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from equilens._cli import audit as audit_cmd
from equilens._cli import demo as demo_cmd
from equilens._cli import validate as validate_cmd
from equilens._version import __version__
from equilens.exceptions import EquilensError

EXIT_OK = 0
EXIT_BLOCKED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"equilens: error: {message}\n")
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = _Parser(
        prog="equilens",
        description="Audit a model's performance and fairness with statistical evidence.",
    )
    parser.add_argument("--version", action="version", version=f"equilens {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    audit_cmd.register(sub)
    demo_cmd.register(sub)
    validate_cmd.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (also used as the process exit status)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        code: int = args.handler(args)
    except EquilensError as exc:
        sys.stderr.write(f"equilens: error: {_one_line(str(exc))}\n")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        sys.stderr.write("equilens: interrupted\n")
        return EXIT_INTERNAL
    except Exception as exc:
        sys.stderr.write(
            f"equilens: internal error: {type(exc).__name__}: {_one_line(str(exc))}\n"
            "Please report this at the equilens issue tracker with the command you ran.\n"
        )
        return EXIT_INTERNAL
    return code


def _one_line(message: str) -> str:
    return " ".join(message.split())


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()
