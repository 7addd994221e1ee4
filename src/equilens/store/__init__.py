"""The run store: audits and gate decisions in a tamper-evident hash chain.

SQLite by default (``.equilens/history.db`` in the project root), PostgreSQL by URL
(``postgresql+psycopg://...``), through SQLAlchemy with versioned migrations.
"""

from equilens.store._schema import (
    MIGRATIONS,
    Migration,
    bias_report_events,
    bias_reports,
    monitor_alarms,
    records,
    server_settings,
    sessions,
    users,
    webhook_deliveries,
)
from equilens.store._store import GENESIS_HASH, ChainReport, RunStore, StoredRecord, chain_hash
from equilens.store._url import DEFAULT_PATH, ENV_VAR, project_root, resolve_store_url

__all__ = [
    "DEFAULT_PATH",
    "ENV_VAR",
    "GENESIS_HASH",
    "MIGRATIONS",
    "ChainReport",
    "Migration",
    "RunStore",
    "StoredRecord",
    "bias_report_events",
    "bias_reports",
    "chain_hash",
    "monitor_alarms",
    "project_root",
    "records",
    "resolve_store_url",
    "server_settings",
    "sessions",
    "users",
    "webhook_deliveries",
]
