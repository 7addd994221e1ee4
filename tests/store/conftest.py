"""Run-store fixtures: small real audit logs, and a real PostgreSQL server on loopback.

The PostgreSQL server comes from Debian's packages (``apt-get install postgresql``; the
binaries live in ``/usr/lib/postgresql/<version>/bin``). The session fixture runs ``initdb``
into a temporary folder, starts the server on 127.0.0.1 on a free port (as the ``postgres``
user when the tests run as root: PostgreSQL refuses to run as root), and stops it at the end.
Where it cannot start, the PostgreSQL tests are skipped with the reason; set
``EQUILENS_REQUIRE_POSTGRES=1`` (CI) to make that a failure instead.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NoReturn

import pytest

from _data import make_frame
from equilens import audit
from equilens.policy import GateDecision, Policy, decide, parse_policy
from equilens.results import AuditLog


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("EQUILENS_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required (EQUILENS_REQUIRE_POSTGRES=1) but {reason}")
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


def _pg_bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(os.path.realpath(found)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2] or 0)
    )
    for folder in reversed(candidates):
        if (Path(folder) / "pg_ctl").exists() and (Path(folder) / "initdb").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PgServer]:
    """A PostgreSQL server on 127.0.0.1 for this test session (skips when it cannot start)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed (pip install 'psycopg[binary]')")
    bindir = _pg_bindir()
    if bindir is None:
        _unavailable("no pg_ctl/initdb found (Debian: apt-get install postgresql)")
    prefix: list[str] = []
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            runuser = None
        if runuser is None:
            _unavailable("running as root without runuser and a 'postgres' user to run the server")
        prefix = [str(runuser), "-u", "postgres", "--"]
    # As root, the server's folder must be reachable by the postgres user: not under a
    # root-only temporary folder.
    base = "/tmp" if prefix and os.path.isdir("/tmp") else None
    root = Path(tempfile.mkdtemp(prefix="equilens-pg-", dir=base))
    if prefix:
        shutil.chown(root, "postgres", "postgres")
    data, logfile = root / "data", root / "server.log"

    def run(*cmd: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*prefix, *cmd], capture_output=True, text=True, timeout=timeout, check=False
        )

    init = run(
        str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
        "-E", "UTF8", "--locale=C", "--no-sync",
    )  # fmt: skip
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        _unavailable(f"initdb failed: {init.stderr.strip()[-300:]}")
    started = None
    for _ in range(3):
        port = _free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        start = run(
            str(bindir / "pg_ctl"), "-D", str(data), "-l", str(logfile), "-o", options,
            "-w", "-t", "60", "start",
        )  # fmt: skip
        if start.returncode == 0:
            started = port
            break
    if started is None:
        tail = logfile.read_text()[-300:] if logfile.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        _unavailable(f"the server did not start: {tail.strip()}")
    try:
        yield PgServer("127.0.0.1", started, "postgres")
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_url(postgres_server: PgServer) -> Iterator[str]:
    """A fresh, empty database on the session's server; dropped afterwards."""
    import psycopg

    name = f"equilens_{uuid.uuid4().hex[:12]}"
    admin = {"host": postgres_server.host, "port": postgres_server.port, "user": "postgres"}
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_server.url(name)
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'history.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


POLICY = {
    "kind": "policy",
    "name": "store-test",
    "rules": [
        {
            "id": "eod",
            "criterion": "equalized_odds_difference",
            "on": "ci_high",
            "op": ">",
            "threshold": 0.2,
            "severity": "block",
        },
        {
            "id": "fpr",
            "comparison": "false_positive_rate",
            "on": "abs_difference",
            "op": ">",
            "threshold": 0.05,
            "also": [{"on": "p_holm", "op": "<", "threshold": 0.05}],
            "severity": "warn",
        },
    ],
}


@pytest.fixture(scope="session")
def policy() -> Policy:
    return parse_policy(POLICY)


@pytest.fixture(scope="session")
def logs() -> list[AuditLog]:
    """Three small real audit logs (different data seeds)."""
    return [
        audit(
            make_frame(n=600, seed=seed),
            y_true="y",
            y_pred="pred",
            y_score="score",
            sensitive_features=["race", "sex"],
            bootstrap=50,
            seed=seed,
        )
        for seed in range(3)
    ]


@pytest.fixture(scope="session")
def decisions(logs: list[AuditLog], policy: Policy) -> list[GateDecision]:
    return [decide(log, policy, today=date(2025, 6, 1)) for log in logs]


class FixedClock:
    """A clock that ticks one second per call, from a fixed start."""

    def __init__(self) -> None:
        self.now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def clock_factory() -> type[FixedClock]:
    """Makes independent fixed clocks (one per store in a comparison)."""
    return FixedClock
