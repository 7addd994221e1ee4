"""Escalation webhooks: Slack/Teams-compatible JSON posts, retried, every delivery recorded.

A policy's escalation ``contacts`` may name webhooks: ``https://...`` (or ``http://`` for a
receiver on the same host or network), or ``webhook:ENV_VAR`` to read the URL from an
environment variable at delivery time, so a secret URL (Slack's carry their token in the path)
never enters the policy, the store or a page. Other contacts (mailing lists, channel names) are
left alone.

Each (event, target) pair is delivered at most once: the delivery row is claimed under a unique
key before the first attempt, so two server processes never both post. A failed attempt is
retried ``attempts - 1`` times with exponential backoff; the row records the count, the last
error (status code or exception type, never the URL) and the outcome.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from equilens._hash import sha256_hex
from equilens.server._db import ServerDB

__all__ = ["WebhookSettings", "deliver", "is_webhook", "message_payload", "shown_target"]

_ENV = re.compile(r"^webhook:([A-Za-z_][A-Za-z0-9_]*)$")


@dataclass(frozen=True)
class WebhookSettings:
    attempts: int = 4
    backoff_seconds: float = 0.5
    timeout_seconds: float = 5.0


def is_webhook(contact: str) -> bool:
    """Whether an escalation contact names a webhook."""
    return contact.startswith(("https://", "http://")) or bool(_ENV.match(contact))


def shown_target(contact: str) -> str:
    """The target as shown in pages: scheme and host only (a path may hold a token)."""
    if _ENV.match(contact):
        return contact
    parts = urlsplit(contact)
    return f"{parts.scheme}://{parts.hostname or '?'}{f':{parts.port}' if parts.port else ''}/…"


def _resolve(contact: str) -> str:
    found = _ENV.match(contact)
    if found is None:
        return contact
    url = os.environ.get(found.group(1), "")
    if not url.startswith(("https://", "http://")):
        raise LookupError(f"environment variable {found.group(1)} holds no http(s) URL")
    return url


def message_payload(title: str, lines: Iterable[str], link: str | None = None) -> dict[str, str]:
    """``{"text": ...}``: read by Slack incoming webhooks and Teams' incoming-webhook
    connectors alike (plain text, no markup from the data)."""
    body = "\n".join([title, *lines, *([link] if link else [])])
    return {"text": body[:3000]}


def deliver(
    db: ServerDB,
    event_key: str,
    contact: str,
    payload: dict[str, str],
    settings: WebhookSettings,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> str | None:
    """Post ``payload`` to ``contact`` unless this event already went there.

    Returns the final status (``delivered`` or ``failed``), or None when it was claimed before.
    """
    text = json.dumps(payload, sort_keys=True)
    delivery = db.claim_delivery(event_key, sha256_hex(contact), shown_target(contact), text)
    if delivery is None:
        return None
    error: str | None = None
    attempts = 0
    try:
        url = _resolve(contact)
    except LookupError as exc:
        db.finish_delivery(delivery, status="failed", attempts=0, error=str(exc))
        return "failed"
    with httpx.Client(timeout=settings.timeout_seconds, follow_redirects=False) as client:
        for attempt in range(settings.attempts):
            attempts = attempt + 1
            try:
                response = client.post(
                    url, content=text, headers={"Content-Type": "application/json"}
                )
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__} (no response)"
            else:
                if 200 <= response.status_code < 300:
                    db.finish_delivery(delivery, status="delivered", attempts=attempts, error=None)
                    return "delivered"
                error = f"HTTP {response.status_code}"
            if attempt + 1 < settings.attempts:
                sleep(settings.backoff_seconds * 2**attempt)
    db.finish_delivery(delivery, status="failed", attempts=attempts, error=error)
    return "failed"
