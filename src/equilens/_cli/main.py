"""The ``equilens`` command: one module per subcommand, errors mapped to exit codes.

Exit codes: 0 success, 1 gate blocked (reserved for ``equilens gate``), 2 bad input or usage,
3 internal error.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Sequence

from equilens import _progress
from equilens._redact import redact_text
from equilens._text import clean_text
from equilens._version import __version__
from equilens.exceptions import EquilensError

# Subcommand -> module with ``register(sub)``. Only the module of the command being run is
# imported, so `equilens gate` does not pay for numpy/scipy and `equilens audit` not for
# SQLAlchemy; `equilens --help` imports them all.
_COMMANDS: dict[str, str] = {
    "audit": "equilens._cli.audit",
    "demo": "equilens._cli.demo",
    "probe": "equilens._cli.probe",
    "gate": "equilens._cli.gate",
    "history": "equilens._cli.history",
    "verify-history": "equilens._cli.history",
    "validate": "equilens._cli.validate",
    "report": "equilens._cli.report",
    "card": "equilens._cli.card",
    "datasheet": "equilens._cli.card",
    "check-claims": "equilens._cli.card",
    "compare": "equilens._cli.compare",
    "monitor": "equilens._cli.monitor",
    "serve": "equilens._cli.serve",
    "users": "equilens._cli.users",
    "slices": "equilens._cli.slices",
    "mitigate": "equilens._cli.mitigate",
    "speech": "equilens._cli.speech",
    "images": "equilens._cli.images",
    "safety": "equilens._cli.safety",
    "agreement": "equilens._cli.agreement",
    "textmetrics": "equilens._cli.textmetrics",
}

EXIT_OK = 0
EXIT_BLOCKED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line, like every other error (the usage is one --help away).
        sys.stderr.write(f"{self.prog}: error: {_one_line(message)} (see {self.prog} --help)\n")
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every subcommand (or only ``command``'s, when it is known)."""
    parser = _Parser(
        prog="equilens",
        description="Audit a model's performance and fairness with statistical evidence.",
    )
    parser.add_argument("--version", action="version", version=f"equilens {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    modules = [_COMMANDS[command]] if command in _COMMANDS else list(_COMMANDS.values())
    for name in dict.fromkeys(modules):
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (also used as the process exit status)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    if args.command is None:
        sys.stderr.write("equilens: error: no command given (see equilens --help)\n")
        return EXIT_BAD_INPUT
    # --quiet on any subcommand: no progress bar or spinner either (see equilens._progress).
    quiet = _progress.silenced() if getattr(args, "quiet", False) else contextlib.nullcontext()
    try:
        with quiet:
            code: int = args.handler(args)
    except EquilensError as exc:
        sys.stderr.write(f"equilens: error: {_one_line(str(exc))}\n")
        return EXIT_BAD_INPUT
    except OSError as exc:
        # A file the user named cannot be read or written (a folder where a file should be,
        # no permission, a full disk): their input, not our bug.
        if exc.filename is None:
            return _internal(exc)
        sys.stderr.write(
            f"equilens: error: cannot use {exc.filename}: {_one_line(exc.strerror or str(exc))}\n"
        )
        return EXIT_BAD_INPUT
    except RecursionError:
        sys.stderr.write("equilens: error: an input is nested too deeply to read\n")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        sys.stderr.write("equilens: interrupted\n")
        return EXIT_INTERNAL
    except Exception as exc:
        return _internal(exc)
    return code


def _internal(exc: BaseException) -> int:
    sys.stderr.write(
        f"equilens: internal error: {type(exc).__name__}: {_one_line(str(exc))}\n"
        "Please report this at the equilens issue tracker with the command you ran.\n"
    )
    return EXIT_INTERNAL


def _one_line(message: str) -> str:
    """The message on one line, with no control or bidi character and every secret masked."""
    return redact_text(" ".join(clean_text(message).split()))


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()
