"""Escalation webhooks against real HTTP receivers on loopback: delivery, retries, records."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from _server import Site, fill_store, form_token, policy_with, report_fields
from equilens.monitor import Alarm, store_alarms
from equilens.policy import decide, parse_policy
from equilens.server import ServerDB, WebhookSettings, deliver, is_webhook, scan, shown_target

FAST = WebhookSettings(attempts=3, backoff_seconds=0.01, timeout_seconds=5)


class Receiver:
    """A loopback HTTP server that answers the given statuses in turn and records bodies."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.bodies: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                index = min(len(receiver.bodies) - 1, len(receiver.statuses) - 1)
                self.send_response(receiver.statuses[index])
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/secret-token"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers() -> Iterator[Any]:
    made: list[Receiver] = []

    def make(statuses: list[int]) -> Receiver:
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for r in made:
        r.close()


def test_contacts_that_are_webhooks() -> None:
    assert is_webhook("https://hooks.slack.com/services/T0/B0/xyz")
    assert is_webhook("webhook:SLACK_URL") and not is_webhook("#ml-oncall")
    assert not is_webhook("webhook:not a name")
    assert shown_target("https://hooks.slack.com/services/T0/B0/xyz") == "https://hooks.slack.com/…"


@pytest.mark.parametrize(
    ("contact", "message"),
    [
        ("https:///no-host", "the webhook contact 'https:///no-host' names no host"),
        ("webhook:1BAD", "must be webhook:ENV_VAR"),
    ],
)
def test_policy_refuses_malformed_webhook_contacts(contact: str, message: str) -> None:
    from equilens.exceptions import InvalidInputError

    assert policy_with(["#ml", "webhook:SLACK_URL", "https://hooks.example/x"]).escalation
    with pytest.raises(InvalidInputError, match=message):
        policy_with([contact])


def test_delivered_once_and_recorded(site: Site, receivers: Any) -> None:
    good = receivers([200])
    payload = {"text": "hello"}
    assert deliver(site.db, "event:1", good.url, payload, FAST) == "delivered"
    assert deliver(site.db, "event:1", good.url, payload, FAST) is None  # claimed already
    assert good.bodies == [payload]
    [row] = site.db.deliveries()
    assert (row["status"], row["attempts"], row["last_error"]) == ("delivered", 1, None)
    assert "secret-token" not in json.dumps(row, default=str)
    assert row["target_shown"].startswith("http://127.0.0.1:")


def test_failing_receiver_is_retried_and_recorded(site: Site, receivers: Any) -> None:
    flaky, down = receivers([500, 503, 200]), receivers([500])
    sleeps: list[float] = []
    status = deliver(site.db, "event:2", flaky.url, {"text": "x"}, FAST, sleep=sleeps.append)
    assert status == "delivered" and len(flaky.bodies) == 3 and sleeps == [0.01, 0.02]
    status = deliver(site.db, "event:3", down.url, {"text": "y"}, FAST, sleep=sleeps.append)
    assert status == "failed" and len(down.bodies) == 3
    rows = {r["event_key"]: r for r in site.db.deliveries()}
    assert (rows["event:2"]["status"], rows["event:2"]["attempts"]) == ("delivered", 3)
    assert (rows["event:3"]["status"], rows["event:3"]["attempts"]) == ("failed", 3)
    assert rows["event:3"]["last_error"] == "HTTP 500"
    closed = "http://127.0.0.1:9/unreachable"
    assert deliver(site.db, "event:4", closed, {"text": "z"}, FAST, sleep=sleeps.append) == "failed"
    assert site.db.deliveries()[0]["last_error"] == "ConnectError (no response)"


def test_env_webhook_reads_the_url_at_delivery(
    site: Site, receivers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = receivers([200])
    assert deliver(site.db, "e:1", "webhook:EQ_TEST_HOOK", {"text": "a"}, FAST) == "failed"
    assert site.db.deliveries()[0]["last_error"] == (
        "environment variable EQ_TEST_HOOK holds no http(s) URL"
    )
    monkeypatch.setenv("EQ_TEST_HOOK", good.url)
    assert deliver(site.db, "e:2", "webhook:EQ_TEST_HOOK", {"text": "b"}, FAST) == "delivered"
    assert site.db.deliveries()[0]["target_shown"] == "webhook:EQ_TEST_HOOK"


def test_scan_posts_new_blocking_decisions_and_alarms(
    tmp_path: Any, server_logs: list[Any], receivers: Any
) -> None:
    hook = receivers([200])
    policy = policy_with([hook.url, "#ml-oncall"])
    store = fill_store(f"sqlite:///{tmp_path / 'h.db'}", server_logs[:1], policy)
    db = ServerDB(store, lambda: __import__("datetime").datetime.now())
    assert scan(db, FAST) == []  # the first scan notes where history ends
    assert hook.bodies == []
    log = server_logs[1]
    decision = decide(log, policy, today=date(2025, 6, 1))
    assert decision.verdict == "block"
    store.record(log, actor="ci", decision=decision, policy=policy)
    alarm = Alarm(
        monitor_id="m1",
        look=3,
        batch="b3",
        created="2025-06-01T00:00:00+00:00",
        stream_id="s",
        feature="sex",
        group="F",
        metric="selection_rate",
        direction="down",
        severity="block",
        contacts=[hook.url],
        reference_rate=0.5,
        null_low=0.45,
        null_high=0.55,
        window_first_look=2,
        window_rate=0.3,
        window_ci_low=0.25,
        window_ci_high=0.35,
        window_n=400,
        log_statistic=9.0,
        log_threshold=4.6,
        reason="selection rate of sex=F fell",
    )
    store_alarms(store, [alarm], actor="ci")
    assert scan(db, FAST) == ["delivered", "delivered"]
    assert scan(db, FAST) == []  # nothing new
    texts = [b["text"] for b in hook.bodies]
    assert texts[0].startswith(f"equilens gate BLOCKED run {log.run_id}")
    assert texts[1].startswith("equilens monitor ALARM (block): selection_rate down for F")
    store.close()


def test_high_severity_report_escalates(site_factory: Any, receivers: Any) -> None:
    hook = receivers([500, 200])
    policy = parse_policy(
        {
            **policy_with([]).model_dump(mode="json"),
            "escalation": {"block": {"contacts": [hook.url]}},
        }
    )
    site = site_factory(
        escalation_policy=policy, webhooks=WebhookSettings(attempts=3, backoff_seconds=0.01)
    )
    with site.client("reporter") as c:
        token = form_token(c, "/reports/new")
        for severity in ("low", "critical"):
            made = c.post(
                "/api/reports",
                json=report_fields(severity=severity),
                headers={"X-CSRF-Token": token},
            )
            assert made.status_code == 201
    for _ in range(200):
        rows = site.db.deliveries()
        if rows and rows[0]["status"] != "pending":
            break
        threading.Event().wait(0.02)
    [row] = site.db.deliveries()
    assert (row["event_key"], row["status"], row["attempts"]) == ("report:2", "delivered", 2)
    assert hook.bodies[-1]["text"].startswith("equilens bias report #2 (critical)")
    with site.client("admin") as c:
        assert "report:2" in c.get("/admin").text
