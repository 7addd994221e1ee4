"""Load on the dashboard: 50 concurrent clients on loopback against the run list and the intake.

    .venv/bin/python bench/bench_server.py              # 50 clients, 30 s
    .venv/bin/python bench/bench_server.py --quick      # 10 clients, 3 s (smoke check)

The server runs in its own process (``uvicorn``, one worker, as ``equilens serve`` runs it) over
a SQLite store holding real audits, so the client side's GIL does not slow it. Each client logs
in (its own session), then loops until the deadline: GET ``/runs`` (the run list page) three
times out of four, POST ``/api/reports`` (a bias report, CSRF header) once. Reported: requests,
errors (anything but 200/201), p50/p95/p99 latency per route, and the ratio of the run list's
p95 to that of ``/healthz`` (no store, no template) measured in the same run, the peer.

Target (issue 17): no errors, and p95 of the run list under 1 s with 50 clients.
This is a benchmark, not a test: it prints PASS/FAIL and always exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
TARGET_P95 = 1.0

_SERVER = textwrap.dedent(
    """
    import sys
    from datetime import date
    import uvicorn
    sys.path.insert(0, {tests!r})
    from _data import make_frame
    from equilens import audit
    from equilens.policy import decide, parse_policy
    from equilens.server import ServerConfig, ServerDB, add_user, create_app
    from equilens.store import RunStore

    store = RunStore({url!r})
    policy = parse_policy({{"kind": "policy", "name": "bench", "rules": [{{"id": "eod",
        "criterion": "equalized_odds_difference", "on": "ci_high", "op": ">",
        "threshold": 0.1, "severity": "block"}}]}})
    for seed in range(12):
        log = audit(make_frame(n=2000, seed=seed), y_true="y", y_pred="pred", y_score="score",
                    sensitive_features=["race", "sex"], bootstrap=200, seed=seed)
        store.record(log, actor="bench", decision=decide(log, policy, today=date(2025, 6, 1)),
                     policy=policy)
    db = ServerDB(store, ServerConfig().clock)
    for i in range({clients}):
        add_user(db, f"user{{i}}", "reporter", "bench-password")
    app = create_app(ServerConfig(intake_limit=10**9, login_limit=10**9, scan_seconds=0),
                     store=store)
    uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning")
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _client(
    base: str,
    index: int,
    window: float,
    ready: asyncio.Barrier,
    out: dict[str, list[float]],
    errors: list[str],
) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        page = await c.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        await c.post(
            "/login",
            data={"name": f"user{index}", "password": "bench-password", "csrf_token": token},
        )
        csrf = (await c.get("/api/csrf")).json()["csrf"]
        report = {
            "model": "predictions 'pred'",
            "prompt": f"prompt {index}",
            "observed": "no",
            "expected": "yes",
            "affected_group": "female",
            "severity": "low",
        }
        step = 0
        await ready.wait()  # every client logged in: the measured window starts now
        deadline = time.perf_counter() + window
        while time.perf_counter() < deadline:
            step += 1
            start = time.perf_counter()
            if step % 4:
                route, response = "/runs", await c.get("/runs")
                ok = response.status_code == 200
            else:
                route = "POST /api/reports"
                response = await c.post("/api/reports", json=report, headers={"X-CSRF-Token": csrf})
                ok = response.status_code == 201
            out.setdefault(route, []).append(time.perf_counter() - start)
            if not ok:
                errors.append(f"{route}: HTTP {response.status_code}")
            if step % 10 == 0:
                start = time.perf_counter()
                peer = await c.get("/healthz")
                out.setdefault("/healthz", []).append(time.perf_counter() - start)
                if peer.status_code != 200:
                    errors.append(f"/healthz: HTTP {peer.status_code}")


def _quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1]


async def _load(
    base: str, clients: int, seconds: float
) -> tuple[dict[str, list[float]], list[str], float]:
    out: dict[str, list[float]] = {}
    errors: list[str] = []
    ready = asyncio.Barrier(clients + 1)
    tasks = [
        asyncio.create_task(_client(base, i, seconds, ready, out, errors)) for i in range(clients)
    ]
    await ready.wait()
    start = time.perf_counter()
    await asyncio.gather(*tasks)
    return out, errors, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 clients for 3 s")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    clients, seconds = (10, 3.0) if args.quick else (args.clients, args.seconds)
    port = _free_port()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'history.db'}"
        code = _SERVER.format(tests=str(ROOT / "tests"), url=url, clients=clients, port=port)
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(1200):
                try:
                    httpx.get(f"{base}/healthz", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            out, errors, wall = asyncio.run(_load(base, clients, seconds))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    total = sum(len(v) for v in out.values())
    print(
        f"{clients} clients, {wall:.1f} s wall (after logins), {total} requests, "
        f"{len(errors)} errors"
    )
    for route, times in sorted(out.items()):
        print(
            f"  {route:<20} n={len(times):>6}  "
            + "  ".join(f"p{q} {_quantile(times, q / 100) * 1000:7.1f} ms" for q in (50, 95, 99))
        )
    for error in sorted(set(errors))[:5]:
        print(f"  error: {error}")
    p95 = _quantile(out["/runs"], 0.95)
    peer = _quantile(out["/healthz"], 0.95)
    print(f"run list p95 / healthz p95 (same run): {p95 / peer:.2f}x")
    verdict = "PASS" if not errors and p95 < TARGET_P95 else "FAIL"
    print(f"{verdict}: no errors and run-list p95 {p95:.3f} s < {TARGET_P95} s")


if __name__ == "__main__":
    main()
