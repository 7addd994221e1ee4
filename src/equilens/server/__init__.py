"""The dashboard: runs, trends, history checks and a bias-report intake, over the run store.

>>> from equilens.server import ServerConfig, create_app
>>> app = create_app(ServerConfig(store_url="sqlite:///history.db"))  # doctest: +SKIP

Run it with ``equilens serve --store URL``; create users with ``equilens users add``.
"""

from equilens.server._app import create_app
from equilens.server._auth import ROLES, Principal, add_user, check_account, has_role
from equilens.server._config import ServerConfig
from equilens.server._db import ServerDB
from equilens.server._escalate import scan
from equilens.server._intake import SEVERITIES, STATUSES, TRANSITIONS, ProbeCase, probe_suite
from equilens.server._thread import running_server
from equilens.server._webhooks import WebhookSettings, deliver, is_webhook, shown_target

__all__ = [
    "ROLES",
    "SEVERITIES",
    "STATUSES",
    "TRANSITIONS",
    "Principal",
    "ProbeCase",
    "ServerConfig",
    "ServerDB",
    "WebhookSettings",
    "add_user",
    "check_account",
    "create_app",
    "deliver",
    "has_role",
    "is_webhook",
    "probe_suite",
    "running_server",
    "scan",
    "shown_target",
]
