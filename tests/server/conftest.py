"""Dashboard fixtures: a run store with real audits and gate decisions, users of every role,
and a Starlette test client that logs in through the login form (CSRF included)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from _data import make_frame
from _server import PASSWORD, Clock, Site, fill_store
from equilens import audit
from equilens.results import AuditLog
from equilens.server import ROLES, ServerConfig, ServerDB, add_user, create_app
from equilens.store import RunStore

# The PostgreSQL server fixture of the store tests (one server per test session).
_spec = importlib.util.spec_from_file_location(
    "_store_conftest", Path(__file__).resolve().parents[1] / "store" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
_store_conftest = importlib.util.module_from_spec(_spec)
sys.modules["_store_conftest"] = _store_conftest
_spec.loader.exec_module(_store_conftest)
postgres_server = _store_conftest.postgres_server
pg_url = _store_conftest.pg_url


@pytest.fixture(scope="session")
def server_logs() -> list[AuditLog]:
    """Three small real audit logs of one model (different data seeds)."""
    return [
        audit(
            make_frame(n=500, seed=seed),
            y_true="y",
            y_pred="pred",
            y_score="score",
            sensitive_features=["race", "sex"],
            bootstrap=50,
            seed=seed,
        )
        for seed in range(3)
    ]


@pytest.fixture
def site_factory(tmp_path: Path, server_logs: list[AuditLog]) -> Iterator[Callable[..., Site]]:
    opened: list[RunStore] = []

    def build(url: str | None = None, **overrides: Any) -> Site:
        store = fill_store(url or f"sqlite:///{tmp_path / 'history.db'}", server_logs)
        opened.append(store)
        clock = Clock()
        config = replace(ServerConfig(scan_seconds=0, clock=clock), **overrides)
        db = ServerDB(store, clock)
        for role in ROLES:
            add_user(db, role, role, PASSWORD)
        app = create_app(config, store=store)

        def make(**kwargs: Any) -> TestClient:
            return TestClient(app, **kwargs)

        return Site(store, db, config, clock, make)

    yield build
    for store in opened:
        store.close()


@pytest.fixture
def site(site_factory: Callable[..., Site]) -> Site:
    return site_factory()


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with small costs in tests (the production defaults cost ~0.1-0.5 s a hash)."""
    from argon2 import PasswordHasher

    from equilens.server import _auth

    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(_auth, "_HASHER", hasher)
    monkeypatch.setattr(_auth, "_DUMMY_HASH", hasher.hash("equilens-no-such-user"))
