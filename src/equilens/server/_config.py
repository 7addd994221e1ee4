"""Settings of the dashboard (``equilens serve`` options, or :func:`create_app` arguments)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from equilens.policy import Policy
from equilens.server._webhooks import WebhookSettings

__all__ = ["ServerConfig"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ServerConfig:
    """How the dashboard runs.

    Attributes
    ----------
    store_url : str, optional
        The run store (see :func:`equilens.store.resolve_store_url`).
    session_minutes : int
        Lifetime of a login session.
    secure_cookies : bool, optional
        Mark cookies ``Secure``; None (default) does so when the request came over HTTPS
        (behind a proxy: run uvicorn with ``--proxy-headers``, as ``equilens serve`` does).
    max_body_bytes : int
        Largest request body (a bias report with its attachment); larger: HTTP 413.
    max_attachment_bytes : int
        Largest attachment of a bias report.
    intake_limit, intake_window_seconds :
        Bias reports accepted per client address (and per user) per window.
    login_limit, login_window_seconds :
        Login attempts per client address per window.
    probe_dir : Path, optional
        Folder where probe cases made from confirmed reports are written as suite YAML files
        (the next ``equilens probe --suite FILE`` run reads them).
    escalation_policy : Policy, optional
        Whose ``block`` escalation route hears of high-severity bias reports (default: the
        policy of the newest stored gate decision).
    scan_seconds : float
        How often new blocking decisions and alarms are looked for (0: never in background).
    clock : callable
        The current time (UTC), for tests.
    """

    store_url: str | None = None
    session_minutes: int = 480
    secure_cookies: bool | None = None
    max_body_bytes: int = 2_000_000
    max_attachment_bytes: int = 1_000_000
    intake_limit: int = 10
    intake_window_seconds: float = 60.0
    login_limit: int = 10
    login_window_seconds: float = 60.0
    probe_dir: Path | None = None
    escalation_policy: Policy | None = None
    scan_seconds: float = 15.0
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    clock: Callable[[], datetime] = _utc_now
