"""``equilens serve``: the dashboard over the run store (uvicorn, one process).

The store is opened (and migrated) before the server starts, so an unreachable or unreadable
store is one line and exit 2, not a traceback from a worker.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from equilens._cli.history import _STORE_HELP
from equilens.exceptions import InvalidParameterError


def register(sub: Any) -> None:
    """Add the ``serve`` subcommand."""
    p = sub.add_parser(
        "serve",
        help="web dashboard of runs, trends and history, with a bias-report intake",
        description="Serve the dashboard over the run store: models and runs with their "
        "reports and gate decisions, trends per group, run diffs, the history check, and a "
        "bias-report intake with triage. Users: 'equilens users add'. Put it behind a TLS "
        "reverse proxy (see docs/dashboard.md).",
    )
    p.add_argument("--store", metavar="URL", help=_STORE_HELP)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--session-minutes", type=int, default=480, help="login session lifetime (480)")
    p.add_argument(
        "--probe-dir",
        metavar="DIR",
        help="write probe cases made from confirmed bias reports here (suite YAML files)",
    )
    p.add_argument(
        "--escalation-policy",
        metavar="FILE",
        help="policy whose 'block' escalation webhooks hear of high-severity bias reports "
        "(default: the policy of the newest stored gate decision)",
    )
    p.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        help="proxies trusted for X-Forwarded-For/-Proto (default 127.0.0.1)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run ``equilens serve``."""
    if not 0 < args.port < 65536:
        raise InvalidParameterError(f"--port must be in 1-65535, got {args.port}")
    if not 1 <= args.session_minutes <= 60 * 24 * 30:
        raise InvalidParameterError(
            f"--session-minutes must be in 1-43200, got {args.session_minutes}"
        )
    try:
        import uvicorn

        from equilens.server import ServerConfig, create_app
    except ImportError as exc:
        raise InvalidParameterError(
            f"equilens serve needs the server extra (pip install 'equilens[server]'): {exc.name}"
        ) from None
    from equilens.policy import load_policy
    from equilens.store import RunStore

    policy = load_policy(args.escalation_policy) if args.escalation_policy else None
    store = RunStore(args.store, create=False)
    config = ServerConfig(
        store_url=store.url,
        session_minutes=args.session_minutes,
        probe_dir=Path(args.probe_dir) if args.probe_dir else None,
        escalation_policy=policy,
    )
    app = create_app(config, store=store)
    try:
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            proxy_headers=True,
            forwarded_allow_ips=args.forwarded_allow_ips,
            server_header=False,
            log_level="info",
        )
    finally:
        store.close()
    return 0
