"""The run store: every audit and gate decision, in a hash chain, in SQLite or PostgreSQL.

Each call to :meth:`RunStore.record` is one transaction: the audit log and policy (stored once,
keyed by their content hashes) and one new *record* of the chain are written together or not at
all, so a crash mid-write loses nothing already stored and leaves no half record. Appends are
serialised (SQLite ``BEGIN IMMEDIATE``; a PostgreSQL transaction-level advisory lock), and the
chain's sequence numbers and previous-hash links are unique, so two writers can never fork it.

A record's hash is ``sha256(previous record's hash + canonical JSON of the record)``; the
record names the content hashes of its log, policy and decision. :meth:`RunStore.verify` rehashes
every record and stored document, so editing, deleting or reordering anything stored is
detected, and it names the first broken record. Removing the *newest* records cannot be seen
from inside the chain: compare the head hash with one kept elsewhere (``--head``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, Engine, create_engine, event, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool, StaticPool

from equilens._files import ensure_dir
from equilens._hash import canonical_json, model_json, sha256_hex
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.policy import GateDecision, Policy
from equilens.results import AuditLog
from equilens.store._schema import audits, migrate, policies, records
from equilens.store._url import display_url, resolve_store_url

#: ``prev_hash`` of the first record.
GENESIS_HASH = "0" * 64

#: Key of the PostgreSQL advisory lock that serialises writers of one database.
_PG_LOCK_KEY = 0x65716C6E  # "eqln"

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class StoredRecord(BaseModel):
    """One record of the chain: an audit, or an audit and its gate decision."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int
    """Position in the chain, from 1."""
    kind: Literal["audit", "decision"]
    stored_at: str
    """UTC time the record was written, ISO 8601."""
    actor: str
    """Who ran it (``--actor``, ``$EQUILENS_ACTOR`` or ``$USER``)."""
    run_id: str
    log_hash: str
    policy_hash: str | None = None
    policy_name: str | None = None
    verdict: str | None = None
    decision_hash: str | None = None
    prev_hash: str
    record_hash: str

    def chained_fields(self) -> dict[str, Any]:
        """The fields the record's hash covers (besides the previous hash)."""
        return self.model_dump(exclude={"prev_hash", "record_hash"})


class ChainReport(BaseModel):
    """The result of :meth:`RunStore.verify`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ok: bool
    records: int
    """Records checked."""
    head_hash: str | None
    """Hash of the newest record (None for an empty store)."""
    first_broken: int | None = None
    """Sequence number of the first record that fails a check."""
    problem: str | None = None
    """What is wrong, in one sentence."""


def chain_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """The hash of a record: SHA-256 of the previous hash followed by the record's JSON."""
    return sha256_hex(prev_hash + canonical_json(fields))


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _clean_actor(actor: str) -> str:
    cleaned = _CONTROL.sub(" ", actor).strip()[:200]
    return cleaned or "unknown"


