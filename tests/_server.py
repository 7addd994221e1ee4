"""Helpers of the dashboard tests (fixtures are in tests/server/conftest.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.testclient import TestClient

from equilens.policy import Policy, decide, parse_policy
from equilens.results import AuditLog
from equilens.server import ServerConfig, ServerDB
from equilens.store import RunStore

PASSWORD = "correct horse battery"
HOOK_POLICY = {
    "kind": "policy",
    "name": "dashboard-test",
    "rules": [
        {
            "id": "eod",
            "criterion": "equalized_odds_difference",
            "on": "ci_high",
            "op": ">",
            "threshold": 0.0,
            "severity": "block",
        }
    ],
}


def policy_with(contacts: list[str]) -> Policy:
    raw = (
        {**HOOK_POLICY, "escalation": {"block": {"contacts": contacts}}}
        if contacts
        else HOOK_POLICY
    )
    return parse_policy(raw)


class Clock:
    """A settable UTC clock."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def fill_store(url: str, logs: list[AuditLog], policy: Policy | None = None) -> RunStore:
    store = RunStore(url)
    policy = policy or policy_with([])
    store.record(logs[0], actor="ci")
    for log in logs:
        store.record(
            log, actor="ci", decision=decide(log, policy, today=date(2025, 6, 1)), policy=policy
        )
    return store


@dataclass
class Site:
    """An app over a filled store, its clock and a way to log in as each role."""

    store: RunStore
    db: ServerDB
    config: ServerConfig
    clock: Clock
    make: Callable[..., TestClient]

    def client(self, role: str | None = None, **kwargs: Any) -> TestClient:
        client = self.make(**kwargs)
        if role is not None:
            login(client, role)
        return client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def login(client: TestClient, name: str, password: str = PASSWORD) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:300]


def form_token(client: TestClient, path: str = "/models") -> str:
    return csrf_of(client.get(path).text)


def report_fields(**overrides: str) -> dict[str, str]:
    fields = {
        "model": "predictions 'pred'",
        "prompt": "Loan application from a woman, 34, nurse",
        "observed": "declined",
        "expected": "approved, as for the same application from a man",
        "affected_group": "female",
        "severity": "medium",
    }
    return {**fields, **overrides}
