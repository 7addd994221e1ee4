"""A crash mid-write loses nothing stored; SQLite and PostgreSQL keep the same history."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import time
from typing import Any

import sqlalchemy as sa

from equilens.policy import GateDecision, Policy
from equilens.results import AuditLog, write_log
from equilens.store import RunStore

WRITER = """
import sys
from equilens.results import read_log
from equilens.store import RunStore

log = read_log(sys.argv[2])
with RunStore(sys.argv[1]) as store:
    i = 0
    while True:
        i += 1
        record = store.record(log.model_copy(update={"run_id": f"run-{i}"}), actor="writer")
        print(record.seq, flush=True)
"""

DIES_MID_TRANSACTION = """
import os
import sys
from equilens.results import read_log
from equilens.store import RunStore

log = read_log(sys.argv[2])
store = RunStore(sys.argv[1])
store.record(log, actor="before")
store.record(log.model_copy(update={"run_id": "second"}), actor="before")

def die(*args, **kwargs):
    os._exit(7)  # the audit row of this record is written; the chain record is not

store._append_record = die
store.record(log.model_copy(update={"run_id": "third"}), actor="lost")
"""


def _count(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar()
    engine.dispose()
    return int(n or 0)


def test_killed_writer_loses_nothing_already_stored(
    store_url: str, logs: list[AuditLog], tmp_path: pathlib.Path
) -> None:
    write_log(logs[0], tmp_path / "audit.json")
    RunStore(store_url).close()  # schema in place before the writer starts
    acknowledged: list[int] = []
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, store_url, str(tmp_path / "audit.json")],
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        deadline = time.monotonic() + 120
        while len(acknowledged) < 6 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            acknowledged.append(int(line))
        time.sleep(0.01)  # land the kill somewhere inside the next write
        os.kill(proc.pid, signal.SIGKILL)
        acknowledged += [int(line) for line in proc.stdout.read().split()]
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert len(acknowledged) >= 6

    with RunStore(store_url) as store:
        report = store.verify()
        seqs = [r.seq for r in store.records()]
        assert report.ok, report.problem
        # Every write the writer saw committed is there; at most one unacknowledged one more.
        assert seqs[: len(acknowledged)] == acknowledged
        assert len(seqs) - len(acknowledged) in (0, 1)
        # The store is usable after the crash.
        store.record(logs[1], actor="after")
        assert store.verify().ok


def test_crash_inside_a_transaction_leaves_no_partial_record(
    store_url: str, logs: list[AuditLog], tmp_path: pathlib.Path
) -> None:
    write_log(logs[0], tmp_path / "audit.json")
    done = subprocess.run(
        [sys.executable, "-c", DIES_MID_TRANSACTION, store_url, str(tmp_path / "audit.json")],
        timeout=120,
        check=False,
    )
    assert done.returncode == 7
    with RunStore(store_url) as store:
        assert [(r.seq, r.actor) for r in store.records()] == [(1, "before"), (2, "before")]
        assert store.verify().ok
    # The third audit's row was written in the same transaction as the lost record: gone too.
    assert _count(store_url, "equilens_audits") == 2


def _run_sequence(
    url: str,
    logs: list[AuditLog],
    decisions: list[GateDecision],
    policy: Policy,
    clock: Any,
) -> RunStore:
    store = RunStore(url, clock=clock)
    store.record(logs[0], actor="alice")
    for log, decision, actor in zip(logs, decisions, ["alice", "bob", "carol"]):
        store.record(log, actor=actor, decision=decision, policy=policy)
    store.record(logs[2], actor="dave")
    return store


def test_sqlite_and_postgresql_store_the_same_history(
    sqlite_url: str,
    pg_url: str,
    logs: list[AuditLog],
    decisions: list[GateDecision],
    policy: Policy,
    clock_factory: Any,
) -> None:
    with (
        _run_sequence(sqlite_url, logs, decisions, policy, clock_factory()) as lite,
        _run_sequence(pg_url, logs, decisions, policy, clock_factory()) as pg,
    ):
        lite_records, pg_records = lite.records(), pg.records()
        assert len(lite_records) == 5
        # Same records, byte for byte, so the same hash chain.
        assert lite_records == pg_records
        assert lite.verify() == pg.verify()
        assert lite.verify().ok
        for rec in lite_records:
            assert lite.get_decision(rec.seq) == pg.get_decision(rec.seq)
            assert lite.get_log(rec.log_hash) == pg.get_log(rec.log_hash)
    for table in ("equilens_audits", "equilens_policies", "equilens_records"):
        assert _count(sqlite_url, table) == _count(pg_url, table)
