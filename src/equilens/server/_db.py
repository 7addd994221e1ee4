"""The dashboard's tables in the run store: users, sessions, bias reports, deliveries, settings.

Every write is one transaction of the store (``RunStore._write``: SQLite ``BEGIN IMMEDIATE`` or
a PostgreSQL advisory lock), so a change to a bias report and its audit-trail rows are written
together or not at all. None of these tables is part of the hash chain of audits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from equilens.exceptions import InvalidInputError
from equilens.store import (
    RunStore,
    bias_report_events,
    bias_reports,
    server_settings,
    sessions,
    users,
    webhook_deliveries,
)

__all__ = ["ServerDB", "iso"]


def iso(moment: datetime) -> str:
    """``moment`` as UTC ISO 8601 with microseconds (sorts as text)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class ServerDB:
    """Reads and writes of the dashboard's tables, over one open :class:`RunStore`."""

    def __init__(self, store: RunStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    def now(self) -> str:
        return iso(self.clock())

    # -- users ----------------------------------------------------------------------------

    def insert_user(self, name: str, role: str, password_hash: str) -> int:
        try:
            with self.store._write() as conn:
                if conn.execute(select(users.c.id).where(users.c.name == name)).first():
                    raise InvalidInputError(f"user '{name}' already exists")
                result = conn.execute(
                    insert(users).values(
                        name=name,
                        role=role,
                        password_hash=password_hash,
                        created_at=self.now(),
                        disabled=False,
                    )
                )
                return _new_id(result)
        except IntegrityError:
            raise InvalidInputError(f"user '{name}' already exists") from None

    def user_by_name(self, name: str) -> dict[str, Any] | None:
        with self.store._read() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first()
        return None if row is None else dict(row._mapping)

    def set_password(self, user_id: int, password_hash: str) -> None:
        with self.store._write() as conn:
            conn.execute(
                update(users).where(users.c.id == user_id).values(password_hash=password_hash)
            )

    def disable_user(self, name: str) -> None:
        """Disable the account and end its sessions, in one transaction."""
        with self.store._write() as conn:
            found = conn.execute(select(users.c.id).where(users.c.name == name)).first()
            if found is None:
                raise InvalidInputError(f"no user '{name[:64]}'")
            conn.execute(update(users).where(users.c.id == found.id).values(disabled=True))
            conn.execute(delete(sessions).where(sessions.c.user_id == found.id))

    def list_users(self) -> list[dict[str, Any]]:
        cols = [users.c.id, users.c.name, users.c.role, users.c.created_at, users.c.disabled]
        with self.store._read() as conn:
            return [dict(r._mapping) for r in conn.execute(select(*cols).order_by(users.c.name))]

    # -- sessions -------------------------------------------------------------------------

    def insert_session(self, token_hash: str, user_id: int, csrf: str, expires_at: str) -> None:
        with self.store._write() as conn:
            conn.execute(delete(sessions).where(sessions.c.expires_at < self.now()))
            conn.execute(
                insert(sessions).values(
                    token_hash=token_hash,
                    user_id=user_id,
                    csrf=csrf,
                    created_at=self.now(),
                    expires_at=expires_at,
                )
            )

    def session(self, token_hash: str) -> dict[str, Any] | None:
        """The session and its user (``expires_at`` included; the caller checks it)."""
        query = (
            select(
                sessions.c.csrf,
                sessions.c.expires_at,
                users.c.id.label("user_id"),
                users.c.name,
                users.c.role,
                users.c.disabled,
            )
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.token_hash == token_hash)
        )
        with self.store._read() as conn:
            row = conn.execute(query).first()
        return None if row is None else dict(row._mapping)

    def delete_session(self, token_hash: str) -> None:
        with self.store._write() as conn:
            conn.execute(delete(sessions).where(sessions.c.token_hash == token_hash))

    # -- settings -------------------------------------------------------------------------

    def setting(self, key: str, default: str) -> str:
        with self.store._read() as conn:
            value = conn.execute(
                select(server_settings.c.value).where(server_settings.c.key == key)
            ).scalar()
        return default if value is None else str(value)

    def set_setting(self, key: str, value: str) -> None:
        with self.store._write() as conn:
            conn.execute(delete(server_settings).where(server_settings.c.key == key))
            conn.execute(insert(server_settings).values(key=key, value=value))

    # -- bias reports ---------------------------------------------------------------------

    def insert_report(self, fields: Mapping[str, Any], actor: str) -> int:
        now = self.now()
        with self.store._write() as conn:
            result = conn.execute(
                insert(bias_reports).values(
                    **fields,
                    reporter=actor,
                    created_at=now,
                    updated_at=now,
                    status="new",
                    bounty_paid=False,
                )
            )
            report_id = _new_id(result)
            conn.execute(
                insert(bias_report_events).values(
                    report_id=report_id, at=now, actor=actor, field="status", new_value="new"
                )
            )
        return report_id

    def report(self, report_id: int) -> dict[str, Any] | None:
        with self.store._read() as conn:
            row = conn.execute(select(bias_reports).where(bias_reports.c.id == report_id)).first()
        return None if row is None else dict(row._mapping)

    def reports(self, status: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        cols = [c for c in bias_reports.c if c.name != "attachment"]
        query = select(*cols).order_by(bias_reports.c.id.desc()).limit(limit)
        if status:
            query = query.where(bias_reports.c.status == status)
        with self.store._read() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def count_reports(self) -> int:
        with self.store._read() as conn:
            return int(conn.execute(select(func.count()).select_from(bias_reports)).scalar() or 0)

    def change_report(
        self, report_id: int, changes: Mapping[str, Any], actor: str, note: str | None
    ) -> dict[str, Any]:
        """Apply ``changes`` and write one audit-trail row per changed field, atomically."""
        now = self.now()
        with self.store._write() as conn:
            row = conn.execute(select(bias_reports).where(bias_reports.c.id == report_id)).first()
            if row is None:
                raise InvalidInputError(f"no bias report {report_id}")
            old = dict(row._mapping)
            changed = {k: v for k, v in changes.items() if old.get(k) != v}
            if changed:
                conn.execute(
                    update(bias_reports)
                    .where(bias_reports.c.id == report_id)
                    .values(**changed, updated_at=now)
                )
            events = [
                {
                    "report_id": report_id,
                    "at": now,
                    "actor": actor,
                    "field": key,
                    "old_value": _shown(old.get(key)),
                    "new_value": _shown(value),
                    "note": note,
                }
                for key, value in changed.items()
            ]
            if not events and note:
                events.append(
                    {
                        "report_id": report_id,
                        "at": now,
                        "actor": actor,
                        "field": "note",
                        "old_value": None,
                        "new_value": None,
                        "note": note,
                    }
                )
            if events:
                conn.execute(insert(bias_report_events), events)
            return {**old, **changed}

    def report_events(self, report_id: int) -> list[dict[str, Any]]:
        query = (
            select(bias_report_events)
            .where(bias_report_events.c.report_id == report_id)
            .order_by(bias_report_events.c.id)
        )
        with self.store._read() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    # -- webhook deliveries ---------------------------------------------------------------

    def claim_delivery(
        self, event_key: str, target_hash: str, target_shown: str, payload_json: str
    ) -> int | None:
        """A new delivery row, or None when this event already went (or goes) to this target."""
        try:
            with self.store._write() as conn:
                found = conn.execute(
                    select(webhook_deliveries.c.id).where(
                        webhook_deliveries.c.event_key == event_key,
                        webhook_deliveries.c.target_hash == target_hash,
                    )
                ).first()
                if found is not None:
                    return None
                result = conn.execute(
                    insert(webhook_deliveries).values(
                        event_key=event_key,
                        target_hash=target_hash,
                        target_shown=target_shown,
                        created_at=self.now(),
                        status="pending",
                        attempts=0,
                        payload_json=payload_json,
                    )
                )
                return _new_id(result)
        except (IntegrityError, InvalidInputError):
            return None

    def finish_delivery(
        self, delivery_id: int, *, status: str, attempts: int, error: str | None
    ) -> None:
        values: dict[str, Any] = {"status": status, "attempts": attempts, "last_error": error}
        if status == "delivered":
            values["delivered_at"] = self.now()
        with self.store._write() as conn:
            conn.execute(
                update(webhook_deliveries)
                .where(webhook_deliveries.c.id == delivery_id)
                .values(**values)
            )

    def deliveries(self, limit: int = 200) -> list[dict[str, Any]]:
        cols = [c for c in webhook_deliveries.c if c.name != "target_hash"]
        query = select(*cols).order_by(webhook_deliveries.c.id.desc()).limit(limit)
        with self.store._read() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]


def _shown(value: Any) -> str | None:
    return None if value is None else str(value)


def _new_id(result: Any) -> int:
    """The primary key an INSERT made."""
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every insert here has an integer key
        raise RuntimeError("the database returned no key for the new row")
    return int(key[0])
