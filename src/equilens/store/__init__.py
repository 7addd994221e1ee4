"""The run store: audits and gate decisions in a tamper-evident hash chain.

SQLite by default (``.equilens/history.db`` in the project root), PostgreSQL by URL
(``postgresql+psycopg://...``), through SQLAlchemy with versioned migrations.
"""

from equilens.store._schema import MIGRATIONS, Migration, monitor_alarms
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
    "chain_hash",
    "monitor_alarms",
    "project_root",
    "resolve_store_url",
]
