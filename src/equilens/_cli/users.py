"""``equilens users add NAME --role ROLE``: dashboard accounts (password from a prompt or stdin).

The password is never an argument (it would show in ``ps`` and shell history): it is read
from the terminal twice, or, when stdin is not a terminal, from its first line.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from equilens._cli.history import _STORE_HELP
from equilens.exceptions import InvalidInputError

_ROLES = ("viewer", "reporter", "triager", "admin")


def register(sub: Any) -> None:
    """Add the ``users`` subcommand."""
    p = sub.add_parser(
        "users",
        help="dashboard accounts (equilens users add NAME --role ROLE)",
        description="Manage the dashboard's users in the run store.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    add = actions.add_parser(
        "add",
        help="add a user; the password is read from a prompt, or from stdin's first line",
    )
    add.add_argument("name", help="user name (letters, digits, . _ @ -)")
    add.add_argument("--role", required=True, choices=_ROLES, help="what the user may do")
    add.add_argument("--store", metavar="URL", help=_STORE_HELP)
    add.set_defaults(handler=run_add)
    off = actions.add_parser("disable", help="disable a user and end their sessions")
    off.add_argument("name", help="user name")
    off.add_argument("--store", metavar="URL", help=_STORE_HELP)
    off.set_defaults(handler=run_disable)
    ls = actions.add_parser("list", help="list users (names and roles)")
    ls.add_argument("--store", metavar="URL", help=_STORE_HELP)
    ls.set_defaults(handler=run_list)
    p.set_defaults(handler=_no_action)


def _no_action(args: argparse.Namespace) -> int:
    raise InvalidInputError(
        "users needs an action: add, disable or list (see equilens users --help)"
    )


def _password() -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Repeat: ") != first:
            raise InvalidInputError("the two passwords differ")
        return first
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n")


def run_add(args: argparse.Namespace) -> int:
    """Run ``equilens users add``."""
    from equilens.server import ServerDB, add_user, check_account
    from equilens.store import RunStore

    check_account(args.name, args.role)
    with RunStore(args.store) as store:
        db = ServerDB(store, _now)
        if db.user_by_name(args.name) is not None:
            raise InvalidInputError(f"user '{args.name}' already exists")
        add_user(db, args.name, args.role, _password())
    sys.stdout.write(f"added user {args.name} ({args.role})\n")
    return 0


def run_disable(args: argparse.Namespace) -> int:
    """Run ``equilens users disable``."""
    from equilens.server import ServerDB
    from equilens.store import RunStore

    with RunStore(args.store, create=False) as store:
        ServerDB(store, _now).disable_user(args.name)
    sys.stdout.write(f"disabled user {args.name}; their sessions ended\n")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Run ``equilens users list``."""
    from equilens.server import ServerDB
    from equilens.store import RunStore

    with RunStore(args.store, create=False) as store:
        for user in ServerDB(store, _now).list_users():
            state = " (disabled)" if user["disabled"] else ""
            sys.stdout.write(f"{user['name']}\t{user['role']}{state}\n")
    return 0


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)
