"""Tables of the run store and their versioned migrations.

Why hand-written migrations rather than Alembic: the store has a few tables that only ever
grow, it must upgrade itself when any ``equilens`` command opens it (there is no separate
deploy step for a file beside a project), and every migration runs in the same transaction as
the row that records it, on both SQLite and PostgreSQL (both have transactional DDL). A table of
applied versions and an ordered tuple of Python functions does that in a few lines, with no
``env.py``/``alembic.ini`` to locate at run time and no extra dependency. Migrations are
append-only: a released migration is never edited; a schema change adds the next one (and
freezes the table definitions the earlier ones used).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
)

from equilens.exceptions import InvalidInputError

metadata = MetaData()

#: Applied migrations, one row per schema version.
schema_versions = Table(
    "equilens_schema_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    Column("applied_at", String(40), nullable=False),
)

# Schema version 1 -----------------------------------------------------------------------

#: Audit logs, content-addressed: ``log_hash`` is the SHA-256 of ``log_json`` (canonical JSON).
audits = Table(
    "equilens_audits",
    metadata,
    Column("log_hash", String(64), primary_key=True),
    Column("run_id", Text, nullable=False),
    Column("created", Text, nullable=False),
    Column("log_json", Text, nullable=False),
)

#: Policies, content-addressed like audits.
policies = Table(
    "equilens_policies",
    metadata,
    Column("policy_hash", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("policy_json", Text, nullable=False),
)

#: The hash chain: one row per stored audit or gate decision, in order.
records = Table(
    "equilens_records",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("stored_at", String(40), nullable=False),
    Column("actor", Text, nullable=False),
    Column("run_id", Text, nullable=False),
    Column("log_hash", String(64), ForeignKey("equilens_audits.log_hash"), nullable=False),
    Column("policy_hash", String(64), ForeignKey("equilens_policies.policy_hash"), nullable=True),
    Column("policy_name", Text, nullable=True),
    Column("verdict", String(8), nullable=True),
    Column("decision_hash", String(64), nullable=True),
    Column("decision_json", Text, nullable=True),
    Column("prev_hash", String(64), nullable=False, unique=True),
    Column("record_hash", String(64), nullable=False, unique=True),
)


def _v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[audits, policies, records], checkfirst=False)


# Schema version 2 -----------------------------------------------------------------------

#: Alarms raised by ``equilens monitor``; ``alarm_hash`` is the SHA-256 of ``alarm_json``.
monitor_alarms = Table(
    "equilens_monitor_alarms",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("monitor_id", String(64), nullable=False, index=True),
    Column("look", Integer, nullable=False),
    Column("stored_at", String(40), nullable=False),
    Column("actor", Text, nullable=False),
    Column("stream_id", Text, nullable=False),
    Column("severity", String(8), nullable=False),
    Column("retrain", Integer, nullable=False),
    Column("alarm_hash", String(64), nullable=False),
    Column("alarm_json", Text, nullable=False),
)


def _v2(conn: Connection) -> None:
    metadata.create_all(conn, tables=[monitor_alarms], checkfirst=False)


# Schema version 3 -----------------------------------------------------------------------
# The dashboard (``equilens serve``): accounts, sessions, bias reports and their audit trail,
# webhook deliveries, settings. None of these is part of the hash chain.

#: Dashboard users; ``password_hash`` is an argon2id hash (never the password).
users = Table(
    "equilens_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
)

#: Login sessions; the cookie holds a random token, the table only its SHA-256.
sessions = Table(
    "equilens_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("equilens_users.id"), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
)

#: Bias reports sent through the intake (hostile input: stored as given, escaped when shown).
bias_reports = Table(
    "equilens_bias_reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("reporter", Text, nullable=False),
    Column("model", Text, nullable=False),
    Column("prompt", Text, nullable=False),
    Column("observed", Text, nullable=False),
    Column("expected", Text, nullable=False),
    Column("affected_group", Text, nullable=False),
    Column("severity", String(8), nullable=False),
    Column("contact", Text, nullable=True),
    Column("status", String(16), nullable=False),
    Column("duplicate_of", Integer, nullable=True),
    Column("bounty_amount", Float, nullable=True),
    Column("bounty_paid", Boolean, nullable=False, default=False),
    Column("attachment_name", Text, nullable=True),
    Column("attachment_type", Text, nullable=True),
    Column("attachment", LargeBinary, nullable=True),
    Column("probe_yaml", Text, nullable=True),
)

#: Who changed what on a bias report, and when (append only).
bias_report_events = Table(
    "equilens_bias_report_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report_id", Integer, ForeignKey("equilens_bias_reports.id"), nullable=False),
    Column("at", String(40), nullable=False),
    Column("actor", Text, nullable=False),
    Column("field", String(32), nullable=False),
    Column("old_value", Text, nullable=True),
    Column("new_value", Text, nullable=True),
    Column("note", Text, nullable=True),
)

#: Escalation webhooks: one row per (event, target), with its attempts and outcome.
webhook_deliveries = Table(
    "equilens_webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_key", String(64), nullable=False),
    Column("target_hash", String(64), nullable=False),
    Column("target_shown", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("delivered_at", String(40), nullable=True),
    Column("payload_json", Text, nullable=False),
    UniqueConstraint("event_key", "target_hash"),
)

#: Dashboard settings an admin changes at run time (``anonymous_intake``).
server_settings = Table(
    "equilens_server_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)


def _v3(conn: Connection) -> None:
    metadata.create_all(
        conn,
        tables=[
            users,
            sessions,
            bias_reports,
            bias_report_events,
            webhook_deliveries,
            server_settings,
        ],
        checkfirst=False,
    )


@dataclass(frozen=True)
class Migration:
    """One schema version: its number, a description and the function that applies it."""

    version: int
    name: str
    apply: Callable[[Connection], None]


#: Every migration, in order. Append only.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "audits, policies and the hash chain of records", _v1),
    Migration(2, "alarms of equilens monitor", _v2),
    Migration(3, "dashboard users, sessions, bias reports, webhook deliveries, settings", _v3),
)


def schema_version(conn: Connection) -> int:
    """The store's schema version (0 for an empty database)."""
    schema_versions.create(conn, checkfirst=True)
    current = conn.execute(select(func.max(schema_versions.c.version))).scalar()
    return int(current or 0)


def migrate(conn: Connection, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Apply the migrations the store lacks, inside the caller's (write) transaction.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        A connection in a transaction that holds the store's write lock.
    migrations : tuple of Migration
        The ordered migrations (the default is this release's).

    Returns
    -------
    int
        The schema version after migrating.

    Raises
    ------
    InvalidInputError
        When the store was written by a newer equilens (a schema version this one lacks).
    """
    current = schema_version(conn)
    latest = migrations[-1].version if migrations else 0
    if current > latest:
        raise InvalidInputError(
            f"the run store has schema version {current}, newer than this equilens reads "
            f"({latest}); upgrade equilens"
        )
    for migration in migrations:
        if migration.version <= current:
            continue
        migration.apply(conn)
        conn.execute(
            insert(schema_versions).values(
                version=migration.version,
                name=migration.name,
                applied_at=datetime.now(UTC).isoformat(timespec="seconds"),
            )
        )
        current = migration.version
    return current