class RunStore:
    """The history of audits and gate decisions (SQLite by default, PostgreSQL by URL).

    Parameters
    ----------
    url : str, optional
        SQLAlchemy URL or SQLite path; see :func:`equilens.store.resolve_store_url` for the
        defaults (``$EQUILENS_STORE``, then ``.equilens/history.db`` in the project root).
    create : bool
        Create a missing SQLite file (default). With False a missing file is an error, so
        read-only commands never create an empty store by mistake.
    clock : callable, optional
        Returns the current time (UTC); for reproducible tests.

    Raises
    ------
    InvalidInputError
        When the store cannot be opened (bad URL, server unreachable, missing file with
        ``create=False``) or was written by a newer equilens.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        create: bool = True,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.url = resolve_store_url(url)
        self._clock = clock or _utc_now
        self._engine = self._open_engine(create)
        self._is_sqlite = self._engine.dialect.name == "sqlite"
        try:
            with self._write() as conn:
                self.schema_version = migrate(conn)
        except SQLAlchemyError as exc:
            self._engine.dispose()
            raise InvalidInputError(
                f"Cannot open the run store {display_url(self.url)}: {_first_line(exc)}"
            ) from None
        except BaseException:
            self._engine.dispose()
            raise

    def _open_engine(self, create: bool) -> Engine:
        shown = display_url(self.url)
        if make_url(self.url).get_backend_name() == "sqlite":
            database = make_url(self.url).database or ""
            if database in ("", ":memory:"):
                # One shared connection, or every connection would see a new empty database.
                engine = create_engine(self.url, poolclass=StaticPool)
            else:
                file = Path(database)
                if file.is_dir():
                    raise InvalidInputError(f"The run store {file} is a directory, not a file")
                if not file.exists():
                    if not create:
                        raise InvalidInputError(f"No run store at {file} (nothing stored yet)")
                    ensure_dir(file.parent, "the run store's folder")
                engine = create_engine(self.url, poolclass=NullPool, connect_args={"timeout": 30})
            _sqlite_transactions(engine)
            return engine
        try:
            return create_engine(self.url, pool_pre_ping=True)
        except (SQLAlchemyError, ImportError) as exc:
            raise InvalidInputError(f"Cannot open the run store {shown}: {exc}") from None

    # -- transactions ---------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A transaction holding the store's write lock; commits on success."""
        engine = self._engine.execution_options(equilens_write=True)
        with engine.connect() as conn, conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn, conn.begin():
                yield conn
        except SQLAlchemyError as exc:
            raise InvalidInputError(
                f"Cannot read the run store {display_url(self.url)}: {_first_line(exc)}"
            ) from None

    # -- writing --------------------------------------------------------------------------

    def record(
        self,
        log: AuditLog,
        *,
        actor: str,
        decision: GateDecision | None = None,
        policy: Policy | None = None,
    ) -> StoredRecord:
        """Store an audit log, or an audit log with its gate decision, as one new record.

        Parameters
        ----------
        log : AuditLog
            The audit log.
        actor : str
            Who ran it.
        decision : GateDecision, optional
            The gate's decision on ``log``; then ``policy`` is required too.
        policy : Policy, optional
            The policy the decision applied (stored, so the decision can be recomputed).

        Returns
        -------
        StoredRecord
            The new record, with its sequence number and hashes.

        Raises
        ------
        InvalidParameterError
            A decision without its policy, or one made on another log or policy.
        """
        log_text = model_json(log)
        log_hash = sha256_hex(log_text)
        policy_text = decision_text = None
        if decision is not None:
            if policy is None:
                raise InvalidParameterError(
                    "The 'policy' parameter of RunStore.record is required with a decision."
                )
            policy_text = model_json(policy)
            if decision.log_hash != log_hash or decision.policy_hash != sha256_hex(policy_text):
                raise InvalidParameterError(
                    "The 'decision' parameter of RunStore.record must be the decision on this "
                    "log and policy (its log_hash or policy_hash differs)."
                )
            decision_text = model_json(decision)
        elif policy is not None:
            raise InvalidParameterError(
                "The 'policy' parameter of RunStore.record needs a decision."
            )
        try:
            with self._write() as conn:
                self._insert_documents(conn, log, log_text, log_hash, policy, policy_text)
                return self._append_record(
                    conn,
                    kind="decision" if decision is not None else "audit",
                    actor=_clean_actor(actor),
                    run_id=log.run_id,
                    log_hash=log_hash,
                    policy=policy,
                    decision=decision,
                    decision_text=decision_text,
                )
        except SQLAlchemyError as exc:
            raise InvalidInputError(
                f"Cannot write to the run store {display_url(self.url)}: {_first_line(exc)}"
            ) from None

    def _insert_documents(
        self,
        conn: Connection,
        log: AuditLog,
        log_text: str,
        log_hash: str,
        policy: Policy | None,
        policy_text: str | None,
    ) -> None:
        have = conn.execute(select(audits.c.log_hash).where(audits.c.log_hash == log_hash))
        if have.first() is None:
            conn.execute(
                insert(audits).values(
                    log_hash=log_hash, run_id=log.run_id, created=log.created, log_json=log_text
                )
            )
        if policy is not None and policy_text is not None:
            policy_hash = sha256_hex(policy_text)
            found = conn.execute(
                select(policies.c.policy_hash).where(policies.c.policy_hash == policy_hash)
            ).first()
            if found is None:
                conn.execute(
                    insert(policies).values(
                        policy_hash=policy_hash, name=policy.name, policy_json=policy_text
                    )
                )

    def _append_record(
        self,
        conn: Connection,
        *,
        kind: Literal["audit", "decision"],
        actor: str,
        run_id: str,
        log_hash: str,
        policy: Policy | None,
        decision: GateDecision | None,
        decision_text: str | None,
    ) -> StoredRecord:
        head = conn.execute(
            select(records.c.seq, records.c.record_hash).order_by(records.c.seq.desc()).limit(1)
        ).first()
        seq = 1 if head is None else int(head.seq) + 1
        prev_hash = GENESIS_HASH if head is None else str(head.record_hash)
        fields: dict[str, Any] = {
            "seq": seq,
            "kind": kind,
            "stored_at": self._clock().astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": actor,
            "run_id": run_id,
            "log_hash": log_hash,
            "policy_hash": decision.policy_hash if decision else None,
            "policy_name": policy.name if policy else None,
            "verdict": decision.verdict if decision else None,
            "decision_hash": sha256_hex(decision_text) if decision_text else None,
        }
        record = StoredRecord(
            **fields, prev_hash=prev_hash, record_hash=chain_hash(prev_hash, fields)
        )
        conn.execute(insert(records).values(**record.model_dump(), decision_json=decision_text))
        return record

    # -- reading --------------------------------------------------------------------------

    def records(self, *, limit: int | None = None) -> list[StoredRecord]:
        """The records in chain order (the newest ``limit`` when given)."""
        cols = [c for c in records.c if c.name != "decision_json"]
        query = select(*cols).order_by(records.c.seq.desc() if limit else records.c.seq)
        if limit:
            query = query.limit(limit)
        with self._read() as conn:
            rows = [StoredRecord(**row._asdict()) for row in conn.execute(query)]
        return sorted(rows, key=lambda r: r.seq)

    def head(self) -> StoredRecord | None:
        """The newest record, or None for an empty store."""
        newest = self.records(limit=1)
        return newest[0] if newest else None

    def get_log(self, log_hash: str) -> AuditLog:
        """The stored audit log with this content hash."""
        with self._read() as conn:
            text_ = conn.execute(
                select(audits.c.log_json).where(audits.c.log_hash == log_hash)
            ).scalar()
        if text_ is None:
            raise InvalidInputError(f"No audit log {log_hash} in the run store")
        return AuditLog.model_validate_json(text_)

    def get_policy(self, policy_hash: str) -> Policy:
        """The stored policy with this content hash."""
        with self._read() as conn:
            text_ = conn.execute(
                select(policies.c.policy_json).where(policies.c.policy_hash == policy_hash)
            ).scalar()
        if text_ is None:
            raise InvalidInputError(f"No policy {policy_hash} in the run store")
        return Policy.model_validate_json(text_)

    def get_decision(self, seq: int) -> GateDecision | None:
        """The decision stored with record ``seq`` (None for an audit-only record)."""
        with self._read() as conn:
            row = conn.execute(select(records.c.decision_json).where(records.c.seq == seq)).first()
        if row is None:
            raise InvalidInputError(f"No record {seq} in the run store")
        return (
            None
            if row.decision_json is None
            else GateDecision.model_validate_json(row.decision_json)
        )

    # -- verification ---------------------------------------------------------------------

    def verify(self, *, head: str | None = None) -> ChainReport:
        """Check the whole chain and every stored document against its hash.

        Parameters
        ----------
        head : str, optional
            A record hash kept elsewhere (e.g. printed by an earlier run): the chain must
            still contain it, which detects removal of the newest records.

        Returns
        -------
        ChainReport
            ``ok`` and the count, or the first broken record and what is wrong with it.
        """
        checked: dict[tuple[str, str], bool] = {}
        expected_seq, prev, count = 1, GENESIS_HASH, 0
        seen_head = head is None
        with self._read() as conn:
            for row in conn.execute(select(records).order_by(records.c.seq)):
                data = row._asdict()
                decision_text = data.pop("decision_json")
                record = StoredRecord(**data)
                problem = self._check(conn, record, decision_text, expected_seq, prev, checked)
                if problem is not None:
                    first = min(record.seq, expected_seq)
                    return ChainReport(
                        ok=False, records=count, head_hash=prev, first_broken=first, problem=problem
                    )
                count += 1
                expected_seq, prev = record.seq + 1, record.record_hash
                seen_head = seen_head or record.record_hash == head
        head_hash = prev if count else None
        if not seen_head:
            return ChainReport(
                ok=False,
                records=count,
                head_hash=head_hash,
                first_broken=expected_seq,
                problem=f"record hash {head} is not in the chain: records after it were removed "
                "or the chain was rewritten",
            )
        return ChainReport(ok=True, records=count, head_hash=head_hash)

    def _check(
        self,
        conn: Connection,
        record: StoredRecord,
        decision_text: str | None,
        expected_seq: int,
        prev: str,
        checked: dict[tuple[str, str], bool],
    ) -> str | None:
        if record.seq != expected_seq:
            return f"record {expected_seq} is missing (the next record is {record.seq})"
        if record.prev_hash != prev:
            return (
                f"record {record.seq} does not link to record {record.seq - 1} (its previous "
                "hash differs): a record before it was changed, removed or reordered"
            )
        if chain_hash(prev, record.chained_fields()) != record.record_hash:
            return f"record {record.seq} was changed after it was stored (its hash differs)"
        if (record.decision_hash is None) != (decision_text is None) or (
            decision_text is not None and sha256_hex(decision_text) != record.decision_hash
        ):
            return f"the decision stored with record {record.seq} was changed (hash differs)"
        if not self._document_ok(conn, "log", record.log_hash, checked):
            return (
                f"the audit log of record {record.seq} ({record.log_hash[:12]}) is missing or "
                "was changed (its hash differs)"
            )
        if record.policy_hash is not None and not self._document_ok(
            conn, "policy", record.policy_hash, checked
        ):
            return (
                f"the policy of record {record.seq} ({record.policy_hash[:12]}) is missing or "
                "was changed (its hash differs)"
            )
        return None

    @staticmethod
    def _document_ok(
        conn: Connection, kind: str, digest: str, checked: dict[tuple[str, str], bool]
    ) -> bool:
        key = (kind, digest)
        if key not in checked:
            if kind == "log":
                query = select(audits.c.log_json).where(audits.c.log_hash == digest)
            else:
                query = select(policies.c.policy_json).where(policies.c.policy_hash == digest)
            stored = conn.execute(query).scalar()
            checked[key] = stored is not None and sha256_hex(stored) == digest
        return checked[key]

    # -- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Release the store's connections."""
        self._engine.dispose()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RunStore({display_url(self.url)!r})"


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    message = str(orig if orig is not None else exc).strip().splitlines()
    return message[0] if message else type(exc).__name__


def _sqlite_transactions(engine: Engine) -> None:
    """Make pysqlite transactions real: BEGIN (IMMEDIATE for writers), transactional DDL."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("equilens_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
