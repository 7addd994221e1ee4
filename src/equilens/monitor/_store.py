"""Alarms in the run store (table ``equilens_monitor_alarms``, schema version 2)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select

from equilens._hash import model_json, sha256_hex
from equilens.monitor._state import Alarm
from equilens.store import RunStore, monitor_alarms

__all__ = ["read_alarms", "store_alarms"]


def store_alarms(store: RunStore, alarms: list[Alarm], *, actor: str) -> int:
    """Write the alarms in one transaction; returns how many were written."""
    if not alarms:
        return 0
    stored_at = datetime.now(UTC).isoformat(timespec="microseconds")
    rows = []
    for alarm in alarms:
        text = model_json(alarm)
        rows.append(
            {
                "monitor_id": alarm.monitor_id,
                "look": alarm.look,
                "stored_at": stored_at,
                "actor": actor,
                "stream_id": alarm.stream_id,
                "severity": alarm.severity,
                "retrain": int(alarm.retrain),
                "alarm_hash": sha256_hex(text),
                "alarm_json": text,
            }
        )
    with store._write() as conn:
        conn.execute(insert(monitor_alarms), rows)
    return len(rows)


def read_alarms(store: RunStore, monitor_id: str | None = None) -> list[Alarm]:
    """The stored alarms (of one monitor when given), oldest first."""
    query = select(monitor_alarms.c.alarm_json).order_by(monitor_alarms.c.id)
    if monitor_id is not None:
        query = query.where(monitor_alarms.c.monitor_id == monitor_id)
    with store._read() as conn:
        return [Alarm.model_validate_json(row.alarm_json) for row in conn.execute(query)]
