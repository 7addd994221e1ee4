"""The run store on SQLite and PostgreSQL: round trip, hash chain, tampering, migrations."""

from __future__ import annotations

import itertools
import json
import pathlib
from typing import Any

import pytest
import sqlalchemy as sa

from equilens._cli.main import main
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.policy import GateDecision, Policy, content_hash
from equilens.results import AuditLog
from equilens.store import GENESIS_HASH, RunStore, chain_hash, resolve_store_url
from equilens.store._schema import MIGRATIONS, Migration, migrate, schema_version
from equilens.store._store import _sqlite_transactions


def raw_sql(url: str, statement: str) -> None:
    """Change the database behind the store's back."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(statement))
    engine.dispose()


def fill(
    url: str,
    logs: list[AuditLog],
    decisions: list[GateDecision],
    policy: Policy,
    clock: Any = None,
) -> RunStore:
    store = RunStore(url, clock=clock)
    store.record(logs[0], actor="alice")
    store.record(logs[0], actor="alice", decision=decisions[0], policy=policy)
    store.record(logs[1], actor="bob", decision=decisions[1], policy=policy)
    store.record(logs[2], actor="carol", decision=decisions[2], policy=policy)
    return store


def test_round_trip(
    store_url: str, logs: list[AuditLog], decisions: list[GateDecision], policy: Policy
) -> None:
    with fill(store_url, logs, decisions, policy) as store:
        records = store.records()
        assert [(r.seq, r.kind, r.actor) for r in records] == [
            (1, "audit", "alice"),
            (2, "decision", "alice"),
            (3, "decision", "bob"),
            (4, "decision", "carol"),
        ]
        assert records[0].prev_hash == GENESIS_HASH
        for prev, rec in itertools.pairwise(records):
            assert rec.prev_hash == prev.record_hash
        for rec, log in zip(records[1:], logs):
            assert rec.log_hash == content_hash(log)
            assert store.get_log(rec.log_hash) == log
            assert rec.policy_hash == content_hash(policy)
        assert store.get_policy(content_hash(policy)) == policy
        assert store.get_decision(1) is None
        assert store.get_decision(2) == decisions[0]
        assert [r.verdict for r in records] == [None, *(d.verdict for d in decisions)]
        assert [r.seq for r in store.records(limit=2)] == [3, 4]
        assert store.head() == records[-1]
        report = store.verify()
        assert report.ok and report.records == 4 and report.head_hash == records[-1].record_hash
    # The audit logged twice is stored once (content-addressed).
    engine = sa.create_engine(store_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM equilens_audits")).scalar() == 3
    engine.dispose()


def test_record_hash_covers_previous_hash_and_fields(sqlite_url: str, logs: list[AuditLog]) -> None:
    with RunStore(sqlite_url) as store:
        rec = store.record(logs[0], actor="alice")
    assert rec.record_hash == chain_hash(GENESIS_HASH, rec.chained_fields())
    assert rec.record_hash != chain_hash("1" * 64, rec.chained_fields())


def test_record_rejects_mismatched_decision(
    sqlite_url: str, logs: list[AuditLog], decisions: list[GateDecision], policy: Policy
) -> None:
    with RunStore(sqlite_url) as store:
        with pytest.raises(InvalidParameterError, match="decision on this log"):
            store.record(logs[1], actor="x", decision=decisions[0], policy=policy)
        with pytest.raises(InvalidParameterError, match="required with a decision"):
            store.record(logs[0], actor="x", decision=decisions[0])
        assert store.records() == []


@pytest.mark.parametrize(
    ("statement", "broken", "needle"),
    [
        ("UPDATE equilens_records SET verdict = 'pass' WHERE seq = 3", 3, "record 3 was changed"),
        ("UPDATE equilens_records SET actor = 'mallory' WHERE seq = 1", 1, "record 1 was changed"),
        (
            "UPDATE equilens_records SET decision_json = REPLACE(decision_json, "
            '\'"verdict":"block"\', \'"verdict":"pass"\') WHERE seq = 2',
            2,
            "decision stored with record 2 was changed",
        ),
        (
            "UPDATE equilens_audits SET log_json = REPLACE(log_json, '\"n\":', '\"n\": ')",
            1,
            "audit log of record 1",
        ),
        (
            "UPDATE equilens_policies SET policy_json = REPLACE(policy_json, '0.2', '0.9')",
            2,
            "policy of record 2",
        ),
        ("DELETE FROM equilens_records WHERE seq = 2", 2, "record 2 is missing"),
        (
            "UPDATE equilens_records SET prev_hash = record_hash WHERE seq = 4",
            4,
            "does not link to record 3",
        ),
    ],
)
def test_tampering_is_detected(
    store_url: str,
    logs: list[AuditLog],
    decisions: list[GateDecision],
    policy: Policy,
    capsys: pytest.CaptureFixture[str],
    statement: str,
    broken: int,
    needle: str,
) -> None:
    fill(store_url, logs, decisions, policy).close()
    assert main(["verify-history", "--store", store_url]) == 0
    raw_sql(store_url, statement)
    with RunStore(store_url) as store:
        report = store.verify()
    assert not report.ok
    assert report.first_broken == broken
    assert report.problem is not None and needle in report.problem
    capsys.readouterr()
    assert main(["verify-history", "--store", store_url]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"history broken at record {broken}: ")


def test_rewriting_a_record_with_a_fresh_hash_breaks_the_next_link(
    sqlite_url: str, logs: list[AuditLog], decisions: list[GateDecision], policy: Policy
) -> None:
    with fill(sqlite_url, logs, decisions, policy) as store:
        rec = store.records()[2]
    forged = {**rec.chained_fields(), "verdict": "pass"}
    new_hash = chain_hash(rec.prev_hash, forged)
    raw_sql(
        sqlite_url,
        f"UPDATE equilens_records SET verdict = 'pass', record_hash = '{new_hash}' "
        f"WHERE seq = {rec.seq}",
    )
    with RunStore(sqlite_url) as store:
        report = store.verify()
    assert (report.ok, report.first_broken) == (False, 4)


def test_removing_the_newest_records_is_caught_with_a_kept_head(
    sqlite_url: str,
    logs: list[AuditLog],
    decisions: list[GateDecision],
    policy: Policy,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with fill(sqlite_url, logs, decisions, policy) as store:
        head = store.records()[-1].record_hash
    assert main(["verify-history", "--store", sqlite_url, "--head", head]) == 0
    raw_sql(sqlite_url, "DELETE FROM equilens_records WHERE seq = 4")
    # Without an anchor the shorter chain is still consistent...
    assert main(["verify-history", "--store", sqlite_url]) == 0
    # ...with the head kept from before, the removal shows.
    capsys.readouterr()
    assert main(["verify-history", "--store", sqlite_url, "--head", head]) == 1
    assert "is not in the chain" in capsys.readouterr().out


def test_history_cli(
    sqlite_url: str,
    logs: list[AuditLog],
    decisions: list[GateDecision],
    policy: Policy,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fill(sqlite_url, logs, decisions, policy).close()
    assert main(["history", "--store", sqlite_url, "--limit", "2"]) == 0
    out = capsys.readouterr().out
    assert "bob" in out and "carol" in out and "alice" not in out
    assert main(["history", "--store", sqlite_url, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["seq"] for r in rows] == [1, 2, 3, 4]
    assert main(["history", "--store", sqlite_url, "--limit", "0"]) == 2


def test_read_commands_do_not_create_a_store(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nothing.db"
    assert main(["verify-history", "--store", str(missing)]) == 2
    assert main(["history", "--store", str(missing)]) == 2
    assert "No run store at" in capsys.readouterr().err
    assert not missing.exists()


def test_unreachable_postgres_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connection refused
        code = main(["verify-history", "--store", f"postgresql://nobody:secret@127.0.0.1:{port}/x"])
    assert code == 2
    err = capsys.readouterr().err
    assert "Cannot open the run store postgresql+psycopg://nobody:***@127.0.0.1" in err
    assert "secret" not in err


# -- where the store lives -----------------------------------------------------------------


def test_store_url_resolution(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "proj"
    (project / "src" / "pkg").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname='x'\n")
    monkeypatch.delenv("EQUILENS_STORE", raising=False)
    deep = project / "src" / "pkg"
    assert resolve_store_url(cwd=deep) == f"sqlite:///{project.resolve()}/.equilens/history.db"
    monkeypatch.setenv("EQUILENS_STORE", "postgresql://u@h:5/db")
    assert resolve_store_url(cwd=deep) == "postgresql+psycopg://u@h:5/db"
    assert resolve_store_url("runs.db", cwd=deep) == f"sqlite:///{deep.resolve()}/runs.db"
    assert resolve_store_url("sqlite:////abs/x.db") == "sqlite:////abs/x.db"
    with pytest.raises(InvalidInputError, match="Unsupported store URL scheme 'mysql"):
        resolve_store_url("mysql+pymysql://u@h/db")


def test_default_store_is_created_beside_the_project(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, logs: list[AuditLog]
) -> None:
    (tmp_path / ".git").mkdir()
    sub = tmp_path / "notebooks"
    sub.mkdir()
    monkeypatch.chdir(sub)
    monkeypatch.delenv("EQUILENS_STORE", raising=False)
    with RunStore() as store:
        store.record(logs[0], actor="x")
    assert (tmp_path / ".equilens" / "history.db").is_file()


# -- migrations -----------------------------------------------------------------------------


def test_migrations_are_versioned_and_idempotent(store_url: str, logs: list[AuditLog]) -> None:
    with RunStore(store_url) as store:
        assert store.schema_version == MIGRATIONS[-1].version == 3
        store.record(logs[0], actor="x")
    with RunStore(store_url) as again:  # reopening applies nothing and keeps the data
        assert again.schema_version == MIGRATIONS[-1].version and len(again.records()) == 1
    engine = sa.create_engine(store_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT version FROM equilens_schema_versions")).all()
    engine.dispose()
    assert sorted(r[0] for r in rows) == [m.version for m in MIGRATIONS] == [1, 2, 3]


def test_store_from_a_newer_equilens_is_refused(sqlite_url: str) -> None:
    RunStore(sqlite_url).close()
    raw_sql(
        sqlite_url,
        "INSERT INTO equilens_schema_versions (version, name, applied_at) "
        "VALUES (99, 'future', '2030-01-01')",
    )
    with pytest.raises(InvalidInputError, match="schema version 99, newer than this equilens"):
        RunStore(sqlite_url)


def test_migration_runner_applies_missing_versions_in_one_transaction(
    tmp_path: pathlib.Path,
) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    _sqlite_transactions(engine)  # as the store opens SQLite: transactional DDL
    applied: list[int] = []

    def step(n: int) -> Migration:
        def apply(conn: sa.Connection) -> None:
            conn.execute(sa.text(f"CREATE TABLE t{n} (x INTEGER)"))
            applied.append(n)

        return Migration(n, f"step {n}", apply)

    with engine.begin() as conn:
        assert migrate(conn, (step(1),)) == 1
    with engine.begin() as conn:
        assert migrate(conn, (step(1), step(2), step(3))) == 3
    assert applied == [1, 2, 3]

    def broken(conn: sa.Connection) -> None:
        conn.execute(sa.text("CREATE TABLE t4 (x INTEGER)"))
        raise RuntimeError("migration 4 fails")

    with pytest.raises(RuntimeError), engine.begin() as conn:
        migrate(conn, (step(1), step(2), step(3), Migration(4, "broken", broken)))
    with engine.connect() as conn:
        assert schema_version(conn) == 3
        tables = sa.inspect(conn).get_table_names()
    engine.dispose()
    assert "t3" in tables and "t4" not in tables  # the failed migration left nothing


def test_concurrent_writers_keep_one_chain(
    sqlite_url: str, logs: list[AuditLog], tmp_path: pathlib.Path
) -> None:
    import subprocess
    import sys

    from equilens.results import write_log

    write_log(logs[0], tmp_path / "a.json")
    script = (
        "import sys\n"
        "from equilens.results import read_log\n"
        "from equilens.store import RunStore\n"
        "log = read_log(sys.argv[2])\n"
        "with RunStore(sys.argv[1]) as s:\n"
        "    for i in range(8):\n"
        "        s.record(log, actor=sys.argv[3])\n"
    )
    RunStore(sqlite_url).close()
    procs = [
        subprocess.Popen([sys.executable, "-c", script, sqlite_url, str(tmp_path / "a.json"), w])
        for w in ("w1", "w2", "w3")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    with RunStore(sqlite_url) as store:
        records = store.records()
        assert store.verify().ok
    assert [r.seq for r in records] == list(range(1, 25))
    assert sorted(r.actor for r in records) == ["w1"] * 8 + ["w2"] * 8 + ["w3"] * 8


def test_in_memory_sqlite_store(logs: list[AuditLog]) -> None:
    with RunStore("sqlite://") as store:
        store.record(logs[0], actor="a")
        store.record(logs[1], actor="b")
        assert [r.seq for r in store.records()] == [1, 2]
        assert store.verify().ok
