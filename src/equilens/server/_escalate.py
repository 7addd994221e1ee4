"""What escalates: a new blocking gate decision, a new monitor alarm, a high-severity report.

The server looks for new decisions and alarms in the store (``scan``, run by a background
thread every few seconds and once at start), so a ``equilens gate`` or ``equilens monitor`` run
from CI escalates without talking to the server. On its first scan of a store it only notes
where the history ends: old decisions are not re-announced.
"""

from __future__ import annotations

from sqlalchemy import func, select

from equilens.monitor import Alarm
from equilens.policy import Policy
from equilens.server._db import ServerDB
from equilens.server._webhooks import WebhookSettings, deliver, is_webhook, message_payload
from equilens.store import monitor_alarms, records

__all__ = ["report_contacts", "scan"]

_SEQ_KEY = "escalation.record_seq"
_ALARM_KEY = "escalation.alarm_id"


def scan(db: ServerDB, settings: WebhookSettings, base_url: str = "") -> list[str]:
    """Post webhooks for decisions and alarms stored since the last scan; returns the
    statuses of the deliveries made."""
    store = db.store
    with store._read() as conn:
        head_seq = int(conn.execute(select(func.max(records.c.seq))).scalar() or 0)
        head_alarm = int(conn.execute(select(func.max(monitor_alarms.c.id))).scalar() or 0)
    last_seq = int(db.setting(_SEQ_KEY, "-1"))
    last_alarm = int(db.setting(_ALARM_KEY, "-1"))
    if last_seq < 0 or last_alarm < 0:
        db.set_setting(_SEQ_KEY, str(head_seq))
        db.set_setting(_ALARM_KEY, str(head_alarm))
        return []
    done: list[str] = []
    blocked = (
        select(records.c.seq, records.c.run_id, records.c.record_hash)
        .where(records.c.seq > last_seq, records.c.verdict == "block")
        .order_by(records.c.seq)
    )
    with store._read() as conn:
        new_blocks = list(conn.execute(blocked))
    for record in new_blocks:
        decision = store.get_decision(int(record.seq))
        if decision is None:
            continue
        contacts = sorted({c for e in decision.escalations for c in e.contacts if is_webhook(c)})
        payload = message_payload(
            f"equilens gate BLOCKED run {record.run_id} (policy {decision.policy_name})",
            [decision.summary, *[m for e in decision.escalations for m in e.messages][:10]],
            f"{base_url}/runs/{record.seq}" if base_url else None,
        )
        for contact in contacts:
            status = deliver(db, f"decision:{record.record_hash[:32]}", contact, payload, settings)
            done += [status] if status else []
    query = (
        select(monitor_alarms.c.id, monitor_alarms.c.alarm_json)
        .where(monitor_alarms.c.id > last_alarm)
        .order_by(monitor_alarms.c.id)
    )
    with store._read() as conn:
        rows = [(int(r.id), str(r.alarm_json)) for r in conn.execute(query)]
    for alarm_id, text in rows:
        alarm = Alarm.model_validate_json(text)
        payload = message_payload(
            f"equilens monitor ALARM ({alarm.severity}): {alarm.metric} {alarm.direction} "
            f"for {alarm.group}",
            [alarm.reason, *alarm.messages[:10]],
        )
        for contact in sorted({c for c in alarm.contacts if is_webhook(c)}):
            status = deliver(db, f"alarm:{alarm_id}", contact, payload, settings)
            done += [status] if status else []
    db.set_setting(_SEQ_KEY, str(max(head_seq, last_seq)))
    db.set_setting(_ALARM_KEY, str(max(head_alarm, last_alarm)))
    return done


def report_contacts(policy: Policy | None) -> list[str]:
    """Webhooks told of a high-severity bias report: the policy's ``block`` route's."""
    if policy is None or "block" not in policy.escalation:
        return []
    return [c for c in policy.escalation["block"].contacts if is_webhook(c)]


def newest_policy(db: ServerDB) -> Policy | None:
    """The policy of the newest stored gate decision (None when there is none)."""
    for record in reversed(db.store.records()):
        if record.policy_hash:
            return db.store.get_policy(record.policy_hash)
    return None
